//! Named networks (`--impair 3g`) change what the call measures, as their figures say:
//! `very-lossy` (10% each way) shows as loss the receiver reports, `3g` (250 ms each way)
//! as a round trip of about half a second; an unknown name is refused before any call.

use dialtone_e2e::cli::{Cli, json_lines};

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_dialtone"))
}

/// The last stats figure `key` of an echo call impaired as `impair`, and stderr.
fn measured(impair: &str, key: &str) -> (f64, String) {
    let out = cli().run(&[
        "call",
        "+15550100",
        "--json",
        "--impair",
        impair,
        "--script",
        "wait 5s; hangup",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let events = json_lines(&out.stdout);
    let figure = events
        .iter()
        .rfind(|e| e["event"] == "stats" && e[key].is_number())
        .and_then(|e| e[key].as_f64())
        .unwrap_or_else(|| panic!("no {key} in the stats: {events:?}"));
    (figure, stderr)
}

#[test]
fn very_lossy_loses_about_a_tenth_and_3g_takes_half_a_second_round_trip() {
    let (clean, _) = measured("seed=7", "loss_pct");
    let (lossy, said) = measured("very-lossy,seed=7", "loss_pct");
    assert!(clean < 1.0, "loss without impairment: {clean}%");
    assert!((5.0..20.0).contains(&lossy), "very-lossy measured {lossy}% loss");
    assert!(
        said.contains("very-lossy"),
        "the run did not say which network: {said}"
    );
    let (rtt, _) = measured("3g,seed=7", "rtt_ms");
    assert!((450.0..800.0).contains(&rtt), "3g measured a {rtt} ms round trip");
}

#[test]
fn an_unknown_network_name_is_refused_before_any_call() {
    let out = cli().run(&["call", "+15550100", "--impair", "5g"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("4g, 3g, edge"), "{stderr}");
}
