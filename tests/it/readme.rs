//! README.md's examples are real: each `sh` block of one kn-mesh command followed by a `text`
//! block is run, and its output must be that text.

use crate::common;

/// (command words, expected output) for each example pair in README.md.
fn examples(readme: &str) -> Vec<(Vec<String>, String)> {
    let blocks: Vec<(&str, &str)> = readme
        .split("```")
        .skip(1)
        .step_by(2)
        .filter_map(|block| block.split_once('\n'))
        .collect();
    blocks
        .windows(2)
        .filter_map(|pair| {
            let [(lang, command), ("text", output)] = pair else {
                return None;
            };
            let command = command.replace("\\\n", " ");
            let lines: Vec<&str> = command.lines().filter(|l| !l.trim().is_empty()).collect();
            let [line] = lines.as_slice() else {
                return None;
            };
            let words = shell_words::split(line).ok()?;
            (*lang == "sh" && words.first()? == "kn-mesh" && !line.contains('#'))
                .then(|| (words[1..].to_vec(), output.to_string()))
        })
        .collect()
}

#[test]
fn every_command_example_prints_what_the_readme_shows() {
    let readme = std::fs::read_to_string(common::demo_dir().with_file_name("README.md")).unwrap();
    let examples = examples(&readme);
    let commands: Vec<String> = examples.iter().map(|(w, _)| w.join(" ")).collect();
    assert!(
        commands.iter().any(|c| c.contains("trace"))
            && commands.iter().any(|c| c.contains("can-send")),
        "the trace and can-send examples are found: {commands:?}"
    );
    for (words, expected) in examples {
        let args: Vec<&str> = words.iter().map(String::as_str).collect();
        let out = common::kn_mesh(&args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout.trim_end(),
            expected.trim_end(),
            "kn-mesh {}",
            words.join(" ")
        );
    }
}
