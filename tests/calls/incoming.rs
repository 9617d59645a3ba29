//! The sandbox calls us: one call answered (two-way audio through the echo), one declined.

use dialtone_core::call::{CallEvent, Command};
use dialtone_e2e::line::{line, sandbox};
use std::time::Duration;

async fn registered(a: &dialtone_e2e::line::Line) {
    a.call.command(Command::Register).await.expect("register");
    a.wait("Idle", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incoming_call_is_answered_and_carries_audio() {
    let sandbox = sandbox(Default::default()).await;
    let a = line(&sandbox, 1000.0).await;
    registered(&a).await;
    sandbox.call_me(None).await.expect("call me");
    a.wait("Alerting", Duration::from_secs(5)).await;
    assert!(
        a.events()
            .iter()
            .any(|e| matches!(e, CallEvent::Incoming { from } if from == "+15550100"))
    );
    a.call.command(Command::Answer).await.expect("answer");
    a.wait("Connected", Duration::from_secs(10)).await;
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "no echo on the answered call"
    );
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;
    assert!(sandbox.status().await.sessions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incoming_call_is_declined_and_nothing_is_left() {
    let sandbox = sandbox(Default::default()).await;
    let a = line(&sandbox, 1000.0).await;
    registered(&a).await;
    sandbox.call_me(None).await.expect("call me");
    a.wait("Alerting", Duration::from_secs(5)).await;
    a.call.command(Command::Decline).await.expect("decline");
    let ended = a.wait("Ended", Duration::from_secs(5)).await;
    assert_eq!(ended.to_string(), "Ended (Rejected)");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        sandbox.status().await.sessions.is_empty(),
        "the declined session stayed"
    );
    // The line takes the next call.
    sandbox.call_me(None).await.expect("call me again");
    a.wait("Alerting", Duration::from_secs(5)).await;
}
