//! A media path that dies is never reported as a good call: `dialtone call --impair`
//! blacks out every packet (STUN, DTLS, RTP, RTCP, both ways) and the JSON lines say so.
//! - for 5 s mid-call: `no_media` 2 s into the silence (plus a 250 ms tick), quality MOS 1
//!   while it lasts, and audio back (`media_restored`) within 2 s of the path returning;
//! - for 8 s: an ICE restart through the operator 5 s into the silence (a re-offer it
//!   answers), and audio back within 2 s of the path returning;
//! - for good: the call ends with `MediaTimeout`, a clear error, and exit code 1; when it
//!   is the DTLS handshake that never got through, the error says media was not secured.

use dialtone_e2e::cli::{Cli, json_lines, t_ms as at};

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_dialtone"))
}

#[test]
fn a_path_that_dies_for_5_s_warns_no_media_and_comes_back() {
    let out = cli().run(&[
        "call",
        "+15550100",
        "--json",
        "--impair",
        "blackout=3s+5s",
        "--script",
        "wait 11s; hangup",
    ]);
    let events = json_lines(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{events:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    let connected = events
        .iter()
        .find(|e| e["event"] == "state" && e["state"] == "Connected")
        .map(at)
        .expect("Connected");
    let no_media = events
        .iter()
        .find(|e| e["event"] == "no_media")
        .unwrap_or_else(|| panic!("no no_media event: {events:?}"));
    let restored = events
        .iter()
        .find(|e| e["event"] == "media_restored")
        .unwrap_or_else(|| panic!("audio never came back: {events:?}"));
    // The blackout starts 3 s after the media session is made (about when the call is
    // placed): the warning comes 2 s into the silence, on a 250 ms watch.
    let silent_ms = no_media["silent_ms"].as_u64().expect("silent_ms");
    assert!((2_000..3_000).contains(&silent_ms), "{no_media}");
    assert!(at(no_media) > connected, "{events:?}");
    // Back within 2 s of the path returning (5 s after it went, 3 s after the warning).
    assert!(
        at(restored) - at(no_media) < 3_000 + 2_000,
        "no_media at {}, restored at {}",
        at(no_media),
        at(restored)
    );
    // While it lasted, the quality said so: no "MOS 4.4" on a silent call (each stats
    // event judges its own second: one with no packet is MOS 1).
    let during: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "stats" && at(e) >= at(no_media) && at(e) < at(restored))
        .collect();
    assert!(!during.is_empty(), "no stats while silent: {events:?}");
    for s in during {
        assert_eq!(s["quality"]["mos"], 1.0, "{s}");
        assert!(
            s["quality"]["warnings"]
                .as_array()
                .is_some_and(|w| w.iter().any(|w| w == "no_media")),
            "{s}"
        );
    }
    // And once audio flows again, the quality says that too.
    let last = events.iter().rfind(|e| e["event"] == "stats").expect("stats");
    assert!(
        at(last) > at(restored) + 1_000 && last["quality"]["mos"].as_f64().is_some_and(|m| m > 4.0),
        "{last}"
    );
}

#[test]
fn a_path_that_never_comes_back_ends_the_call_with_media_timeout() {
    let out = cli().run(&[
        "call",
        "+15550100",
        "--json",
        "--impair",
        "blackout=2s",
        "--media-timeout",
        "4s",
        "--script",
        "wait 20s; hangup",
    ]);
    let events = json_lines(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "ended" && e["reason"] == "MediaTimeout"),
        "{events:?}"
    );
    let error = events
        .iter()
        .find(|e| e["event"] == "error" && e["code"] == "MEDIA_TIMEOUT")
        .unwrap_or_else(|| panic!("no MEDIA_TIMEOUT error: {events:?}"));
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("no audio arrived for 4 s")),
        "{error}"
    );
}

#[test]
fn a_path_dead_for_8_s_restarts_ice_through_the_operator_and_audio_comes_back() {
    let out = cli().run(&[
        "call",
        "+15550100",
        "--json",
        "--impair",
        "blackout=3s+8s",
        "--script",
        "wait 15s; hangup",
    ]);
    let events = json_lines(&out.stdout);
    // Level meters every 100 ms would drown a failure message.
    let brief: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] != "level").collect();
    assert!(
        out.status.success(),
        "{}\n{brief:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    let no_media = events
        .iter()
        .find(|e| e["event"] == "no_media")
        .unwrap_or_else(|| panic!("no no_media event: {brief:?}"));
    let restart = events
        .iter()
        .find(|e| e["event"] == "ice_restart")
        .unwrap_or_else(|| panic!("no ICE restart: {brief:?}"));
    let silent_ms = restart["silent_ms"].as_u64().expect("silent_ms");
    assert!((5_000..6_000).contains(&silent_ms), "{restart}");
    // The operator took the re-offer: no renegotiation error.
    assert!(
        !events
            .iter()
            .any(|e| e["event"] == "error" && e["code"] == "RENEGOTIATION_FAILED"),
        "{brief:?}"
    );
    let restored = events
        .iter()
        .find(|e| e["event"] == "media_restored" && at(e) > at(restart))
        .unwrap_or_else(|| panic!("audio never came back after the restart: {brief:?}"));
    // The path returns 8 s into the blackout, 6 s after the warning (which came 2 s in).
    let back_after = at(restored) as i64 - (at(no_media) as i64 + 6_000);
    assert!(
        back_after < 2_000,
        "audio back {back_after} ms after the path returned: {brief:?}"
    );
    println!(
        "ICE restart {silent_ms} ms into the silence; audio back {back_after} ms after the path returned"
    );
}

#[test]
fn a_handshake_that_never_gets_through_ends_the_call_saying_media_was_not_secured() {
    let out = cli().run(&[
        "call",
        "+15550100",
        "--json",
        "--impair",
        "loss=100%,only=dtls",
        "--media-timeout",
        "3s",
        "--script",
        "wait 10s; hangup",
    ]);
    let events = json_lines(&out.stdout);
    let brief: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] != "level").collect();
    assert_eq!(out.status.code(), Some(1), "{brief:?}");
    let error = events
        .iter()
        .find(|e| e["event"] == "error" && e["code"] == "MEDIA_TIMEOUT")
        .unwrap_or_else(|| panic!("no MEDIA_TIMEOUT error: {brief:?}"));
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("media could not be secured")),
        "{error}"
    );
}
