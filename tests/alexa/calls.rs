//! Alexa calls against the sandbox's Alexa: both flows with the message order asserted,
//! hold and resume both ways with the direction checked at the device, 50 cycles,
//! CallEnded both ways, and SPI events over an HTTPS intake.

use dialtone_core::call::{CallEvent, Command};
use dialtone_core::media::Direction;
use dialtone_e2e::line::{Line, alexa_line, sandbox};
use dialtone_sandbox::Sandbox;
use std::time::Duration;

/// The one Alexa call the sandbox has seen.
fn only_session(sandbox: &Sandbox) -> String {
    let ids = sandbox.alexa_sessions();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0].clone()
}

async fn registered(a: &Line) {
    a.call.command(Command::Register).await.expect("register");
    a.wait("Idle", Duration::from_secs(5)).await;
}

/// Waits until the call's log has `n` entries (acks land just after the state changes).
async fn log_of(sandbox: &Sandbox, id: &str, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let log = sandbox.alexa_log(id);
        if log.len() >= n {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sandbox.alexa_log(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calling_a_device_follows_the_documented_order_and_hangs_up_with_call_ended() {
    let sandbox = sandbox(Default::default()).await;
    let a = alexa_line(&sandbox, 1000.0).await;
    a.dial("alexa:kitchen").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "the device did not echo us"
    );
    let id = only_session(&sandbox);
    a.call.command(Command::Hangup).await.expect("hang up");
    a.wait("Ended", Duration::from_secs(5)).await;
    assert_eq!(
        log_of(&sandbox, &id, 8).await,
        [
            "→InitiateInboundCall",
            "←CallRinging",
            "→CallRingingAck",
            "←CallInProgress",
            "→CallInProgressAck",
            "←CallAccepted",
            "→CallAcceptedAck",
            "→CallEnded",
        ]
    );
    assert_eq!(
        a.states(),
        [
            "Registering",
            "Dialing",
            "Ringing",
            "Connected",
            "Ending",
            "Ended"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_calling_us_is_answered_in_the_documented_order_and_hangs_up() {
    let sandbox = sandbox(Default::default()).await;
    let a = alexa_line(&sandbox, 1000.0).await;
    registered(&a).await;
    let id = sandbox.alexa_call_me("kitchen").await.expect("call me");
    a.wait("Alerting", Duration::from_secs(5)).await;
    assert!(
        a.events()
            .iter()
            .any(|e| matches!(e, CallEvent::Incoming { from } if from == "alexa:kitchen")),
        "{:?}",
        a.events()
    );
    a.call.command(Command::Answer).await.expect("answer");
    a.wait("Connected", Duration::from_secs(10)).await;
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "no echo on the answered call"
    );
    // Our requests go out as our state allows, Alexa's acks come when they come: each
    // side's order is fixed, and each ack follows its request.
    let log = log_of(&sandbox, &id, 7).await;
    let ours: Vec<&str> = log.iter().filter_map(|m| m.strip_prefix('→')).collect();
    let theirs: Vec<&str> = log.iter().filter_map(|m| m.strip_prefix('←')).collect();
    assert_eq!(ours, ["CallRinging", "CallInProgress", "CallAccepted"], "{log:?}");
    assert_eq!(
        theirs,
        [
            "InitiateOutboundCall",
            "CallRingingAck",
            "CallInProgressAck",
            "CallAcceptedAck"
        ],
        "{log:?}"
    );
    for (request, ack) in [
        ("→CallRinging", "←CallRingingAck"),
        ("→CallInProgress", "←CallInProgressAck"),
        ("→CallAccepted", "←CallAcceptedAck"),
    ] {
        let at = |m: &str| log.iter().position(|x| x == m);
        assert!(at(request) < at(ack), "{ack} before {request}: {log:?}");
    }
    a.call.command(Command::Hangup).await.expect("hang up");
    a.wait("Ended", Duration::from_secs(5)).await;
    assert_eq!(
        sandbox.alexa_log(&id).last().map(String::as_str),
        Some("→CallEnded")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_hold_offers_recvonly_and_resume_sendrecv_through_call_update() {
    let sandbox = sandbox(Default::default()).await;
    let a = alexa_line(&sandbox, 1000.0).await;
    a.dial("alexa:kitchen").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    let id = only_session(&sandbox);
    a.call.command(Command::Hold).await.expect("hold");
    a.wait("Held", Duration::from_secs(5)).await;
    assert_eq!(
        sandbox.alexa_client_direction(&id).await,
        Some(Direction::RecvOnly)
    );
    a.call.command(Command::Resume).await.expect("resume");
    a.wait("Connected", Duration::from_secs(5)).await;
    assert_eq!(
        sandbox.alexa_client_direction(&id).await,
        Some(Direction::SendRecv)
    );
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "no echo after resume"
    );
    let log = log_of(&sandbox, &id, 13).await;
    assert_eq!(
        log[7..13],
        [
            "→CallUpdate CALL_HOLD",
            "←CallUpdateResponse CALL_HOLD",
            "→CallUpdateAck",
            "→CallUpdate CALL_RESUME",
            "←CallUpdateResponse CALL_RESUME",
            "→CallUpdateAck",
        ]
    );
    a.call.command(Command::Hangup).await.expect("hang up");
    a.wait("Ended", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_holds_and_resumes_us_and_ends_the_call() {
    let sandbox = sandbox(Default::default()).await;
    let a = alexa_line(&sandbox, 1000.0).await;
    registered(&a).await;
    let id = sandbox.alexa_call_me("kitchen").await.expect("call me");
    a.wait("Alerting", Duration::from_secs(5)).await;
    a.call.command(Command::Answer).await.expect("answer");
    a.wait("Connected", Duration::from_secs(10)).await;
    sandbox.alexa_hold(&id, true).await.expect("device holds");
    // The device sends only: we receive only.
    assert_eq!(
        sandbox.alexa_client_direction(&id).await,
        Some(Direction::RecvOnly)
    );
    assert!(
        a.events()
            .iter()
            .any(|e| matches!(e, CallEvent::RemoteHold { held: true })),
        "{:?}",
        a.events()
    );
    sandbox.alexa_hold(&id, false).await.expect("device resumes");
    assert_eq!(
        sandbox.alexa_client_direction(&id).await,
        Some(Direction::SendRecv)
    );
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "no echo after the device resumed"
    );
    let log = log_of(&sandbox, &id, 13).await;
    assert_eq!(
        log[7..13],
        [
            "←CallUpdate CALL_HOLD",
            "→CallUpdateResponse CALL_HOLD",
            "←CallUpdateAck",
            "←CallUpdate CALL_RESUME",
            "→CallUpdateResponse CALL_RESUME",
            "←CallUpdateAck",
        ]
    );
    sandbox.alexa_hang_up(&id).await.expect("device hangs up");
    assert_eq!(
        sandbox.alexa_log(&id).last().map(String::as_str),
        Some("←CallEnded")
    );
    let ended = a.wait("Ended", Duration::from_secs(5)).await;
    assert_eq!(ended.to_string(), "Ended (Terminated)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_hold_resume_cycles_end_with_two_way_audio() {
    let sandbox = sandbox(Default::default()).await;
    let a = alexa_line(&sandbox, 1000.0).await;
    a.dial("alexa:kitchen").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    let id = only_session(&sandbox);
    for cycle in 0..50 {
        a.call.command(Command::Hold).await.expect("hold");
        a.wait("Held", Duration::from_secs(5)).await;
        assert_eq!(
            sandbox.alexa_client_direction(&id).await,
            Some(Direction::RecvOnly),
            "cycle {cycle}"
        );
        a.call.command(Command::Resume).await.expect("resume");
        a.wait("Connected", Duration::from_secs(5)).await;
        assert_eq!(
            sandbox.alexa_client_direction(&id).await,
            Some(Direction::SendRecv),
            "cycle {cycle}"
        );
    }
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "no echo after 50 cycles"
    );
    let log = log_of(&sandbox, &id, 7 + 300).await;
    let updates = log.iter().filter(|m| m.starts_with("→CallUpdate CALL_")).count();
    let acks = log.iter().filter(|m| *m == "→CallUpdateAck").count();
    assert_eq!((updates, acks), (100, 100), "{log:?}");
    a.call.command(Command::Hangup).await.expect("hang up");
    a.wait("Ended", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spi_events_reach_an_https_intake_that_the_relay_trusts_by_its_certificate() {
    use dialtone_core::net::LocalTls;
    use dialtone_core::signaling::alexa::{AlexaConfig, AlexaProvider};
    use std::sync::Arc;
    let sandbox = sandbox(Default::default()).await;
    let root = sandbox.base_url();
    let client = sandbox
        .credentials()
        .alexa_client(&root, Duration::from_secs(5))
        .await
        .expect("signed in");
    let config = AlexaConfig {
        intake_tls: Some(Arc::new(LocalTls::generate().expect("certificate"))),
        ..AlexaConfig::new(format!("{root}{}", dialtone_sandbox::alexa::RELAY_ROOT))
    };
    let a = dialtone_e2e::line::line_with(AlexaProvider::new(client, config), 1000.0);
    registered(&a).await;
    let intakes = sandbox.alexa_intakes();
    assert!(
        intakes.len() == 1 && intakes[0].starts_with("https://127.0.0.1:"),
        "{intakes:?}"
    );
    // QA's way to have a device call: the sandbox's call-me route.
    let called: serde_json::Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http")
        .post(format!("{root}/sandbox/v1/call-me"))
        .bearer_auth(sandbox.credentials().control_token)
        .json(&serde_json::json!({"from": "alexa:kitchen"}))
        .send()
        .await
        .expect("call me")
        .json()
        .await
        .expect("json");
    let id = called["sessionId"].as_str().expect("sessionId").to_owned();
    a.wait("Alerting", Duration::from_secs(5)).await;
    a.call.command(Command::Answer).await.expect("answer");
    a.wait("Connected", Duration::from_secs(10)).await;
    assert!(a.hears(1000.0, Duration::from_secs(3)).await, "no echo");
    assert_eq!(log_of(&sandbox, &id, 7).await.len(), 7);
    a.call.command(Command::Hangup).await.expect("hang up");
    a.wait("Ended", Duration::from_secs(5)).await;
}
