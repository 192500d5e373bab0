//! End to end: `kn-mesh --demo` in a real terminal (tmux), driven with keys and read back
//! with capture-pane, as a person would use it. Runs whenever tmux is installed; `.ci/run`
//! installs it.

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
    session: &'static str,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", self.session])
    }

    /// The screen with its colours, as escape sequences.
    fn screen_with_styles(&self) -> String {
        self.run(&["capture-pane", "-p", "-e", "-t", self.session])
    }

    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} never appeared; the screen was:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Tmux {
    /// Types `/`, then the text, waits until `echo` shows it was all read, then Enter: keys
    /// sent at once may be read half-way.
    fn search(&self, text: &str, echo: &str) {
        self.send(&["/"]);
        self.send(&["-l", text]);
        self.wait_for(echo);
        self.send(&["Enter"]);
    }

    /// Waits until the text is gone from the screen (a popup closed). Keys are sent after it,
    /// not with it: an Escape followed at once by a key reads as Alt and that key.
    fn wait_gone(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.screen().contains(text) {
            assert!(Instant::now() < deadline, "{text:?} never went away");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// A tmux server of our own with one bash session, or None (skip) when tmux is missing
/// outside CI. Under CI a missing tmux fails the test: it must never pass silently.
fn tmux(name: &str) -> Option<Tmux> {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required under CI (.ci/run installs it)"
        );
        eprintln!("tmux is not installed: skipping (.ci/run installs it)");
        return None;
    }
    let tmux = Tmux {
        socket: format!("kn-mesh-{name}-{}", std::process::id()),
        session: "e2e",
    };
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "120",
        "-y",
        "40",
        "bash --norc --noprofile",
    ]);
    Some(tmux)
}

impl Tmux {
    fn alternate_screen(&self) -> String {
        self.run(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
            .trim()
            .to_string()
    }

    /// Waits for the program to leave the alternate screen, then checks that the terminal is
    /// back in cooked mode and that the exit status is the expected one.
    fn expect_restored(&self, exit: i32) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.alternate_screen() != "0" {
            assert!(
                Instant::now() < deadline,
                "the terminal stayed in the alternate screen"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Mouse reporting is off again.
        let mouse = self.run(&["display", "-p", "-t", "e2e", "#{mouse_any_flag}"]);
        assert_eq!(mouse.trim(), "0", "mouse reporting left on");
        // The exit status, and whether canonical (cooked) mode is back: raw mode shows "-icanon".
        self.send(&[
            "echo \"exit=$?\" \"raw=$(stty -a | grep -c -- -icanon)\"",
            "Enter",
        ]);
        // Wait for the output line, not the echoed command.
        let screen = self.wait_for("\nexit=");
        assert!(screen.contains(&format!("\nexit={exit} raw=0")), "{screen}");
    }
}

#[test]
fn the_demo_in_a_real_terminal() {
    let Some(tmux) = tmux("e2e") else { return };
    tmux.send(&[
        &format!("{} --demo", env!("CARGO_BIN_EXE_kn-mesh")),
        "Enter",
    ]);
    let screen = tmux.wait_for("trigger order-created");
    for expected in [
        "broker default",
        "event type com.example.order.created",
        "🔒 ops",
        "as payments-only",
        "denied",
    ] {
        assert!(
            screen.contains(expected),
            "missing {expected:?} in\n{screen}"
        );
    }
    assert_eq!(
        tmux.run(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
            .trim(),
        "1"
    );
    // The forbidden namespace is drawn red (SGR 31, or palette colour 1 as tmux writes it),
    // not only marked with its glyph.
    let styled = tmux.screen_with_styles();
    let line = styled
        .lines()
        .find(|l| l.contains("🔒") && l.contains("ops"))
        .unwrap();
    let red = ["\u{1b}[31m", ";31m", "38;5;1m"];
    assert!(
        red.iter().any(|code| line.contains(code)),
        "not red: {line:?}"
    );

    // Keys: open the denied namespace, switch identity, filter.
    tmux.send(&["/", "o", "p", "s", "Enter"]);
    tmux.wait_for("/ops");
    tmux.send(&["Escape"]);
    tmux.wait_gone("/ops");
    tmux.send(&["i"]);
    tmux.wait_for("as mesh-viewer");
    // The header changes at once; the data follows. Judge the screen that shows the new data.
    let screen = tmux.wait_for("trigger pager");
    assert!(
        !screen.contains("🔒 ops"),
        "mesh-viewer may read ops:\n{screen}"
    );

    tmux.send(&["q"]);
    tmux.expect_restored(0);
}

#[test]
fn files_are_read_again_on_r_and_sigterm_restores_the_terminal() {
    let Some(tmux) = tmux("files") else { return };
    let dir = tempfile::tempdir().unwrap();
    let broker = |name: &str| {
        format!(
            "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {{name: {name}, namespace: a}}\n"
        )
    };
    std::fs::write(dir.path().join("1.yaml"), broker("first")).unwrap();
    tmux.send(&[
        &format!(
            "{} -f {}",
            env!("CARGO_BIN_EXE_kn-mesh"),
            dir.path().display()
        ),
        "Enter",
    ]);
    tmux.wait_for("broker first");
    // A file added while it runs appears on `r`.
    std::fs::write(dir.path().join("2.yaml"), broker("second")).unwrap();
    tmux.send(&["r"]);
    tmux.wait_for("broker second");
    // The process is told to stop from outside, as a service manager or `kill` would.
    let pane = tmux.run(&["display", "-p", "-t", "e2e", "#{pane_pid}"]);
    let killed = Command::new("pkill")
        .args(["-TERM", "-P", pane.trim()])
        .status()
        .unwrap();
    assert!(killed.success());
    tmux.expect_restored(0);
}

/// k9s habits, in a real terminal: the namespace picker among 40 namespaces, a label filter,
/// a jump and back, and the YAML popup's search.
#[test]
fn k9s_habits_in_a_real_terminal() {
    let Some(tmux) = tmux("habits") else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut manifests = String::new();
    for i in 0..40 {
        manifests.push_str(&format!(
            "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {{name: b{i}, namespace: team-{i:02}, labels: {{tier: t{}}}}}\n---\n",
            i % 3
        ));
    }
    manifests.push_str(
        "apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {name: tr, namespace: team-07}\nspec: {broker: b7, subscriber: {uri: \"http://sink\"}}\n",
    );
    std::fs::write(dir.path().join("mesh.yaml"), manifests).unwrap();
    tmux.send(&[
        &format!(
            "{} -f {}",
            env!("CARGO_BIN_EXE_kn-mesh"),
            dir.path().display()
        ),
        "Enter",
    ]);
    tmux.wait_for("broker b0");
    // The picker: type to find team-33, pick it, show it alone.
    tmux.send(&["n"]);
    tmux.wait_for("40 of 40 listed");
    tmux.send(&["-l", "33"]);
    tmux.wait_for("33▏  1 of 40 listed");
    tmux.send(&["Space", "Enter"]);
    let screen = tmux.wait_for("broker b33");
    assert!(!screen.contains("broker b0 "), "{screen}");
    // All namespaces again, then a label filter.
    tmux.send(&["n", "C-a", "C-a", "Enter", "g"]);
    tmux.wait_for("broker b0");
    tmux.search("tier=t1", "/tier=t1");
    let screen = tmux.wait_for("13 matching");
    assert!(
        screen.contains("broker b1 ") && !screen.contains("broker b0 "),
        "{screen}"
    );
    tmux.send(&["Escape"]);
    tmux.wait_gone("13 matching");
    // A jump from the trigger to its broker, and back.
    tmux.search("trigger tr", "/trigger tr");
    tmux.wait_for("1 matching");
    tmux.send(&["Escape"]);
    tmux.wait_gone("1 matching");
    tmux.send(&["o"]);
    tmux.wait_for("Jump to");
    tmux.send(&["Enter"]);
    tmux.wait_for("Broker team-07/b7");
    tmux.send(&["["]);
    tmux.wait_for("Trigger team-07/tr");
    // The YAML popup's search.
    tmux.send(&["y"]);
    tmux.wait_for("g/G top/end");
    tmux.search("sink", "/sink▏");
    let screen = tmux.wait_for("uri: http://sink");
    assert!(!screen.contains("not found"), "{screen}");
    tmux.send(&["Escape"]);
    tmux.wait_gone("g/G top/end");
    tmux.send(&["q"]);
    tmux.expect_restored(0);
}

/// A kubeconfig with several contexts: `c` switches from a namespace-bound one to admin
/// without restarting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_switch_in_a_real_terminal() {
    let Some(tmux) = tmux("contexts") else { return };
    let sim = crate::common::demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    let command = format!(
        "{} --kubeconfig {} --context payments-only",
        env!("CARGO_BIN_EXE_kn-mesh"),
        kubeconfig.display()
    );
    tokio::task::spawn_blocking(move || {
        tmux.send(&[&command, "Enter"]);
        let screen = tmux.wait_for("trigger order-created");
        assert!(screen.contains("🔒 ops"), "{screen}");
        tmux.send(&["c"]);
        tmux.wait_for("Contexts (• in use)");
        tmux.send(&["g"]);
        // The list is admin first; walk to it from the one in use.
        for _ in 0..4 {
            tmux.send(&["Up"]);
        }
        tmux.send(&["Enter"]);
        let screen = tmux.wait_for("broker alerts");
        assert!(screen.contains("context admin"), "{screen}");
        tmux.send(&["q"]);
        tmux.expect_restored(0);
    })
    .await
    .unwrap();
}
