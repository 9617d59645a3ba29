//! The call logic and the wire parsers stay sans-IO because the compiler can only see what is
//! in their trees: this fails the moment a crate that does IO (sockets, files, async runtimes,
//! audio, storage, media stacks) enters the normal dependencies of `dialtone-call` or
//! `dialtone-wire`, directly or not. For `dialtone-wire` it also keeps the fuzz targets
//! (`fuzz/`) quick to build.

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

/// Besides these and what they pull in, nothing. ts-rs only describes the types the window
/// reads (their TypeScript shape), as serde describes their JSON.
const DIRECT: &[&str] = &["serde", "thiserror", "phonenumber", "tracing", "ts-rs"];

/// The wire parsers: the call crate's types, JSON, and nothing more.
const WIRE_DIRECT: &[&str] = &["dialtone-call", "serde", "serde_json", "thiserror", "tracing"];

fn tree(package: &str, args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree", "-p", package, "-e", "normal", "--prefix", "none", "--locked",
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

fn assert_no_io(package: &str) {
    let all = tree(package, &[]);
    assert!(
        all.iter().any(|c| c == "phonenumber"),
        "cargo tree said nothing useful: {all:?}"
    );
    let io: Vec<&String> = all.iter().filter(|c| IO_CRATES.contains(&c.as_str())).collect();
    assert!(io.is_empty(), "IO crates in {package}'s tree: {io:?}");
}

fn assert_direct(package: &str, allowed: &[&str]) {
    let direct: Vec<String> = tree(package, &["--depth", "1"])
        .into_iter()
        .filter(|c| c != package)
        .collect();
    let extra: Vec<&String> = direct.iter().filter(|c| !allowed.contains(&c.as_str())).collect();
    assert!(
        extra.is_empty(),
        "{package}'s dependencies beyond {allowed:?}: {extra:?}"
    );
}

#[test]
fn no_io_crate_is_in_the_call_crates_tree() {
    assert_no_io("dialtone-call");
}

#[test]
fn its_direct_dependencies_are_the_allowed_ones() {
    assert_direct("dialtone-call", DIRECT);
}

#[test]
fn no_io_crate_is_in_the_wire_crates_tree() {
    assert_no_io("dialtone-wire");
}

#[test]
fn the_wire_crates_direct_dependencies_are_the_call_crate_and_json() {
    assert_direct("dialtone-wire", WIRE_DIRECT);
}
