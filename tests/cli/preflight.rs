//! `dialtone preflight`: each phase timed on one clock (token to the audio round trip on
//! the sandbox's echo), and the first broken phase named with what to do: a sandbox that
//! refuses registrations, a network that drops every media packet.

use dialtone_e2e::cli::{Cli, json_lines};
use dialtone_sandbox::{FaultKind, SandboxConfig};
use serde_json::Value;
use std::process::Output;

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_dialtone"))
}

/// The verdict line, and the exit code.
fn verdict(out: &Output) -> (Value, Option<i32>) {
    let v = json_lines(&out.stdout)
        .into_iter()
        .find(|e| e["event"] == "preflight")
        .unwrap_or_else(|| panic!("no verdict: {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code())
}

fn phase<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .find(|p| p["phase"] == name)
        .unwrap_or_else(|| panic!("no phase {name} in {v}"))
}

#[test]
fn on_the_sandbox_echo_every_phase_passes_in_order_with_its_time() {
    let out = cli().run(&["preflight", "--json"]);
    let (v, code) = verdict(&out);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["pass"], true);
    let order = [
        "token",
        "registration",
        "subscription",
        "session created",
        "ICE connected",
        "DTLS connected",
        "first audio received",
        "first audio at the far end",
    ];
    let mut last = 0;
    for name in order {
        let p = phase(&v, name);
        assert_eq!(p["result"], "pass", "{p}");
        // The token may come from the keyring's cache: no request, no time.
        if name == "token" && p["at_ms"].is_null() {
            continue;
        }
        let at = p["at_ms"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} has no time: {p}"));
        // The far end may count our first packet before we decode its first.
        if name != "first audio at the far end" {
            assert!(
                at >= last,
                "{name} at {at} ms, before the phase before it ({last} ms)"
            );
            last = at;
        }
    }
    let trip = v["round_trip_ms"].as_u64().expect("a round trip on the echo");
    assert!((1..600).contains(&trip), "round trip {trip} ms");
    assert_eq!(phase(&v, "audio round trip")["took_ms"].as_u64(), Some(trip));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_that_refuses_registrations_fails_at_registration_and_says_what_to_do() {
    let sandbox = dialtone_e2e::line::sandbox(SandboxConfig::default()).await;
    sandbox.inject_fault_on(FaultKind::Status(503), 20, "/sessions");
    let url = sandbox.base_url();
    let out = tokio::task::spawn_blocking(move || {
        cli()
            .cmd()
            .args(["preflight", "--json", "--sandbox", &url])
            .output()
            .expect("run dialtone")
    })
    .await
    .expect("join");
    let (v, code) = verdict(&out);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["pass"], false);
    assert_eq!(phase(&v, "token")["result"], "pass", "{v}");
    assert_eq!(phase(&v, "registration")["result"], "fail", "{v}");
    for later in [
        "session created",
        "ICE connected",
        "first audio received",
        "audio round trip",
    ] {
        assert_eq!(phase(&v, later)["result"], "not reached", "{v}");
    }
    let failed = v["failed"].as_str().expect("what failed");
    assert!(failed.starts_with("registration:"), "{failed}");
    assert!(failed.contains("503"), "the status: {failed}");
    assert!(
        failed.contains("Check the account's registration URL"),
        "what to do: {failed}"
    );
}

#[test]
fn a_network_that_drops_every_media_packet_fails_at_ice_after_the_signaling_passed() {
    let out = cli().run(&[
        "preflight",
        "--json",
        "--impair",
        "blackout=0s+120s",
        "--listen-for",
        "2s",
    ]);
    let (v, code) = verdict(&out);
    assert_eq!(code, Some(1), "{v}");
    for ok in ["registration", "subscription", "session created"] {
        assert_eq!(phase(&v, ok)["result"], "pass", "{v}");
    }
    assert_eq!(phase(&v, "ICE connected")["result"], "fail", "{v}");
    assert_eq!(phase(&v, "DTLS connected")["result"], "not reached", "{v}");
    let failed = v["failed"].as_str().expect("what failed");
    assert!(failed.starts_with("ICE connected:"), "{failed}");
    assert!(failed.contains("firewall"), "what to do: {failed}");
}
