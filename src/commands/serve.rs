//! `kn-mesh serve` (the eventmesh backend) and `kn-mesh sim serve` (the simulated cluster):
//! the two long-running servers, each until Ctrl-C or SIGTERM.

use super::write_stdout;
use crate::cli::{ConsumersArg, ServeArgs, SimServeArgs, UsageError};
use crate::sim::{RunningSim, SimConfig, auth, server::Knobs};
use crate::source::connect;
use crate::source::spec::{Origin, SourceSpec};
use crate::{exit, source};
use color_eyre::eyre::WrapErr;

/// `kn-mesh serve`. It serves many callers, each with their own token, so it takes the API
/// server from the spec and makes a fetcher per request rather than following one source.
pub async fn backend(spec: SourceSpec, args: &ServeArgs) -> color_eyre::Result<u8> {
    let Origin::Cluster(options) = spec.origin else {
        return Err(UsageError(
            "serve reads an API server with each caller's token: it does not go with -f, --demo, \
             --backend or --backstage-config"
                .into(),
        )
        .into());
    };
    if options.token.is_some() || options.token_file.is_some() {
        return Err(UsageError(
            "serve uses each caller's token, never its own: drop --token and --token-file".into(),
        )
        .into());
    }
    let (mut base, endpoint) = connect::config(&options).await?;
    // As the Go backend: the server's own credentials are never used.
    base.auth_info = kube::config::AuthInfo::default();
    // For rehearsal only: every caller's request then acts as this user.
    if let Some(whom) = &options.impersonate {
        say!(
            "kn-mesh: WARNING: --as {}: every caller's request acts as this user (testing only)",
            crate::text::escape(&whom.user)
        );
        crate::source::connect::impersonate(&mut base, Some(whom));
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .wrap_err_with(|| format!("cannot listen on {}", args.addr))?;
    write_stdout(&format!("http://{}\n", listener.local_addr()?))?;
    let partial = if args.partial {
        ", partial meshes allowed"
    } else {
        ""
    };
    let consumers = match args.consumers {
        ConsumersArg::Backend => "",
        ConsumersArg::Exact => ", consumedBy by Knative's filter semantics",
    };
    say!(
        "serving GET /v1/getEventMesh for {} (callers' tokens only){partial}{consumers}",
        crate::text::escape(&endpoint.server)
    );
    let mut state =
        crate::serve::ServeState::new(base, args.partial, args.request_timeout, args.cache_ttl);
    state.consumers = args.consumers.into();
    state.scope.namespaces = (!spec.namespaces.is_empty()).then(|| spec.namespaces.clone());
    crate::serve::serve_on(listener, state, shutdown_signal()).await?;
    Ok(exit::OK)
}

/// `kn-mesh sim serve`.
pub async fn sim(args: SimServeArgs) -> color_eyre::Result<u8> {
    // Without -f (allowed with --state-dir), the cluster starts with Knative installed only.
    let (objects, duplicates) = if args.filenames.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        source::manifests::read_objects(&args.filenames)?
    };
    // The same object given twice: the later one is served, and that is said.
    for warning in &duplicates {
        say!("kn-mesh sim: {}", crate::text::escape(warning));
    }
    let static_tokens = match &args.token_auth_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .wrap_err_with(|| format!("cannot read {}", path.display()))?;
            auth::parse_token_file(&text)
                .map_err(|e| UsageError(format!("{}: {e}", path.display())))?
        }
        None => Vec::new(),
    };
    let config = SimConfig {
        objects,
        static_tokens,
        knobs: Knobs {
            latency: args.latency,
            fail_rate: args.fail_rate,
            fail_path: None,
            max_inflight: args.max_inflight.and_then(|n| usize::try_from(n).ok()),
        },
        addr: Some(args.addr),
        state_dir: args.state_dir.clone(),
    };
    let sim = RunningSim::start(config).await?;
    for warning in &sim.warnings {
        say!("kn-mesh sim: {}", crate::text::escape(warning));
    }
    if args.kubeconfig_out.is_none() {
        say!(
            "no --kubeconfig-out: the tokens to use this cluster are written nowhere (pass --kubeconfig-out FILE)"
        );
    }
    if let (true, Some(dir)) = (sim.restored, &args.state_dir) {
        let ignored = if args.filenames.is_empty() {
            String::new()
        } else {
            "; the -f manifests were not applied again (kubectl apply them to change it)".into()
        };
        say!(
            "restored the cluster saved in {}{ignored}",
            crate::text::escape(&dir.display().to_string())
        );
    }
    if let Some(path) = &args.kubeconfig_out {
        crate::sim::persist::write_private(path, sim.kubeconfig().as_bytes())
            .wrap_err_with(|| format!("cannot write {}", path.display()))?;
        let contexts: Vec<String> = sim
            .identities
            .iter()
            .map(|i| format!("{} [{}]", crate::text::escape(&i.name), i.token_kind))
            .collect();
        say!(
            "kubeconfig: {} (contexts: {})",
            path.display(),
            contexts.join(", ")
        );
    }
    let stop = shutdown_signal();
    // The URL is the first line, so scripts can read it; the kubeconfig is ready by then.
    write_stdout(&format!("{}\n", sim.url))?;
    say!("serving until interrupted (Ctrl-C)");
    stop.await;
    sim.stop().await;
    Ok(exit::OK)
}

/// Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the future is
/// first polled: a stop that comes right after the URL is printed is a stop, not a kill.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let term = signal(SignalKind::terminate()).ok();
        async move {
            match (interrupt, term) {
                (Some(mut interrupt), Some(mut term)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
