//! Starting a simulated cluster: load the manifests (RBAC included) into a fresh store with
//! Knative Eventing installed, mint the tokens a real cluster would hold, and serve it.

use super::auth::TokenAuthority;
use super::json::text;
use super::rbac::{MASTERS_GROUP, UserInfo};
use super::server::{self, Knobs, SimState};
use super::state::Persisted;
use super::store::Store;
use super::tls::SavedCa;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::task::JoinHandle;

const DEFAULT_RBAC: &str = include_str!("../../assets/default-rbac.yaml");

/// How long the bound tokens the sim writes into its kubeconfig live.
const KUBECONFIG_TOKEN_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Clone, Default)]
pub struct SimConfig {
    /// Every object from the manifests, RBAC included.
    pub objects: Vec<Value>,
    /// Static tokens (`--token-file`).
    pub static_tokens: Vec<(String, UserInfo)>,
    pub knobs: Knobs,
    /// Where to listen; port 0 takes any free port (or, restarting from a state, the port of
    /// the run before).
    pub addr: Option<SocketAddr>,
    /// `--state-dir`: keep the cluster (objects, CA, keys, tokens) across restarts.
    pub state_dir: Option<std::path::PathBuf>,
}

/// What a start begins with: the objects, the token authority, the admin token and the CA,
/// new from the manifests or as an earlier run left them.
struct Beginning {
    store: Store,
    authority: TokenAuthority,
    admin_token: String,
    ca: Option<SavedCa>,
    address: Option<SocketAddr>,
    restored: bool,
    /// What loading the manifests had to say (unknown fields pruned).
    warnings: Vec<String>,
}

fn begin(config: &SimConfig) -> Result<Beginning, SimError> {
    let saved = match &config.state_dir {
        Some(dir) => super::persist::load(dir)?,
        None => None,
    };
    let Some(saved) = saved else {
        let (store, warnings) = load(&config.objects)?;
        return Ok(Beginning {
            store,
            warnings,
            authority: TokenAuthority::new(),
            admin_token: format!("kn-mesh-admin-{}", uuid::Uuid::new_v4().simple()),
            ca: None,
            address: None,
            restored: false,
        });
    };
    let key =
        STANDARD
            .decode(&saved.signing_key)
            .map_err(|e| super::persist::PersistError::Read {
                path: "state.json".into(),
                message: format!("the signing key is not base64: {e}"),
            })?;
    Ok(Beginning {
        store: Store::restored(saved.objects, saved.resource_version),
        authority: TokenAuthority::with_key(key),
        admin_token: saved.admin_token,
        ca: Some(saved.ca),
        address: saved.address.parse().ok(),
        restored: true,
        warnings: Vec::new(),
    })
}

/// Someone the sim has a token for, as a kubeconfig context.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The context name: "admin", or the ServiceAccount's name.
    pub name: String,
    pub user: UserInfo,
    pub token: String,
    /// The ServiceAccount's namespace, used as the context's default namespace.
    pub namespace: Option<String>,
    /// "static", "legacy" or "bound".
    pub token_kind: &'static str,
}

pub struct RunningSim {
    pub url: String,
    /// The objects came from `--state-dir`, not from the manifests.
    pub restored: bool,
    /// What the one who started it should know (said on stderr by `sim serve`).
    pub warnings: Vec<String>,
    /// The CA that signed the server's certificate, PEM.
    pub ca_pem: String,
    pub identities: Vec<Identity>,
    pub state: Arc<SimState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot load {object}: {message}")]
    Load { object: String, message: String },
    #[error(transparent)]
    Tls(#[from] super::tls::TlsError),
    #[error(transparent)]
    State(#[from] super::persist::PersistError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

fn describe(object: &Value) -> String {
    let namespace = text(object, "/metadata/namespace");
    let name = text(object, "/metadata/name");
    let kind = text(object, "/kind");
    if namespace.is_empty() {
        format!("{kind} {name}")
    } else {
        format!("{kind} {namespace}/{name}")
    }
}

/// The namespaces a cluster loaded from `objects` has: those every cluster has, those the
/// objects are in, and those they declare.
pub fn namespaces_of(objects: &[Value]) -> BTreeSet<String> {
    let mut namespaces: BTreeSet<String> =
        ["default", "kube-system", "kube-public", "knative-eventing"]
            .map(String::from)
            .into();
    for object in objects {
        namespaces.insert(text(object, "/metadata/namespace").to_string());
        if text(object, "/kind") == "Namespace" {
            namespaces.insert(text(object, "/metadata/name").to_string());
        }
    }
    namespaces.remove("");
    namespaces
}

/// Loads objects as they are given: namespaces first, then CRDs, then everything else, keeping
/// the uids the manifests carry so that the same manifests give the same mesh everywhere.
pub fn load(objects: &[Value]) -> Result<(Store, Vec<String>), SimError> {
    let mut store = Store::new();
    let mut warnings = Vec::new();
    let defaults: Vec<Value> =
        serde_saphyr::from_multiple(DEFAULT_RBAC).expect("assets/default-rbac.yaml is valid");
    let namespaces = namespaces_of(objects);
    let declared: Vec<&Value> = objects
        .iter()
        .filter(|o| text(o, "/kind") == "Namespace")
        .collect();
    let mut ordered: Vec<Value> = declared.iter().map(|o| (*o).clone()).collect();
    for namespace in namespaces {
        if !declared
            .iter()
            .any(|o| text(o, "/metadata/name") == namespace)
        {
            ordered.push(
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}),
            );
        }
    }
    ordered.extend(
        objects
            .iter()
            .filter(|o| text(o, "/kind") == "CustomResourceDefinition")
            .cloned(),
    );
    ordered.extend(defaults);
    ordered.extend(
        objects
            .iter()
            .filter(|o| !matches!(text(o, "/kind"), "Namespace" | "CustomResourceDefinition"))
            .cloned(),
    );
    for object in ordered {
        let api_version = text(&object, "/apiVersion").to_string();
        let kind = text(&object, "/kind").to_string();
        let def = store.ensure_kind(&api_version, &kind);
        let namespace = if def.namespaced {
            text(&object, "/metadata/namespace").to_string()
        } else {
            String::new()
        };
        let name = text(&object, "/metadata/name").to_string();
        let keep_uid = text(&object, "/metadata/uid").to_string();
        let keep_created = text(&object, "/metadata/creationTimestamp").to_string();
        let version = api_version.rsplit('/').next().unwrap_or("").to_string();
        // Loaded as kube-apiserver would take them from `kubectl apply`: names checked, custom
        // resources pruned (each unknown field said), defaulted and validated against their
        // CRD's schema. An object already there (a built-in CRD, a bootstrap role) is replaced.
        let result = super::admission::admit(
            &store,
            &def,
            &version,
            object.clone(),
            super::admission::FieldValidation::Warn,
        )
        .and_then(|admitted| {
            for warning in &admitted.warnings {
                warnings.push(format!("{}: {warning} (pruned)", describe(&object)));
            }
            if store
                .get(&def.group, &def.plural, &namespace, &name)
                .is_some()
            {
                store.update(&def.group, &def.plural, &namespace, &name, admitted.object)
            } else {
                store.create(&def.group, &def.plural, &namespace, admitted.object)
            }
        });
        result.map_err(|e| SimError::Load {
            object: describe(&object),
            message: e.body["message"].as_str().unwrap_or("rejected").to_string(),
        })?;
        let key = (
            def.group.as_str(),
            def.plural.as_str(),
            namespace.as_str(),
            name.as_str(),
        );
        store.restore_identity(key, &keep_uid, &keep_created);
    }
    Ok((store, warnings))
}

/// The identities of the ServiceAccounts whose token Secrets the token controller filled, in
/// this run or (restarting from a state) before.
fn mint_legacy_tokens(
    store: &mut Store,
    authority: &TokenAuthority,
    ca_pem: &str,
) -> Vec<Identity> {
    super::tokens::fill_token_secrets(store, authority, ca_pem);
    super::tokens::written_tokens(store)
        .into_iter()
        .map(|minted| Identity {
            name: minted.account.clone(),
            user: UserInfo::service_account(&minted.namespace, &minted.account, &minted.uid),
            token: minted.token,
            namespace: Some(minted.namespace),
            token_kind: "legacy",
        })
        .collect()
}

/// The admin, every static token, and every ServiceAccount (a legacy token when it has one,
/// else a bound token).
fn identities(
    store: &mut Store,
    authority: &TokenAuthority,
    static_tokens: &[(String, UserInfo)],
    admin_token: &str,
    ca_pem: &str,
) -> Vec<Identity> {
    let mut identities = vec![Identity {
        name: "admin".into(),
        user: UserInfo {
            username: "kn-mesh-admin".into(),
            uid: "admin".into(),
            groups: vec![MASTERS_GROUP.into(), "system:authenticated".into()],
            extra: Default::default(),
        },
        token: admin_token.to_string(),
        namespace: None,
        token_kind: "static",
    }];
    for (token, user) in static_tokens {
        identities.push(Identity {
            name: user.username.clone(),
            user: user.clone(),
            token: token.clone(),
            namespace: None,
            token_kind: "static",
        });
    }
    let legacy = mint_legacy_tokens(store, authority, ca_pem);
    let now = jiff::Timestamp::now().as_second();
    let accounts: Vec<(String, String, String)> = store
        .all("", "serviceaccounts")
        .map(|a| {
            (
                text(a, "/metadata/namespace").to_string(),
                text(a, "/metadata/name").to_string(),
                text(a, "/metadata/uid").to_string(),
            )
        })
        .collect();
    for (namespace, name, uid) in accounts {
        if let Some(identity) = legacy
            .iter()
            .find(|i| i.namespace.as_deref() == Some(namespace.as_str()) && i.name == name)
        {
            identities.push(identity.clone());
            continue;
        }
        let (token, _) =
            authority.mint_bound(&namespace, &name, &uid, &[], KUBECONFIG_TOKEN_SECONDS, now);
        identities.push(Identity {
            name: name.clone(),
            user: UserInfo::service_account(&namespace, &name, &uid),
            token,
            namespace: Some(namespace),
            token_kind: "bound",
        });
    }
    // Context names must be unique: qualify a ServiceAccount name used in two namespaces.
    let mut counts: HashMap<String, usize> = HashMap::new();
    for identity in &identities {
        *counts.entry(identity.name.clone()).or_default() += 1;
    }
    for identity in &mut identities {
        if counts[&identity.name] > 1
            && let Some(namespace) = &identity.namespace
        {
            identity.name = format!("{namespace}/{}", identity.name);
        }
    }
    // Any name still taken (a static user called `admin`, two tokens of one user) gets a
    // numbered suffix: kubectl refuses a kubeconfig with two users or contexts of one name.
    // The built-in admin comes first and keeps its name.
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    for identity in &mut identities {
        let base = identity.name.clone();
        let mut suffix = 2;
        while !taken.insert(identity.name.clone()) {
            identity.name = format!("{base}-{suffix}");
            suffix += 1;
        }
    }
    identities
}

impl RunningSim {
    pub async fn start(config: SimConfig) -> Result<RunningSim, SimError> {
        let Beginning {
            mut store,
            authority,
            admin_token,
            ca,
            address,
            restored,
            mut warnings,
        } = begin(&config)?;
        let wanted = config
            .addr
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let addr = match address {
            // A restart listens on the port the kubeconfigs written before it name.
            Some(saved) if wanted.port() == 0 => SocketAddr::new(wanted.ip(), saved.port()),
            Some(saved) if saved.port() != wanted.port() => {
                warnings.push(format!(
                    "listening on port {} as --addr asks: kubeconfigs written before this restart name port {}",
                    wanted.port(),
                    saved.port()
                ));
                wanted
            }
            _ => wanted,
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Listen { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SimError::Listen { addr, source })?;
        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        if !local.ip().is_unspecified() && !names.contains(&local.ip().to_string()) {
            names.push(local.ip().to_string());
        }
        let tls = super::tls::server_tls(&names, ca.as_ref())?;
        let identities = identities(
            &mut store,
            &authority,
            &config.static_tokens,
            &admin_token,
            &tls.ca_pem,
        );
        let mut static_tokens: HashMap<String, UserInfo> =
            config.static_tokens.iter().cloned().collect();
        static_tokens.insert(admin_token.clone(), identities[0].user.clone());
        let mut state = SimState::new(
            store,
            authority,
            static_tokens,
            config.knobs,
            (local.to_string(), tls.ca_pem.clone()),
        );
        state.persisted = config.state_dir.clone().map(|dir| Persisted {
            dir,
            ca: SavedCa {
                cert_pem: tls.ca_pem.clone(),
                key_pem: tls.ca_key_pem.clone(),
            },
            admin_token,
            last_saved: std::sync::Mutex::new(None),
        });
        state.save()?;
        let state = Arc::new(state);
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let app = server::router(state.clone());
        let task = tokio::spawn(serve_tls(
            listener,
            tokio_rustls::TlsAcceptor::from(tls.config),
            app,
            signal,
        ));
        // Listening on every address, the URL names loopback: the certificate covers it.
        let host = match local.ip() {
            ip if ip.is_unspecified() && ip.is_ipv6() => {
                std::net::IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1])
            }
            ip if ip.is_unspecified() => std::net::IpAddr::from([127, 0, 0, 1]),
            ip => ip,
        };
        Ok(RunningSim {
            url: format!("https://{}", SocketAddr::new(host, local.port())),
            warnings,
            restored,
            ca_pem: tls.ca_pem,
            identities,
            state,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// A client that calls the sim's router in-process, as `name` with its token: no TLS, no
    /// socket, so tests that are not about TLS, kubeconfigs or kubectl run cheaper. Requests
    /// go through the same routing, authentication, RBAC and request log as over HTTPS.
    pub fn in_process_client(&self, name: &str) -> Option<kube::Client> {
        let bearer = format!("Bearer {}", self.token(name)?);
        let bearer = axum::http::HeaderValue::from_str(&bearer).ok()?;
        let with_token = move |mut request: axum::extract::Request| {
            let bearer = bearer.clone();
            async move {
                request
                    .headers_mut()
                    .insert(axum::http::header::AUTHORIZATION, bearer);
                request
            }
        };
        let router =
            server::router(self.state.clone()).layer(axum::middleware::map_request(with_token));
        Some(kube::Client::new(router, "default"))
    }

    /// API requests served so far (reading the log aside): what tests and benchmarks count a
    /// client's calls with.
    pub fn requests_served(&self) -> u64 {
        self.state
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .total
    }

    /// The latest requests served, oldest first (at most 10,000).
    pub fn latest_requests(&self) -> Vec<super::request_log::RequestRecord> {
        let log = self
            .state
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        log.latest.iter().cloned().collect()
    }

    pub fn identity(&self, name: &str) -> Option<&Identity> {
        self.identities.iter().find(|i| i.name == name)
    }

    /// The token of an identity, by context name.
    pub fn token(&self, name: &str) -> Option<&str> {
        self.identity(name).map(|i| i.token.as_str())
    }

    /// A kubeconfig with one context per identity; the admin's is current.
    pub fn kubeconfig(&self) -> String {
        let contexts: Vec<Value> = self
            .identities
            .iter()
            .map(|i| {
                let mut context = json!({"cluster": "kn-mesh-sim", "user": i.name});
                if let Some(namespace) = &i.namespace {
                    context["namespace"] = json!(namespace);
                }
                json!({"name": i.name, "context": context})
            })
            .collect();
        let users: Vec<Value> = self
            .identities
            .iter()
            .map(|i| json!({"name": i.name, "user": {"token": i.token}}))
            .collect();
        let config = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kn-mesh-sim", "cluster": {
                "server": self.url,
                "certificate-authority-data": STANDARD.encode(&self.ca_pem),
            }}],
            "contexts": contexts,
            "users": users,
            "current-context": "admin",
            "preferences": {},
        });
        serde_saphyr::to_string(&config).unwrap_or_default()
    }

    /// A kube-rs client configuration for one of the identities (a kubeconfig context).
    pub async fn client_config(
        &self,
        context: &str,
    ) -> Result<kube::Config, kube::config::KubeconfigError> {
        let kubeconfig = kube::config::Kubeconfig::from_yaml(&self.kubeconfig())?;
        let options = kube::config::KubeConfigOptions {
            context: Some(context.to_string()),
            ..Default::default()
        };
        kube::Config::from_custom_kubeconfig(kubeconfig, &options).await
    }

    /// A kube-rs client configuration that presents any token, known to the sim or not.
    pub async fn client_config_with_token(
        &self,
        token: &str,
    ) -> Result<kube::Config, kube::config::KubeconfigError> {
        let mut config = self.client_config("admin").await?;
        config.auth_info = kube::config::AuthInfo {
            token: Some(token.to_string().into()),
            ..Default::default()
        };
        Ok(config)
    }

    /// Turns the knobs (latency, failures) of the running sim.
    pub fn set_knobs(&self, knobs: server::Knobs) {
        *self.state.knobs.write().unwrap_or_else(|e| e.into_inner()) = knobs;
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Accepts TLS connections until told to stop, then drops every open connection (watch streams
/// included) so that stopping does not wait for clients.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    app: axum::Router,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let stop = async {
        let _ = stop.await;
    };
    crate::net::serve(
        listener,
        acceptor,
        app,
        crate::net::Limits::default(),
        stop,
        std::time::Duration::ZERO,
    )
    .await;
}
