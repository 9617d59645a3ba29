//! The `dialtone` binary: the documented hold/resume script prints Connected, Held,
//! Connected and Ended (CAMARA and Alexa alike) with RTP counters that stop in our direction while held; invalid
//! numbers are refused before any request.

use dialtone_e2e::cli::{Cli, json_lines};
use dialtone_e2e::line::sandbox;

/// A fresh config directory: no accounts, so calls go to the built-in sandbox.
fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_dialtone"))
}

#[test]
fn scripted_hold_resume_call_prints_the_documented_events() {
    documented_hold_resume("+15550100");
}

/// The Done-when for Alexa: the same script, the same events, over CallSignaling.
#[test]
fn scripted_alexa_call_prints_the_same_documented_events() {
    documented_hold_resume("alexa:kitchen");
}

fn documented_hold_resume(address: &str) {
    let out = cli().run(&[
        "call",
        address,
        "--json",
        "--script",
        "wait 1s; hold; wait 1s; resume; wait 1s; hangup",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = json_lines(&out.stdout);
    let states: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "state")
        .filter_map(|e| e["state"].as_str())
        .collect();
    let key: Vec<&str> = states
        .iter()
        .copied()
        .filter(|s| ["Connected", "Held", "Ended"].contains(s))
        .collect();
    assert_eq!(key, ["Connected", "Held", "Connected", "Ended"], "{states:?}");
    assert!(events.iter().all(|e| e["t_ms"].is_u64()));
    // On loopback the quality estimate is near the top, with nothing to warn about.
    let stats: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "stats").collect();
    assert!(!stats.is_empty(), "no stats events");
    for s in &stats {
        let mos = s["quality"]["mos"].as_f64().expect("mos");
        assert!(mos > 4.0 && mos < 4.5, "{s}");
        assert_eq!(s["quality"]["warnings"], serde_json::json!([]), "{s}");
    }
    // Our RTP counter stands still while held and moves after the resume.
    let media: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "media").collect();
    let held: Vec<u64> = media
        .iter()
        .filter(|e| e["direction"] == "recvonly")
        .filter_map(|e| e["rtp_sent"].as_u64())
        .collect();
    assert!(held.len() >= 2, "{media:?}");
    assert_eq!(held.first(), held.last(), "rtp_sent moved while held: {held:?}");
    let last = media.last().and_then(|e| e["rtp_sent"].as_u64()).unwrap_or(0);
    assert!(
        last > held[0] + 20,
        "rtp_sent did not move after resume: {last} vs {}",
        held[0]
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "ended" && e["reason"] == "Hangup")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_numbers_are_refused_before_any_request() {
    let sandbox = sandbox(Default::default()).await;
    for bad in ["12ab", "5550100", "+1234567890123456"] {
        let out = tokio::task::spawn_blocking({
            let url = sandbox.base_url();
            move || cli().run(&["call", bad, "--json", "--sandbox", &url])
        })
        .await
        .expect("join");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let events = json_lines(&out.stdout);
        assert_eq!(events.len(), 1, "{bad}: {events:?}");
        assert_eq!(events[0]["code"], "INVALID_NUMBER");
        assert!(
            events[0]["message"].as_str().is_some_and(|m| m.contains(bad)),
            "{events:?}"
        );
    }
    assert_eq!(
        sandbox.status().await.requests,
        0,
        "a request went out for an invalid number"
    );
}

#[test]
fn busy_number_exits_non_zero_with_the_reason() {
    let out = cli().run(&["call", "+15550102", "--json", "--script", "hangup"]);
    assert_eq!(out.status.code(), Some(1));
    let events = json_lines(&out.stdout);
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "ended" && e["reason"] == "Busy"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "error" && e["message"].as_str().is_some_and(|m| m.contains("Busy")))
    );
}

#[test]
fn calls_are_kept_in_the_history_latest_first() {
    let cli = cli();
    let busy = cli.run(&["call", "+15550102", "--json"]);
    assert_eq!(
        busy.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
    let talked = cli.run(&["call", "+15550100", "--json", "--script", "wait 1s; hangup"]);
    assert!(
        talked.status.success(),
        "{}",
        String::from_utf8_lossy(&talked.stderr)
    );

    let listed = cli.run(&["history", "--json"]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let rows = json_lines(&listed.stdout);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["number"], "+15550100");
    assert_eq!(rows[0]["outcome"], "Hangup");
    assert!(
        rows[0]["connected_ms"].as_i64().is_some_and(|ms| ms >= 900),
        "{:?}",
        rows[0]
    );
    assert_eq!(rows[1]["number"], "+15550102");
    assert_eq!(rows[1]["outcome"], "Busy");
    assert!(rows[1]["connected_ms"].is_null());
    assert_eq!(rows[0]["incoming"], false);
    assert_eq!(rows[0]["codec"], "opus/48000");
    assert!(rows[1]["codec"].is_null(), "a busy call negotiated nothing");

    assert!(cli.run(&["history", "--clear"]).status.success());
    assert!(cli.run(&["history", "--json"]).stdout.is_empty());
}

#[test]
fn a_damaged_history_never_fails_a_call_and_is_left_for_the_user() {
    let cli = cli();
    let file = cli.data_dir().join("dialtone/history.sqlite3");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
    std::fs::write(
        &file,
        b"this is not an SQLite database; it is a text file of some length",
    )
    .expect("write");
    let out = cli.run(&["call", "+15550100", "--script", "wait 500ms; hangup"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not saved to the history"), "{err}");
    let listed = cli.run(&["history"]);
    assert_eq!(listed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&listed.stderr).contains("move it aside"));
    assert!(
        std::fs::read(&file)
            .expect("kept")
            .starts_with(b"this is not an SQLite")
    );
}

#[test]
fn a_chosen_codec_is_negotiated_shown_in_stats_and_kept_in_the_history() {
    let cli = cli();
    let out = cli.run(&[
        "call",
        "+15550100",
        "--codec",
        "pcmu",
        "--json",
        "--script",
        "wait 1500ms; dtmf 12; hangup",
    ]);
    let events = json_lines(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{events:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    let codecs: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "stats")
        .filter_map(|e| e["codec"].as_str())
        .collect();
    assert!(
        !codecs.is_empty() && codecs.iter().all(|c| *c == "PCMU/8000"),
        "{codecs:?}"
    );
    // DTMF on G.711 goes out (telephone-event/8000 negotiated).
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "dtmf" && e["received"] == false),
        "{events:?}"
    );
    let rows = json_lines(&cli.run(&["history", "--json"]).stdout);
    assert_eq!(rows[0]["codec"], "PCMU/8000");

    let bad = cli.run(&["call", "+15550100", "--codec", "g729"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use opus, pcmu or pcma"));
}
