//! The scenario list is generated, not kept by hand: each `tests/<area>/<name>.rs` is a
//! test target, declared in the manifest of the package whose binary it runs (the CLI's
//! for `cli/`, the app's for `app/`, this crate's otherwise; `benches/` are benchmarks).
//! Cargo discovers only `tests/*.rs` of a package, and ours live one area deeper, so the
//! declarations are written here and a stale manifest fails `make test`:
//! `UPDATE_SCENARIOS=1 cargo test -p dialtone-e2e scenarios` writes them again.

use std::path::{Path, PathBuf};

const BEGIN: &str = "# Scenarios: generated from the files under tests/ by \
                     `UPDATE_SCENARIOS=1 cargo test -p dialtone-e2e scenarios`; edit those files, not this list.";
const END: &str = "# End of the generated scenarios.";

/// Directories under `tests/` that hold no scenarios.
const NOT_AREAS: [&str; 5] = ["src", "contract", "ui-types", "target", "node_modules"];

/// A package that declares scenarios: its manifest, relative to `tests/`, and the path
/// from that manifest's directory back to `tests/`.
struct Manifest {
    file: &'static str,
    to_tests: &'static str,
    areas: Areas,
}

enum Areas {
    Only(&'static str),
    AllBut(&'static [&'static str]),
}

const MANIFESTS: [Manifest; 3] = [
    Manifest {
        file: "Cargo.toml",
        to_tests: "",
        areas: Areas::AllBut(&["cli", "app"]),
    },
    Manifest {
        file: "../crates/dialtone-cli/Cargo.toml",
        to_tests: "../../tests/",
        areas: Areas::Only("cli"),
    },
    Manifest {
        file: "../src-tauri/Cargo.toml",
        to_tests: "../tests/",
        areas: Areas::Only("app"),
    },
];

/// `(area, file stem)` of every scenario and benchmark, in order.
fn scenario_files(tests: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir(tests).expect("tests/") {
        let dir = dir.expect("entry").path();
        let area = name_of(&dir);
        if !dir.is_dir() || NOT_AREAS.contains(&area.as_str()) {
            continue;
        }
        for file in std::fs::read_dir(&dir).expect("area") {
            let file = file.expect("entry").path();
            if file.extension().and_then(|e| e.to_str()) == Some("rs") {
                let stem = file
                    .file_stem()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_owned();
                found.push((area.clone(), stem));
            }
        }
    }
    found.sort();
    found
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned()
}

/// A test's name says where it lives: `media/hold_then_resume.rs` is `media_hold_then_resume`
/// (`cli/cli_json.rs` stays `cli_json`). Benchmarks keep their file's name.
fn target_name(area: &str, stem: &str) -> String {
    if area == "benches" || stem.starts_with(&format!("{area}_")) {
        stem.to_owned()
    } else {
        format!("{area}_{stem}")
    }
}

fn block(manifest: &Manifest, files: &[(String, String)]) -> String {
    let mut out = format!("{BEGIN}\n");
    for (area, stem) in files {
        let ours = match manifest.areas {
            Areas::Only(a) => a == area,
            Areas::AllBut(others) => !others.contains(&area.as_str()),
        };
        if !ours {
            continue;
        }
        let kind = if area == "benches" { "bench" } else { "test" };
        out.push_str(&format!(
            "\n[[{kind}]]\nname = \"{}\"\npath = \"{}{area}/{stem}.rs\"\n",
            target_name(area, stem),
            manifest.to_tests
        ));
        if kind == "bench" {
            out.push_str("harness = false\n");
        }
    }
    out.push_str(&format!("\n{END}\n"));
    out
}

/// The manifest with its generated block replaced (or appended, the first time).
fn with_block(text: &str, block: &str) -> String {
    match (text.find(BEGIN), text.find(END)) {
        (Some(b), Some(e)) if e > b => {
            let after = &text[e + END.len()..];
            format!(
                "{}{block}{}",
                &text[..b],
                after.strip_prefix('\n').unwrap_or(after)
            )
        }
        _ => format!("{}\n\n{block}", text.trim_end_matches('\n')),
    }
}

#[test]
fn scenarios_are_declared_in_their_manifests_as_generated() {
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let files = scenario_files(&tests);
    assert!(files.len() > 40, "found only {} scenario files", files.len());
    let update = std::env::var("UPDATE_SCENARIOS").is_ok_and(|v| !v.is_empty() && v != "0");
    let mut stale = Vec::new();
    for manifest in &MANIFESTS {
        let path = tests.join(manifest.file);
        let text = std::fs::read_to_string(&path).expect("manifest");
        let wanted = with_block(&text, &block(manifest, &files));
        if wanted != text {
            if update {
                std::fs::write(&path, wanted).expect("write the manifest");
            } else {
                stale.push(manifest.file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "the scenario list in {stale:?} is not what tests/ holds: run \
         `UPDATE_SCENARIOS=1 cargo test -p dialtone-e2e scenarios`"
    );
}

#[test]
fn test_names_say_where_the_file_lives() {
    assert_eq!(target_name("media", "hold_then_resume"), "media_hold_then_resume");
    assert_eq!(target_name("cli", "cli_json"), "cli_json");
    assert_eq!(target_name("benches", "latency"), "latency");
    let m = &MANIFESTS[1];
    let b = block(m, &[("cli".into(), "alexa".into()), ("media".into(), "x".into())]);
    assert!(
        b.contains("name = \"cli_alexa\"\npath = \"../../tests/cli/alexa.rs\""),
        "{b}"
    );
    assert!(!b.contains("media"), "{b}");
    let text = format!("[package]\n\n{b}\n[lints]\n");
    assert_eq!(with_block(&text, &b), text, "a current block is left as it is");
}
