//! `kn-mesh rbac`: least-privilege manifests for the kinds in use.

use super::write_stdout;
use crate::cli::{Cli, RbacArgs, UsageError};
use crate::{access, exit, mesh, source};

pub fn run(cli: &Cli, args: &RbacArgs) -> color_eyre::Result<u8> {
    for namespace in &cli.connect().namespaces.namespaces {
        crate::k8s::check_label("the namespace", namespace)
            .map_err(|e| UsageError(e.to_string()))?;
    }
    // Least privilege from part of the manifests would be wrong: any problem fails.
    let snapshot = if args.filenames.is_empty() {
        mesh::Snapshot::default()
    } else {
        let read = source::manifests::read_snapshot(&args.filenames, None)?;
        if !read.problems.is_empty() {
            return Err(source::manifests::ManifestError::Several(read.problems).into());
        }
        // A saved mesh holds no manifests to learn kinds from: RBAC for nothing would pass.
        if read.saved.is_some() {
            return Err(UsageError(
                "rbac -f learns the kinds from manifests; a saved kn-mesh output holds none".into(),
            )
            .into());
        }
        read.snapshot
    };
    let options = access::least_privilege::Options {
        purpose: args.purpose.into(),
        service_account: args.service_account.clone(),
        namespace: args.sa_namespace.clone(),
        namespaces: cli.connect().namespaces.namespaces.clone(),
        legacy_token_secret: args.legacy_token_secret,
    };
    let manifests = access::least_privilege::manifests(&options, &snapshot)
        .map_err(|e| UsageError(e.to_string()))?;
    write_stdout(&manifests)?;
    Ok(exit::OK)
}
