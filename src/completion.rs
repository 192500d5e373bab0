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
        clap_complete::Shell::Bash => return Ok(bash_registration(completer).into_bytes()),
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

/// Bash's registration, ours rather than clap_complete's. Bash splits the line into words at
/// the characters of `COMP_WORDBREAKS` (`=`, `:` and `@` among them), so `--context=prod`, an
/// EKS context (`arn:aws:eks:…`) or kubeadm's `kubernetes-admin@kubernetes` would reach
/// kn-mesh as several words. This one joins again what no blank separated, unquotes each word
/// as the program would get it (`'…'`, `"…"`, backslashes; never by running it), asks kn-mesh
/// with clap_complete's protocol, then quotes each candidate for the line (`my\ dir/`) and
/// trims it to the part bash replaces.
fn bash_registration(completer: &str) -> String {
    const SCRIPT: &str = r#"
_kn_mesh_unquote() {
    _kn_mesh_word="$1"
    case "$_kn_mesh_word" in
        \'*) _kn_mesh_word="${_kn_mesh_word#\'}"; _kn_mesh_word="${_kn_mesh_word%\'}" ;;
        \"*) _kn_mesh_word="${_kn_mesh_word#\"}"; _kn_mesh_word="${_kn_mesh_word%\"}" ;;
        *\\*)
            _kn_mesh_word="${_kn_mesh_word//\\\\/$'\001'}"
            _kn_mesh_word="${_kn_mesh_word//\\/}"
            _kn_mesh_word="${_kn_mesh_word//$'\001'/\\}" ;;
    esac
}
_kn_mesh() {
    local IFS=$'\013'
    local line="${COMP_LINE:0:COMP_POINT}" word i
    local -a raw=() words=()
    for (( i = 0; i <= COMP_CWORD; i++ )); do
        local apart=0
        [[ "$line" == [[:blank:]]* ]] && apart=1
        line="${line#"${line%%[![:blank:]]*}"}"
        if (( i < COMP_CWORD )); then word="${COMP_WORDS[i]}"; else word="$line"; fi
        if (( i == 0 || apart )); then
            raw+=("$word")
        else
            raw[${#raw[@]}-1]+="$word"
        fi
        line="${line#"$word"}"
    done
    for word in "${raw[@]}"; do
        _kn_mesh_unquote "$word"
        words+=("$_kn_mesh_word")
    done
    local current="${raw[${#raw[@]}-1]}"
    local kept=$(( ${#current} - ${#2} )) replaced=""
    (( kept > 0 )) && replaced="${current:0:kept}"
    local space=true
    compopt +o nospace 2> /dev/null && space=false
    COMPREPLY=( $( \
        _CLAP_IFS="$IFS" \
        _CLAP_COMPLETE_INDEX="$(( ${#words[@]} - 1 ))" \
        _CLAP_COMPLETE_COMP_TYPE="${COMP_TYPE}" \
        _CLAP_COMPLETE_SPACE="$space" \
        VAR="bash" \
        COMPLETER -- "${words[@]}" \
    ) )
    if [[ $? != 0 ]]; then
        unset COMPREPLY
        return
    fi
    local candidate
    for i in "${!COMPREPLY[@]}"; do
        candidate="${COMPREPLY[i]}"
        if [[ "$current" != [\'\"]* ]]; then
            if [[ "$candidate" == "~/"?* ]]; then
                printf -v candidate '~/%q' "${candidate#"~/"}"
            else
                printf -v candidate '%q' "$candidate"
            fi
        fi
        [[ -n "$replaced" && "$candidate" == "$replaced"* ]] && candidate="${candidate#"$replaced"}"
        COMPREPLY[i]="$candidate"
    done
    if [[ $space == false ]] && [[ "${COMPREPLY-}" =~ [=/:]$ ]]; then
        compopt -o nospace
    fi
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -o nospace -o bashdefault -o nosort -F _kn_mesh kn-mesh
else
    complete -o nospace -o bashdefault -F _kn_mesh kn-mesh
fi
"#;
    SCRIPT
        .replace("COMPLETER", &shell_words::quote(completer))
        .replace("VAR", VAR)
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
    // Lossy: a word that is not UTF-8 (a file name) must not end a Tab in a panic.
    let words = std::env::args_os()
        .skip(1)
        .map(|word| word.to_string_lossy().into_owned());
    if invoked_by_kubectl() {
        words.collect()
    } else {
        words.skip_while(|word| word != "--").skip(1).collect()
    }
}

/// Answers kubectl's completion request: a candidate per line, with its description after a
/// tab, then cobra's directive line: keep this order (the context's namespace first), never
/// fall back to file names (kn-mesh completes paths itself), and no space after a directory.
pub fn answer_kubectl(mut command: clap::Command) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut words: Vec<std::ffi::OsString> = vec!["kn-mesh".into()];
    words.extend(std::env::args_os().skip(1));
    if words.len() == 1 {
        // kubectl always passes the word being completed, empty or not.
        words.push("".into());
    }
    let current = words.len() - 1;
    // `--context=pay`: the engine answers `--context=payments-only`, kubectl wants the value.
    let flag_prefix = words[current]
        .to_str()
        .filter(|word| word.starts_with('-'))
        .and_then(|word| word.split_once('='))
        .map(|(flag, _)| format!("{flag}="));
    command.build();
    let directory = std::env::current_dir().ok();
    let candidates =
        clap_complete::engine::complete(&mut command, words, current, directory.as_deref())?;
    let mut answer = Vec::new();
    for candidate in candidates.iter().filter(|c| !c.is_hide_set()) {
        let value = candidate.get_value().to_string_lossy();
        let value = match &flag_prefix {
            Some(prefix) => value.strip_prefix(prefix.as_str()).unwrap_or(&value),
            None => &value,
        };
        write!(answer, "{value}")?;
        if let Some(help) = candidate.get_help() {
            let help = help.to_string();
            write!(answer, "\t{}", help.lines().next().unwrap_or_default())?;
        }
        writeln!(answer)?;
    }
    let continues = candidates.iter().any(|c| {
        let value = c.get_value().to_string_lossy();
        value.ends_with(['/', '=', ':'])
    });
    writeln!(
        answer,
        ":{}",
        COBRA_KEEP_ORDER | COBRA_NO_FILE_COMPLETION | if continues { COBRA_NO_SPACE } else { 0 }
    )?;
    Ok(answer)
}

/// cobra's `ShellCompDirective` bits, which kubectl reads from a plugin completer's last line.
const COBRA_NO_SPACE: u8 = 2;
const COBRA_NO_FILE_COMPLETION: u8 = 4;
const COBRA_KEEP_ORDER: u8 = 32;

/// The value of `--flag VALUE` or `--flag=VALUE` on the command line being completed (the last
/// one given), so that `--kubeconfig` and `--context` typed earlier are honoured.
fn flag_value(words: &[String], flag: &str) -> Option<String> {
    values_of(words, &[flag])
        .pop()
        .filter(|value| !value.is_empty())
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
        .filter(|(name, _)| !name.is_empty() && !name.chars().any(char::is_control))
        .filter(|(name, _)| name.starts_with(prefix.as_ref()))
        .map(|(name, help)| (name, help.filter(|h| !h.chars().any(char::is_control))))
        .map(|(name, help)| CompletionCandidate::new(name).help(help.map(Into::into)))
        .collect()
}

/// `--context`: the kubeconfig's contexts, each with its cluster and namespace.
pub fn contexts(current: &OsStr) -> Vec<CompletionCandidate> {
    let options = line_connection(&command_line());
    let contexts = crate::source::names::kubeconfig_contexts(options.kubeconfig.as_deref());
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

/// `-n`: with `--demo` or `--demo-identity`, the demo's namespaces; else the context's
/// namespace, then the cluster's as that context's user may list them (else the namespaces the
/// other contexts name); never one already given on the line.
pub fn namespaces(current: &OsStr) -> Vec<CompletionCandidate> {
    let words = command_line();
    let given = values_of(
        &words[..words.len().saturating_sub(1)],
        &["-n", "--namespace"],
    );
    let demo = |word: &String| word == "--demo" || word.starts_with("--demo-identity");
    let names = if words.iter().any(demo) {
        let mut names = crate::source::names::demo_namespaces();
        names.retain(|name| !given.contains(name));
        names
    } else {
        let options = line_connection(&words);
        let asked = options.clone();
        let from_cluster = within(CLUSTER_WAIT, move |wait| async move {
            crate::source::names::cluster_namespaces(&asked, wait).await
        });
        crate::source::names::namespaces(&options, from_cluster, &given)
    };
    starting_with(current, names.into_iter().map(|name| (name, None)))
}

/// A path typed as `~/…` on the line: the shell expands `~` only once the line runs.
fn home_expanded(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => path.into(),
    }
}

/// Every value of the flags `names` (`-n x`, `--namespace x`, `--namespace=x`) in `words`.
fn values_of(words: &[String], names: &[&str]) -> Vec<String> {
    let mut values = Vec::new();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if names.contains(&word.as_str()) {
            values.extend(words.next().cloned());
        } else if let Some((flag, value)) = word.split_once('=')
            && names.contains(&flag)
        {
            values.push(value.to_string());
        }
    }
    values
}

/// `--as`: the cluster's ServiceAccounts as `system:serviceaccount:NS:NAME`, as the context's
/// user may list them (none when refused or slow).
pub fn impersonated_users(current: &OsStr) -> Vec<CompletionCandidate> {
    let words = command_line();
    let options = line_connection(&words);
    let users = within(CLUSTER_WAIT, move |wait| async move {
        crate::source::names::cluster_service_accounts(&options, wait).await
    });
    starting_with(
        current,
        users
            .unwrap_or_default()
            .into_iter()
            .map(|user| (user, None)),
    )
}

/// How the line being completed connects: `--kubeconfig` (with `~/` expanded) and `--context`.
fn line_connection(words: &[String]) -> ConnectOptions {
    ConnectOptions {
        kubeconfig: flag_value(words, "--kubeconfig").map(|path| home_expanded(&path)),
        context: flag_value(words, "--context"),
        ..Default::default()
    }
}

/// What `ask` finds, or `None` if it is not there by `wait`. Asked on a thread of its own: a
/// kubeconfig's exec credential plugin runs synchronously and may take its time, and a Tab
/// must come back regardless. The thread ends with the process, as soon as the candidates are
/// written; a plugin it started runs on until it ends.
fn within<T, F, Fut>(wait: Duration, ask: F) -> Option<T>
where
    T: Send + 'static,
    F: FnOnce(Duration) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<T>>,
{
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        let _ = sender.send(runtime.block_on(ask(wait)));
    });
    receiver.recv_timeout(wait).ok().flatten()
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
