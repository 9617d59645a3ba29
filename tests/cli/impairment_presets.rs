//! Named networks (`--impair 3g`) change what the call measures, as their figures say:
//! `very-lossy` (10% each way) shows as loss the receiver reports, `3g` (250 ms each way)
//! as a round trip of about half a second; an unknown name is refused before any call. A
//! script's `impair` changes the network mid-call and `impair off` cleans it.

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

#[test]
fn a_script_makes_the_network_lossy_mid_call_and_clean_again() {
    let out = cli().run(&[
        "call",
        "+15550100",
        "--json",
        "--audio",
        "tone",
        "--script",
        "wait 3s; impair very-lossy,seed=3; wait 4s; impair off; wait 4s; hangup",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("the network is now 'very-lossy'"), "{stderr}");
    assert!(stderr.contains("clean again"), "{stderr}");
    // The loss figure covers the call so far: nothing before, a rise while lossy, a fall
    // once clean.
    let loss: Vec<(u64, f64)> = json_lines(&out.stdout)
        .iter()
        .filter(|e| e["event"] == "stats")
        .map(|e| {
            (
                e["t_ms"].as_u64().unwrap_or(0),
                e["loss_pct"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    let before = loss
        .iter()
        .filter(|(t, _)| *t < 3000)
        .map(|l| l.1)
        .fold(0.0, f64::max);
    let peak = loss.iter().map(|l| l.1).fold(0.0, f64::max);
    let last = loss.last().map_or(-1.0, |l| l.1);
    assert_eq!(before, 0.0, "{loss:?}");
    assert!(peak > 2.0, "the lossy stretch shows: {loss:?}");
    assert!(last < peak, "clean again, the figure falls: {loss:?}");
    // Refused before any call: a network that is not one.
    let out = cli().run(&["call", "+15550100", "--script", "impair 5g"]);
    assert_eq!(out.status.code(), Some(2));
}
