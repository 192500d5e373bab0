//! `kn-mesh auth`: the access report for the identity the source flags name.

use super::{color_wanted, write_stdout};
use crate::cli::{AuthArgs, ReportFormat, UsageError};
use crate::source::spec::{Origin, SourceSpec};
use crate::{access, exit, source};

pub async fn run(mut spec: SourceSpec, args: &AuthArgs) -> color_eyre::Result<u8> {
    if let Some(identity) = &args.demo_identity {
        // The demo's identities are tokens of their own: acting as someone else is for a
        // cluster connection, and ignoring --as would report on the wrong identity.
        if let Origin::Cluster(options) = &spec.origin
            && options.impersonate.is_some()
        {
            return Err(UsageError(
                "--as acts on a cluster connection: not with --demo-identity (kubectl --as against `kn-mesh sim serve` does that)".into(),
            )
            .into());
        }
        spec.origin = Origin::Demo {
            identity: identity.clone(),
        };
    }
    let opened = source::open(spec, false).await?;
    let Some(cluster) = opened.connection().cluster else {
        return Err(UsageError(
            "auth asks the API server about a token: give a kubeconfig, --server, or --demo-identity \
             (not -f or a backend)"
                .into(),
        )
        .into());
    };
    let report = access::check(&cluster.fetcher, &cluster.scope, cluster.token.as_deref())
        .await?
        .only_for(&args.purpose.purposes());
    let text = match args.output {
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        ReportFormat::Text => {
            let now = jiff::Timestamp::now().as_second();
            access::render::text(&report, color_wanted(), now)
        }
    };
    write_stdout(&text)?;
    Ok(exit::for_verdict(report.verdict()))
}
