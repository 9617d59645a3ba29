//! The call logic stays sans-IO because the compiler can only see what is in its tree:
//! this fails the moment a crate that does IO (sockets, files, async runtimes, audio,
//! storage, media stacks) enters `dialtone-call`'s normal dependencies, directly or not.

use std::process::Command;

/// Crates that do IO, or exist to: none may appear in the tree.
const IO_CRATES: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "mio",
    "socket2",
    "hyper",
    "reqwest",
    "axum",
    "tower",
    "h2",
    "rustls",
    "native-tls",
    "openssl",
    "webrtc",
    "rtc",
    "str0m",
    "cpal",
    "alsa",
    "libpulse-binding",
    "rusqlite",
    "keyring-core",
    "zbus",
    "directories",
    "aws-config",
    "aws-sdk-lexruntimev2",
    "aws-smithy-runtime",
    "futures-io",
    "tauri",
    "opus",
    "hound",
    "rubato",
];

/// Besides these four and what they pull in, nothing.
const DIRECT: &[&str] = &["serde", "thiserror", "phonenumber", "tracing"];

fn tree(args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "dialtone-call",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--locked",
        ])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn no_io_crate_is_in_the_call_crates_tree() {
    let all = tree(&[]);
    assert!(
        all.iter().any(|c| c == "phonenumber"),
        "cargo tree said nothing useful: {all:?}"
    );
    let io: Vec<&String> = all.iter().filter(|c| IO_CRATES.contains(&c.as_str())).collect();
    assert!(io.is_empty(), "IO crates in dialtone-call's tree: {io:?}");
}

#[test]
fn its_direct_dependencies_are_the_four_allowed() {
    let direct: Vec<String> = tree(&["--depth", "1"])
        .into_iter()
        .filter(|c| c != "dialtone-call")
        .collect();
    let extra: Vec<&String> = direct.iter().filter(|c| !DIRECT.contains(&c.as_str())).collect();
    assert!(extra.is_empty(), "dependencies beyond {DIRECT:?}: {extra:?}");
}
