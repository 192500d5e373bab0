//! Shell completion, one mechanism for every shell: the script `kn-mesh completions SHELL`
//! prints registers kn-mesh itself as the completer (clap_complete's dynamic completion), so
//! on each Tab the shell asks kn-mesh, with `KN_MESH_COMPLETE` set, what may come next.
//! Subcommands, flags and enumerated values complete from the command's own definition;
//! `--context` from the kubeconfig, and `-n` from the kubeconfig and the cluster.

use crate::source::connect::ConnectOptions;
use clap_complete::engine::CompletionCandidate;
use std::ffi::OsStr;
use std::time::Duration;

/// The environment variable that turns a run of kn-mesh into a completion request. Our own
/// name rather than clap's `COMPLETE`, which another tool might set for its own reasons.
pub const VAR: &str = "KN_MESH_COMPLETE";

/// How long `-n` completion waits for the cluster: a Tab that hangs is worse than one that
/// offers only the kubeconfig's namespaces.
const CLUSTER_WAIT: Duration = Duration::from_secs(1);

/// The registration script for `shell`: sourced, it makes the shell call `completer` (this
/// binary, as it was invoked) on each Tab after `kn-mesh`.
pub fn registration(shell: clap_complete::Shell, completer: &str) -> std::io::Result<Vec<u8>> {
    use clap_complete::env::EnvCompleter;
    let by_shell: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &clap_complete::env::Bash,
        clap_complete::Shell::Elvish => &clap_complete::env::Elvish,
        clap_complete::Shell::Fish => &clap_complete::env::Fish,
        clap_complete::Shell::PowerShell => &clap_complete::env::Powershell,
        clap_complete::Shell::Zsh => &clap_complete::env::Zsh,
        // clap_complete::Shell is non-exhaustive: a shell it adds later gets an honest error.
        other => {
            return Err(std::io::Error::other(format!(
                "no dynamic completion for {other}"
            )));
        }
    };
    let mut script = Vec::new();
    by_shell.write_registration(VAR, "kn-mesh", "kn-mesh", completer, &mut script)?;
    Ok(script)
}

/// The name kubectl looks for on PATH to complete `kubectl kn-mesh …` (kubectl 1.26 and later):
/// a link to kn-mesh under this name answers kubectl's completion requests.
pub const KUBECTL_COMPLETER: &str = "kubectl_complete-kn_mesh";

/// Whether kn-mesh was started as kubectl's completer for it.
pub fn invoked_by_kubectl() -> bool {
    std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .is_some_and(|path| path.file_name() == Some(OsStr::new(KUBECTL_COMPLETER)))
}

/// The words the shell is completing: after `--` in a shell's request; all of them after the
/// program's name in kubectl's, which passes the words after `kubectl kn-mesh`.
fn command_line() -> Vec<String> {
    let words = std::env::args().skip(1);
    if invoked_by_kubectl() {
        words.collect()
    } else {
        words.skip_while(|word| word != "--").skip(1).collect()
    }
}

/// Answers kubectl's completion request: a candidate per line, with its description after a
/// tab, as cobra's `__complete` prints them. No directive line follows, so kubectl's default
/// applies: with no candidate (a `-f` path), the shell completes file names.
pub fn answer_kubectl(mut command: clap::Command) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut words: Vec<std::ffi::OsString> = vec!["kn-mesh".into()];
    words.extend(std::env::args_os().skip(1));
    if words.len() == 1 {
        // kubectl always passes the word being completed, empty or not.
        words.push("".into());
    }
    let current = words.len() - 1;
    command.build();
    let directory = std::env::current_dir().ok();
    let candidates =
        clap_complete::engine::complete(&mut command, words, current, directory.as_deref())?;
    let mut answer = Vec::new();
    for candidate in candidates.iter().filter(|c| !c.is_hide_set()) {
        write!(answer, "{}", candidate.get_value().to_string_lossy())?;
        if let Some(help) = candidate.get_help() {
            let help = help.to_string();
            write!(answer, "\t{}", help.lines().next().unwrap_or_default())?;
        }
        writeln!(answer)?;
    }
    Ok(answer)
}

/// The value of `--flag VALUE` or `--flag=VALUE` on the command line being completed (the last
/// one given), so that `--kubeconfig` and `--context` typed earlier are honoured.
fn flag_value(words: &[String], flag: &str) -> Option<String> {
    let mut found = None;
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if word == flag {
            found = words.next().cloned();
        } else if let Some(value) = word.strip_prefix(flag).and_then(|w| w.strip_prefix('=')) {
            found = Some(value.to_string());
        }
    }
    found.filter(|value| !value.is_empty())
}

fn starting_with<'a>(
    current: &OsStr,
    names: impl IntoIterator<Item = (String, Option<String>)> + 'a,
) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    names
        .into_iter()
        // Every shell's protocol is a candidate per line, its help after a tab: a name with a
        // control character in it (from a hand-edited kubeconfig) would forge candidates.
        .filter(|(name, _)| !name.chars().any(char::is_control))
        .filter(|(name, _)| name.starts_with(prefix.as_ref()))
        .map(|(name, help)| (name, help.filter(|h| !h.chars().any(char::is_control))))
        .map(|(name, help)| CompletionCandidate::new(name).help(help.map(Into::into)))
        .collect()
}

/// `--context`: the kubeconfig's contexts, each with its cluster and namespace.
pub fn contexts(current: &OsStr) -> Vec<CompletionCandidate> {
    let words = command_line();
    let kubeconfig = flag_value(&words, "--kubeconfig").map(std::path::PathBuf::from);
    let contexts = crate::source::names::kubeconfig_contexts(kubeconfig.as_deref());
    starting_with(
        current,
        contexts.into_iter().map(|context| {
            let mut help = format!("cluster {}", context.cluster);
            if let Some(namespace) = &context.namespace {
                help.push_str(&format!(", namespace {namespace}"));
            }
            if context.current {
                help.push_str(" (current)");
            }
            (context.name, Some(help))
        }),
    )
}

/// `--demo-identity`: the demo's identities.
pub fn demo_identities(current: &OsStr) -> Vec<CompletionCandidate> {
    let identities = crate::source::demo::IDENTITIES.iter();
    starting_with(current, identities.map(|name| (name.to_string(), None)))
}

/// `-n`: with `--demo`, the demo's namespaces; else the namespaces of the context in use and of the cluster it names, as that context's
/// user may list them, then those the other contexts name.
pub fn namespaces(current: &OsStr) -> Vec<CompletionCandidate> {
    let words = command_line();
    if words.iter().any(|word| word == "--demo") {
        let names = crate::source::names::demo_namespaces();
        return starting_with(current, names.into_iter().map(|name| (name, None)));
    }
    let options = ConnectOptions {
        kubeconfig: flag_value(&words, "--kubeconfig").map(Into::into),
        context: flag_value(&words, "--context"),
        ..Default::default()
    };
    let from_cluster = cluster_namespaces_within(options.clone(), CLUSTER_WAIT);
    let names = crate::source::names::namespaces(&options, from_cluster);
    starting_with(current, names.into_iter().map(|name| (name, None)))
}

/// The cluster's namespaces, or none if they are not there by `wait`. Asked on a thread of its
/// own: a kubeconfig's exec credential plugin runs synchronously and may take its time (or
/// wait for a login), and a Tab must come back regardless. An abandoned thread ends with the
/// process, which exits as soon as the candidates are written.
fn cluster_namespaces_within(options: ConnectOptions, wait: Duration) -> Vec<String> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        let names = runtime.block_on(crate::source::names::cluster_namespaces(&options, wait));
        let _ = sender.send(names);
    });
    receiver.recv_timeout(wait).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(String::from).collect()
    }

    #[test]
    fn the_last_flag_value_counts_in_either_spelling() {
        let line = words("kn-mesh --context a --kubeconfig=/k --context b -n");
        assert_eq!(flag_value(&line, "--context").as_deref(), Some("b"));
        assert_eq!(flag_value(&line, "--kubeconfig").as_deref(), Some("/k"));
        assert_eq!(flag_value(&words("kn-mesh --context"), "--context"), None);
        assert_eq!(
            flag_value(&words("kn-mesh --contexts x"), "--context"),
            None
        );
    }

    #[test]
    fn only_names_with_the_typed_prefix_are_offered() {
        let offered = starting_with(
            OsStr::new("pro"),
            [("prod".to_string(), None), ("staging".to_string(), None)],
        );
        let values: Vec<_> = offered.iter().map(|c| c.get_value().to_owned()).collect();
        assert_eq!(values, ["prod"]);
        let forged = starting_with(
            OsStr::new(""),
            [
                ("a\nrm -rf".to_string(), None),
                ("b".to_string(), Some("x\ty".to_string())),
            ],
        );
        assert_eq!(forged.len(), 1, "a name with a line break is no candidate");
        assert_eq!(forged[0].get_help(), None, "a help with a tab is dropped");
    }
}
