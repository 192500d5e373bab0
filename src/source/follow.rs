//! Following a source: one task owns the opened source, reads it as it changes (watches for an
//! API server, polling for a backend, `Refresh` for files), and obeys the face's controls.
//! Each reader runs as its own task, so a switch of identity or provider drops the old one.

use super::live;
use super::open::{
    Opened, ProviderChoice, Source, connect_provider, demo_access, read_files, reading_of_backend,
    reading_of_shared,
};
use super::spec::{ClusterAccess, Control, Freshness, SourceError, Update};
use std::time::Duration;
use tokio::sync::mpsc;

/// A followed source: updates come from `next`, controls go through `control`.
pub struct Following {
    updates: mpsc::UnboundedReceiver<Update>,
    control: mpsc::UnboundedSender<Control>,
    task: tokio::task::JoinHandle<()>,
}

impl Following {
    /// The next update; None once the source has stopped.
    pub async fn next(&mut self) -> Option<Update> {
        self.updates.recv().await
    }

    pub fn control(&self, control: Control) {
        let _ = self.control.send(control);
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Source {
    /// Follows the source. The first update is its `Connected`, then readings as it changes.
    pub fn follow(self) -> Following {
        let (sender, updates) = mpsc::unbounded_channel();
        let (control, controls) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(self, sender, controls));
        Following {
            updates,
            control,
            task,
        }
    }
}

/// A running reader: its task sends updates, and reads again when poked.
struct Reader {
    poke: mpsc::UnboundedSender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(
    source: Source,
    sender: mpsc::UnboundedSender<Update>,
    mut controls: mpsc::UnboundedReceiver<Control>,
) {
    let Source {
        mut opened,
        mut refresh,
    } = source;
    let mut generation = 0;
    let _ = sender.send(Update::Connected(Box::new(opened.connection(generation))));
    let mut reader = start_reader(&opened, refresh, &sender);
    while let Some(control) = controls.recv().await {
        let switched = match control {
            Control::Refresh => {
                if let Some(reader) = &reader {
                    let _ = reader.poke.send(());
                }
                continue;
            }
            Control::SwitchIdentity => switch_identity(&mut opened).await,
            Control::PickProvider(id) => pick_provider(&mut opened, &mut refresh, &id),
            Control::SwitchContext(name) => switch_context(&mut opened, &name).await,
            Control::Impersonate(user) => impersonate(&mut opened, user).await,
            Control::ListServiceAccounts => {
                let update = match readable_service_accounts(&opened).await {
                    Ok(accounts) => Update::ServiceAccounts(accounts),
                    Err(error) => Update::Notice(error.to_string()),
                };
                let _ = sender.send(update);
                continue;
            }
        };
        match switched {
            Ok(false) => continue,
            Ok(true) => {
                generation += 1;
                drop(reader.take());
                let _ = sender.send(Update::Connected(Box::new(opened.connection(generation))));
                reader = start_reader(&opened, refresh, &sender);
            }
            Err(error) => {
                let _ = sender.send(Update::Failed(error));
            }
        }
    }
}

/// The demo's next identity. Ok(false): this source has no identities to switch between.
async fn switch_identity(opened: &mut Opened) -> Result<bool, SourceError> {
    let Opened::Demo {
        sim,
        identity,
        access,
    } = opened
    else {
        return Ok(false);
    };
    let next = (*identity + 1) % super::demo::IDENTITIES.len();
    let scope = access.scope.clone();
    *access = demo_access(sim, super::demo::IDENTITIES[next], scope).await?;
    *identity = next;
    Ok(true)
}

/// Connects through another kubeconfig context, or as another demo identity. Ok(false): this
/// source has no contexts. A context that cannot connect is an error, and the old connection
/// stays.
async fn switch_context(opened: &mut Opened, name: &str) -> Result<bool, SourceError> {
    match opened {
        Opened::Cluster { access, reach } => {
            let mut next = reach.clone();
            next.options.context = Some(name.to_string());
            // Another context is another caller: it acts as itself until asked otherwise.
            next.options.impersonate = None;
            let connected = super::open::connect_cluster(&next).await?;
            // One request first: a context whose server cannot be reached (or rejects its
            // token) is an error, and the connection that works stays.
            connected.fetcher.probe().await?;
            *access = connected;
            *reach = next;
            Ok(true)
        }
        Opened::Demo {
            sim,
            identity,
            access,
        } => {
            let index = super::demo::IDENTITIES
                .iter()
                .position(|n| *n == name)
                .ok_or_else(|| SourceError::Usage(format!("the demo has no identity {name:?}")))?;
            let scope = access.scope.clone();
            *access = demo_access(sim, name, scope).await?;
            *identity = index;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Acts as `user` (None: as the caller again) through the same context. A refused
/// impersonation is an error, and the connection that works stays.
async fn impersonate(opened: &mut Opened, user: Option<String>) -> Result<bool, SourceError> {
    let Opened::Cluster { access, reach } = opened else {
        return Ok(false);
    };
    let mut next = reach.clone();
    next.options.impersonate = user.map(|user| super::connect::Impersonate {
        user,
        groups: Vec::new(),
        uid: None,
    });
    let connected = super::open::connect_cluster(&next).await?;
    connected.fetcher.probe().await?;
    *access = connected;
    *reach = next;
    Ok(true)
}

/// The ServiceAccounts the caller may read, asked as the caller itself: cluster-wide, or where
/// that is forbidden, in each namespace in scope.
async fn readable_service_accounts(opened: &Opened) -> Result<Vec<String>, SourceError> {
    use k8s_openapi::api::core::v1::ServiceAccount;
    use kube::api::{Api, ListParams};
    let Opened::Cluster { access, reach } = opened else {
        return Ok(Vec::new());
    };
    let mut caller = reach.clone();
    caller.options.impersonate = None;
    let client = super::open::connect_cluster(&caller)
        .await?
        .fetcher
        .client()
        .clone();
    let names = |list: kube::core::ObjectList<ServiceAccount>| {
        list.items.into_iter().map(|account| {
            let namespace = account.metadata.namespace.unwrap_or_default();
            let name = account.metadata.name.unwrap_or_default();
            format!("system:serviceaccount:{namespace}:{name}")
        })
    };
    let failed = |error: kube::Error| {
        SourceError::Live(std::sync::Arc::new(format!(
            "cannot list ServiceAccounts to impersonate: {}",
            access.fetcher.scrub(&error.to_string())
        )))
    };
    let mut accounts: Vec<String> = match Api::<ServiceAccount>::all(client.clone())
        .list(&ListParams::default())
        .await
    {
        Ok(list) => names(list).collect(),
        Err(kube::Error::Api(status)) if status.code == 403 => {
            // No namespaces to look in is not "none to read": say what was refused.
            let Some(namespaces) = &access.scope.namespaces else {
                return Err(SourceError::Live(std::sync::Arc::new(
                    "may not list ServiceAccounts at the cluster scope: start with -n NAMESPACE to list those of a namespace".into(),
                )));
            };
            let mut found = Vec::new();
            for namespace in namespaces {
                let api = Api::<ServiceAccount>::namespaced(client.clone(), namespace);
                match api.list(&ListParams::default()).await {
                    Ok(list) => found.extend(names(list)),
                    Err(kube::Error::Api(status)) if status.code == 403 => {}
                    Err(error) => return Err(failed(error)),
                }
            }
            found
        }
        Err(error) => return Err(failed(error)),
    };
    accounts.sort();
    Ok(accounts)
}

/// Connects to the provider the user picked. Ok(false): there was nothing to pick.
fn pick_provider(
    opened: &mut Opened,
    refresh: &mut Duration,
    id: &str,
) -> Result<bool, SourceError> {
    let Opened::Unchosen(choice) = opened else {
        return Ok(false);
    };
    let ProviderChoice {
        paths,
        http,
        refresh: wanted,
        ..
    } = choice;
    let env = |name: &str| std::env::var(name).ok();
    let provider = super::backstage::provider(paths, Some(id), &env)?;
    let (backend, every) = connect_provider(http, provider)?;
    *refresh = wanted.unwrap_or(every);
    *opened = Opened::Backend {
        backend,
        provider: Some(id.to_string()),
    };
    Ok(true)
}

fn start_reader(
    opened: &Opened,
    refresh: Duration,
    sender: &mpsc::UnboundedSender<Update>,
) -> Option<Reader> {
    let (poke, pokes) = mpsc::unbounded_channel();
    let sender = sender.clone();
    let task = match opened {
        Opened::Files {
            paths,
            namespaces,
            selector,
        } => tokio::spawn(read_files_on_poke(
            paths.clone(),
            (namespaces.clone(), selector.clone()),
            pokes,
            sender,
        )),
        Opened::Cluster { access, .. } | Opened::Demo { access, .. } => {
            tokio::spawn(follow_cluster(access.clone(), refresh, pokes, sender))
        }
        Opened::Backend { backend, .. } => {
            tokio::spawn(poll_backend(backend.clone(), refresh, pokes, sender))
        }
        Opened::Unchosen(_) => return None,
    };
    Some(Reader { poke, task })
}

/// Files: read now, and again on each poke.
async fn read_files_on_poke(
    paths: Vec<std::path::PathBuf>,
    (namespaces, selector): (Vec<String>, Option<String>),
    mut pokes: mpsc::UnboundedReceiver<()>,
    sender: mpsc::UnboundedSender<Update>,
) {
    loop {
        let (paths, namespaces, selector) = (paths.clone(), namespaces.clone(), selector.clone());
        let update = match tokio::task::spawn_blocking(move || {
            read_files(&paths, &namespaces, selector.as_deref())
        })
        .await
        {
            Ok(Ok(reading)) => Update::Read(reading),
            Ok(Err(error)) => Update::Failed(error),
            Err(panicked) => Update::Failed(SourceError::Live(panicked.to_string().into())),
        };
        if sender.send(update).is_err() || pokes.recv().await.is_none() {
            return;
        }
    }
}

/// A backend: polled now, then every interval or when poked.
async fn poll_backend(
    backend: super::backend::Backend,
    every: Duration,
    mut pokes: mpsc::UnboundedReceiver<()>,
    sender: mpsc::UnboundedSender<Update>,
) {
    loop {
        let update = match backend.mesh().await {
            Ok(mesh) => {
                let at = jiff::Timestamp::now();
                let reason = None;
                Update::Read(reading_of_backend(
                    mesh,
                    Freshness::Polled { at, every, reason },
                ))
            }
            Err(error) => Update::Failed(error.into()),
        };
        if sender.send(update).is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            poke = pokes.recv() => if poke.is_none() { return },
        }
    }
}

/// An API server: the live pipeline's events, each snapshot built into a mesh off this task.
async fn follow_cluster(
    access: ClusterAccess,
    refresh: Duration,
    mut pokes: mpsc::UnboundedReceiver<()>,
    sender: mpsc::UnboundedSender<Update>,
) {
    let following = live::start(access.fetcher.clone(), access.scope.clone(), refresh);
    let mut events = following.events.clone();
    loop {
        tokio::select! {
            changed = events.changed() => if changed.is_err() { return },
            poke = pokes.recv() => {
                if poke.is_none() { return }
                following.refresh();
                continue;
            }
        }
        let event = events.borrow_and_update().clone();
        let update = match event {
            Some(live::Event::Updated(update)) => {
                let freshness = match update.freshness {
                    live::Freshness::Live => Freshness::Watched { at: update.at },
                    live::Freshness::Polled { every, reason } => Freshness::Polled {
                        at: update.at,
                        every,
                        reason: Some(reason),
                    },
                };
                let snapshot = update.snapshot.clone();
                let built =
                    tokio::task::spawn_blocking(move || reading_of_shared(snapshot, freshness));
                let Ok(reading) = built.await else { continue };
                Update::Read(reading)
            }
            Some(live::Event::Failed(message)) => Update::Failed(SourceError::Live(message)),
            None => continue,
        };
        if sender.send(update).is_err() {
            return;
        }
    }
}
