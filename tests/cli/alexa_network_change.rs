//! Amazon names "a Wi-Fi disconnection and reconnection" as a reason for CallUpdate: an
//! Alexa call whose path dies for 8 s (every packet, both ways: STUN, DTLS, RTP, RTCP)
//! re-offers with an ICE restart in CallUpdate `CALL_UPDATE`, the device answers it, and
//! two-way audio comes back. (The CAMARA twin is in lost_media.rs.)

use dialtone_e2e::cli::{Cli, json_lines, t_ms as at};
use dialtone_e2e::line::sandbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alexa_call_dead_for_8_s_re_offers_through_call_update_and_audio_comes_back() {
    let sandbox = sandbox(Default::default()).await;
    let url = sandbox.base_url();
    let out = tokio::task::spawn_blocking(move || {
        Cli::new(env!("CARGO_BIN_EXE_dialtone")).run(&[
            "call",
            "alexa:kitchen",
            "--sandbox",
            &url,
            "--json",
            "--impair",
            "blackout=3s+8s",
            "--script",
            "wait 15s; hangup",
        ])
    })
    .await
    .expect("join");
    let events = json_lines(&out.stdout);
    let brief: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] != "level").collect();
    assert!(
        out.status.success(),
        "{}\n{brief:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restart = events
        .iter()
        .find(|e| e["event"] == "ice_restart")
        .unwrap_or_else(|| panic!("no ICE restart: {brief:?}"));
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
    let ids = sandbox.alexa_sessions();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let log = sandbox.alexa_log(&ids[0]);
    let update = log
        .iter()
        .position(|m| m == "→CallUpdate CALL_UPDATE")
        .unwrap_or_else(|| panic!("no CallUpdate CALL_UPDATE: {log:?}"));
    assert_eq!(
        log.get(update + 1).map(String::as_str),
        Some("←CallUpdateResponse CALL_UPDATE"),
        "{log:?}"
    );
    println!(
        "ICE restart {} ms into the silence; audio back at {} ms ({} ms after the restart)",
        restart["silent_ms"],
        at(restored),
        at(restored) - at(restart)
    );
}
