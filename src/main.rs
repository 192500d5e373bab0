use clap::Parser;
use color_eyre::eyre::WrapErr;
use kn_mesh::cli::{
    AuthArgs, Cli, Command, RbacArgs, ReportFormat, ServeArgs, SimCommand, SimServeArgs, UsageError,
};
use kn_mesh::mesh::views::View;
use kn_mesh::output::{self, Format};
use kn_mesh::sim::{RunningSim, SimConfig, auth, server::Knobs};
use kn_mesh::source::{connect, fetch};
use kn_mesh::{access, demo, exit, mesh, source, tui};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    // Installed first so that a panic anywhere, later inside the TUI too, is reported properly.
    let _ = color_eyre::install();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(report) => {
            // Error texts carry names, paths and server messages: escaped before the terminal.
            eprintln!("kn-mesh: {}", output::escape_lines(&report.to_string()));
            for cause in report.chain().skip(1) {
                eprintln!("  caused by: {}", output::escape_lines(&cause.to_string()));
            }
            ExitCode::from(exit::code_for(&report))
        }
    }
}

fn run(cli: Cli) -> color_eyre::Result<u8> {
    // A namespace goes into request paths: one that is not a name is bad input, as in kubectl.
    for namespace in &cli.connect.namespaces {
        kn_mesh::k8s::check_label("the namespace", namespace)
            .map_err(|e| UsageError(e.to_string()))?;
    }
    match &cli.command {
        Some(Command::Sim {
            command: SimCommand::Serve(args),
        }) => {
            let runtime =
                tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
            runtime.block_on(sim_serve(args.clone()))
        }
        Some(Command::Auth(args)) => {
            let runtime =
                tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
            runtime.block_on(auth(&cli, args))
        }
        Some(Command::Rbac(args)) => rbac(&cli, args),
        Some(Command::Serve(args)) => {
            let runtime =
                tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
            runtime.block_on(serve(&cli, args))
        }
        None => print_mesh(&cli),
    }
}

/// `kn-mesh auth`: the access report for the token the source flags give.
async fn auth(cli: &Cli, args: &AuthArgs) -> color_eyre::Result<u8> {
    let mut _sim = None;
    let (config, endpoint) = match &args.demo_identity {
        Some(identity) => {
            let sim = demo::start().await?;
            if sim.identity(identity).is_none() {
                return Err(UsageError(format!(
                    "the demo has no identity {identity:?}: use {}",
                    tui::DEMO_IDENTITIES.join(", ")
                ))
                .into());
            }
            let config = sim.client_config(identity).await?;
            let endpoint = connect::Endpoint {
                server: sim.url.clone(),
                context: Some(identity.clone()),
                token: None,
            };
            _sim = Some(sim);
            (config, endpoint)
        }
        None => connect::config(&cli.connect.options()).await?,
    };
    let token = bearer_token(&config);
    let scope = fetch::Scope {
        namespaces: (!cli.connect.namespaces.is_empty()).then(|| cli.connect.namespaces.clone()),
        default_namespace: Some(config.default_namespace.clone()),
    };
    let fetcher =
        fetch::Fetcher::new(connect::client(config)?, endpoint).with_secret(token.as_deref());
    let report = access::check(&fetcher, &scope, token.as_deref()).await?;
    let text = match args.output {
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        ReportFormat::Text => {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            access::render::text(&report, color, jiff::Timestamp::now().as_second())
        }
    };
    write_stdout(&text)?;
    Ok(exit::for_verdict(report.verdict()))
}

/// `kn-mesh serve`: the eventmesh backend, with no credentials of its own.
async fn serve(cli: &Cli, args: &ServeArgs) -> color_eyre::Result<u8> {
    let options = cli.connect.options();
    if options.token.is_some() || options.token_file.is_some() {
        return Err(UsageError(
            "serve uses each caller's token, never its own: drop --token and --token-file".into(),
        )
        .into());
    }
    let (mut base, endpoint) = connect::config(&options).await?;
    // As the Go backend: the server's own credentials are never used.
    base.auth_info = kube::config::AuthInfo::default();
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .wrap_err_with(|| format!("cannot listen on {}", args.addr))?;
    write_stdout(&format!("http://{}\n", listener.local_addr()?))?;
    eprintln!(
        "serving GET /v1/getEventMesh for {} (callers' tokens only){}",
        endpoint.server,
        if args.partial {
            ", partial meshes allowed"
        } else {
            ""
        }
    );
    let state = kn_mesh::serve::ServeState {
        base,
        partial: args.partial,
        request_timeout: args.request_timeout,
    };
    kn_mesh::serve::serve_on(listener, state, shutdown_signal()).await?;
    Ok(exit::OK)
}

/// The bearer token the configuration will present, to inspect it (never to print it).
fn bearer_token(config: &kube::Config) -> Option<String> {
    use secrecy::ExposeSecret;
    match (&config.auth_info.token, &config.auth_info.token_file) {
        (Some(token), _) => Some(token.expose_secret().to_string()),
        (None, Some(path)) => std::fs::read_to_string(path)
            .ok()
            .map(|t| t.trim().to_string()),
        _ => None,
    }
}

/// `kn-mesh rbac`: least-privilege manifests for the kinds in use.
fn rbac(cli: &Cli, args: &RbacArgs) -> color_eyre::Result<u8> {
    // Least privilege from part of the manifests would be wrong: any problem fails.
    let snapshot = if args.filenames.is_empty() {
        mesh::Snapshot::default()
    } else {
        let read = source::manifests::read_snapshot(&args.filenames, None)?;
        if !read.problems.is_empty() {
            return Err(source::manifests::ManifestError::Several(read.problems).into());
        }
        read.snapshot
    };
    let options = access::least_privilege::Options {
        purpose: args.purpose.into(),
        service_account: args.service_account.clone(),
        namespace: args.sa_namespace.clone(),
        namespaces: cli.connect.namespaces.clone(),
        legacy_token_secret: args.legacy_token_secret,
    };
    let manifests = access::least_privilege::manifests(&options, &snapshot)
        .map_err(|e| UsageError(e.to_string()))?;
    write_stdout(&manifests)?;
    Ok(exit::OK)
}

/// The face: the TUI on a terminal unless -o was given; printed output otherwise.
// Long: one branch per source; to become one SourceSpec and `source::open` (issue 11).
#[allow(clippy::too_many_lines)]
fn print_mesh(cli: &Cli) -> color_eyre::Result<u8> {
    let interactive = cli.output.is_none() && std::io::stdout().is_terminal();
    if !cli.filenames.is_empty() && (cli.connect.server.is_some() || cli.connect.context.is_some())
    {
        return Err(UsageError(
            "-f reads manifests: it does not go with --server or --context".into(),
        )
        .into());
    }
    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let options = tui::Options {
            mouse: !cli.no_mouse,
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            refresh: cli
                .refresh
                .unwrap_or(Duration::from_secs(if cli.backend.is_some() {
                    60
                } else {
                    30
                })),
        };
        // The backend, from --backend or from Backstage's app-config.
        let backend_source = if let Some(url) = &cli.backend {
            Some((
                url.clone(),
                connect::explicit_token(&cli.connect.options())?,
                None,
            ))
        } else if !cli.backstage_config.is_empty() {
            let explicit = connect::explicit_token(&cli.connect.options())?;
            let env = |name: &str| std::env::var(name).ok();
            match source::backstage::provider(&cli.backstage_config, cli.provider.as_deref(), &env)
            {
                // Several providers and none chosen: on a terminal, the TUI asks.
                Err(source::backstage::AppConfigError::Ambiguous(ids)) if interactive => {
                    let choice = tui::ProviderChoice {
                        paths: cli.backstage_config.clone(),
                        ids,
                        tls: cli.connect.options(),
                        token: explicit,
                        timeout: cli.timeout,
                        max_body: cli.max_body,
                        refresh: cli.refresh,
                    };
                    tui::run(tui::Feed::PickProvider { choice }, options).await?;
                    return Ok(exit::OK);
                }
                result => {
                    let provider = result?;
                    Some((
                        provider.base_url,
                        explicit.or(provider.token),
                        provider.frequency,
                    ))
                }
            }
        } else {
            None
        };
        if let Some((url, token, frequency)) = backend_source {
            let backend =
                source::backend::Backend::new(&url, token, &cli.connect.options(), cli.timeout)?
                    .with_max_body(cli.max_body);
            if interactive {
                let refresh = cli.refresh.or(frequency).unwrap_or(Duration::from_secs(60));
                tui::run(
                    tui::Feed::Backend { backend },
                    tui::Options { refresh, ..options },
                )
                .await?;
                return Ok(exit::OK);
            }
            return print(cli, backend.mesh().await?);
        }
        if cli.demo {
            let sim = demo::start().await?;
            if interactive {
                tui::run(tui::Feed::Demo { sim, identity: 0 }, options).await?;
                return Ok(exit::OK);
            }
            let config = sim.client_config(tui::DEMO_IDENTITIES[0]).await?;
            let endpoint = connect::Endpoint {
                server: sim.url.clone(),
                context: Some(tui::DEMO_IDENTITIES[0].into()),
                token: None,
            };
            let snapshot = fetch::Fetcher::new(kube::Client::try_from(config)?, endpoint)
                .fetch(&fetch::Scope::default())
                .await?;
            return print(cli, mesh::build(snapshot));
        }
        if !cli.filenames.is_empty() {
            // As kubectl: the last -n is the namespace of objects that name none.
            let namespace = cli.connect.namespaces.last().cloned();
            if interactive {
                let feed = tui::Feed::Files {
                    paths: cli.filenames.clone(),
                    namespace,
                };
                tui::run(feed, options).await?;
                return Ok(exit::OK);
            }
            return print_files(cli, namespace.as_deref());
        }
        let (config, endpoint) = connect::config(&cli.connect.options()).await?;
        let scope = fetch::Scope {
            namespaces: (!cli.connect.namespaces.is_empty())
                .then(|| cli.connect.namespaces.clone()),
            default_namespace: Some(config.default_namespace.clone()),
        };
        let bearer = bearer_token(&config);
        let fetcher = fetch::Fetcher::new(connect::client(config)?, endpoint.clone())
            .with_secret(bearer.as_deref());
        if interactive {
            let feed = tui::Feed::Live {
                fetcher: std::sync::Arc::new(fetcher),
                scope,
                label: endpoint.to_string(),
                token: bearer,
            };
            tui::run(feed, options).await?;
            return Ok(exit::OK);
        }
        let snapshot = fetcher
            .fetch(&scope)
            .await
            .map_err(|e| access::explain_rejection(e, bearer.as_deref()))?;
        print(cli, mesh::build(snapshot))
    })
}

/// Prints the mesh read from files. Each bad file or object is reported with its file and line,
/// the rest is printed, and the exit code is 2.
fn print_files(cli: &Cli, namespace: Option<&str>) -> color_eyre::Result<u8> {
    let read = source::manifests::read_snapshot(&cli.filenames, namespace)?;
    for warning in &read.warnings {
        eprintln!("kn-mesh: warning: {}", output::escape(warning));
    }
    for problem in &read.problems {
        eprintln!("kn-mesh: {}", output::escape_lines(&problem.to_string()));
    }
    // Every problem was just reported with its file and line; the output marks them in place.
    // An object of the wrong type is data that did not decode (exit 4, as from a cluster); a
    // file that could not be read is bad input (exit 2), and `-o eventmesh` prints nothing
    // past it without --partial.
    let printed = print_with(cli, mesh::build(read.snapshot), read.problems.is_empty());
    if !read.problems.iter().any(|p| p.is_unreadable()) {
        return printed;
    }
    if let Err(report) = printed {
        eprintln!("kn-mesh: {}", output::escape_lines(&report.to_string()));
    }
    Ok(exit::BAD_INPUT)
}

/// Prints the mesh with its markers. Denied data is data (exit 0); anything that failed or did
/// not decode makes the exit code 4. `-o eventmesh` fails closed, as the backend does.
fn print(cli: &Cli, mesh: mesh::Mesh) -> color_eyre::Result<u8> {
    print_with(cli, mesh, true)
}

fn print_with(cli: &Cli, mesh: mesh::Mesh, list_failures: bool) -> color_eyre::Result<u8> {
    let format = cli.output.unwrap_or(Format::Tree);
    let views: Vec<View> = if cli.view.is_empty() {
        View::ALL.to_vec()
    } else {
        cli.view.iter().map(|&v| v.into()).collect()
    };
    let completeness = mesh.completeness();
    if format == Format::Eventmesh {
        let body = mesh::eventmesh::answer(&mesh, cli.partial)?;
        write_stdout(&format!("{}\n", serde_json::to_string_pretty(&body)?))?;
    } else {
        write_stdout(&output::render(&mesh, format, &views)?)?;
    }
    if completeness.failed.is_empty() {
        return Ok(exit::OK);
    }
    if !list_failures {
        return Ok(exit::INCOMPLETE);
    }
    eprintln!(
        "kn-mesh: incomplete: {} request(s) failed or object(s) could not be decoded; they are marked in place",
        completeness.failed.len()
    );
    for cause in &completeness.failed {
        eprintln!("  {}", output::escape(cause));
    }
    Ok(exit::INCOMPLETE)
}

async fn sim_serve(args: SimServeArgs) -> color_eyre::Result<u8> {
    let objects = source::manifests::read_objects(&args.filenames)?;
    let static_tokens = match &args.token_file {
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
        },
        addr: Some(args.addr),
    };
    let sim = RunningSim::start(config).await?;
    if let Some(path) = &args.kubeconfig_out {
        write_private(path, &sim.kubeconfig())
            .wrap_err_with(|| format!("cannot write {}", path.display()))?;
        eprintln!(
            "kubeconfig: {} (contexts: {})",
            path.display(),
            sim.identities
                .iter()
                .map(|i| format!("{} [{}]", output::escape(&i.name), i.token_kind))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // The URL is the first line, so scripts can read it; the kubeconfig is ready by then.
    write_stdout(&format!("{}\n", sim.url))?;
    eprintln!("serving until interrupted (Ctrl-C)");
    shutdown_signal().await;
    sim.stop().await;
    Ok(exit::OK)
}

/// Writes a file that holds tokens: created with mode 0600, so it is never readable by others,
/// not even for a moment; an existing file is truncated and narrowed to 0600 too.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(text.as_bytes())
    }
    #[cfg(not(unix))]
    {
        options.open(path)?.write_all(text.as_bytes())
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Writes to stdout; a closed pipe (`| head`) is a normal way to stop reading, not an error.
fn write_stdout(text: &str) -> color_eyre::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.wrap_err("cannot write to stdout"),
    }
}
