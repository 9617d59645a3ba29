//! A server that answers 500, malformed JSON or nothing at all: a clear error, the call
//! ends cleanly, and no session is left behind. A token revoked mid-call is replaced
//! without the user noticing.

use dialtone_core::call::{CallEvent, Command};
use dialtone_e2e::line::{line, line_with, provider, sandbox};
use dialtone_sandbox::FaultKind;
use std::time::Duration;

async fn dial_into_fault(kind: FaultKind, expect: &str) {
    let sandbox = sandbox(Default::default()).await;
    let a = line_with(provider(&sandbox, Duration::from_secs(2)), 1000.0);
    a.call.command(Command::Register).await.expect("register");
    a.wait("Idle", Duration::from_secs(5)).await;
    sandbox.inject_fault(kind, 1);
    a.dial("+15550100").await;
    let ended = a.wait("Ended", Duration::from_secs(10)).await;
    assert!(ended.to_string().contains(expect), "{kind:?}: {ended}");
    assert!(
        a.events()
            .iter()
            .any(|e| matches!(e, CallEvent::Error { message, .. } if message.contains(expect)))
    );
    assert!(
        sandbox.status().await.sessions.is_empty(),
        "{kind:?} left a session behind"
    );
    // The line is still usable.
    a.dial("+15550100").await;
    a.wait("Connected", Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_gives_a_clear_error_and_no_session() {
    dial_into_fault(FaultKind::ServerError, "the operator's server failed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_gives_a_clear_error_and_no_session() {
    dial_into_fault(FaultKind::MalformedJson, "could not be read").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_at_all_times_out_with_a_clear_error_and_no_session() {
    dial_into_fault(FaultKind::NoResponse, "did not answer within 2 s").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_hold_keeps_the_call_connected() {
    let sandbox = sandbox(Default::default()).await;
    let a = line(&sandbox, 1000.0).await;
    a.dial("+15550100").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    sandbox.inject_fault(FaultKind::ServerError, 1);
    a.call.command(Command::Hold).await.expect("hold");
    // The refused hold passes through Holding and back faster than a wait can watch:
    // the event log has the whole path.
    assert!(a.states().contains(&"Holding".to_owned()), "{:?}", a.states());
    a.wait("Connected", Duration::from_secs(5)).await;
    assert!(
        a.events()
            .iter()
            .any(|e| matches!(e, CallEvent::Error { message, .. } if message.contains("on hold failed"))),
        "{:?}",
        a.events()
    );
    assert!(
        a.hears(1000.0, Duration::from_secs(2)).await,
        "audio stopped after the failed hold"
    );
    a.call.command(Command::Hold).await.expect("hold again");
    a.wait("Held", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_mid_call_is_replaced_without_the_user_noticing() {
    let sandbox = sandbox(Default::default()).await;
    let a = line(&sandbox, 1000.0).await;
    a.dial("+15550100").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    sandbox.revoke_tokens();
    a.call.command(Command::Hold).await.expect("hold");
    a.wait("Held", Duration::from_secs(5)).await;
    a.call.command(Command::Resume).await.expect("resume");
    a.wait("Connected", Duration::from_secs(5)).await;
    assert!(
        !a.events().iter().any(|e| matches!(e, CallEvent::Error { .. })),
        "{:?}",
        a.events()
    );
}
