//! What goes wrong on an Alexa call: every error status explained from the one table,
//! a 401 answered by one token refresh, a 429 waited out, a refused hold that leaves the
//! call as it was, and SPI events for an unknown sessionId ignored.

use dialtone_core::call::{CallEvent, Command};
use dialtone_core::signaling::alexa::AlexaClient;
use dialtone_core::signaling::alexa::client::{exception, explain};
use dialtone_core::signaling::alexa::wire::{Message, Name};
use dialtone_e2e::line::{alexa_line, sandbox};
use dialtone_sandbox::{FaultKind, Sandbox};
use std::time::Duration;

async fn client(sandbox: &Sandbox) -> AlexaClient {
    sandbox
        .credentials()
        .alexa_client(&sandbox.base_url(), Duration::from_secs(5))
        .await
        .expect("tokens")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_status_is_explained_from_the_one_table() {
    let sandbox = sandbox(Default::default()).await;
    let alexa = client(&sandbox).await;
    let ended = Message::ended("no-such-call", "SUCCESS", "bye");
    // 401 and 429 earn one retry: inject two so the second answer stands.
    for (status, faults) in [
        (400, 1),
        (401, 2),
        (403, 1),
        (404, 1),
        (409, 1),
        (429, 2),
        (500, 1),
        (503, 1),
    ] {
        sandbox.inject_fault(FaultKind::Status(status), faults);
        let e = alexa.signal(&ended).await.expect_err("fault");
        assert_eq!(e.status(), Some(status), "{e}");
        assert_eq!(e.code(), exception(status));
        let text = e.to_string();
        assert!(text.starts_with("ending the call failed: "), "{text}");
        assert!(text.contains(explain(status)), "{text}");
        assert!(text.contains("injected by the sandbox"), "{text}");
    }
    // Unfaulted, the unknown session is the sandbox's own 404.
    let e = alexa.signal(&ended).await.expect_err("unknown session");
    assert_eq!(e.status(), Some(404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_refreshes_the_token_once_and_a_429_is_waited_out() {
    let sandbox = sandbox(Default::default()).await;
    let a = alexa_line(&sandbox, 1000.0).await;
    a.call.command(Command::Register).await.expect("register");
    a.wait("Idle", Duration::from_secs(5)).await;
    let issued = sandbox.status().await.tokens_issued;
    sandbox.revoke_tokens();
    a.dial("alexa:kitchen").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    assert_eq!(
        sandbox.status().await.tokens_issued,
        issued + 1,
        "not exactly one refresh"
    );

    sandbox.inject_fault(FaultKind::Status(429), 1);
    a.call.command(Command::Hold).await.expect("hold");
    a.wait("Held", Duration::from_secs(5)).await;
    a.call.command(Command::Hangup).await.expect("hang up");
    a.wait("Ended", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_hold_says_why_and_the_call_stays_connected() {
    let sandbox = sandbox(Default::default()).await;
    let a = alexa_line(&sandbox, 1000.0).await;
    a.dial("alexa:kitchen").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    sandbox.inject_fault(FaultKind::Status(409), 1);
    a.call.command(Command::Hold).await.expect("hold");
    a.wait("Connected", Duration::from_secs(5)).await;
    let message = a
        .events()
        .into_iter()
        .find_map(|e| match e {
            CallEvent::Error { message, .. } => Some(message),
            _ => None,
        })
        .expect("an error event");
    assert!(message.contains("putting the call on hold failed"), "{message}");
    assert!(message.contains(explain(409)), "{message}");
    assert!(a.hears(1000.0, Duration::from_secs(3)).await, "the echo stopped");
    // And the next hold works.
    a.call.command(Command::Hold).await.expect("hold again");
    a.wait("Held", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spi_events_for_an_unknown_session_are_ignored() {
    let sandbox = sandbox(Default::default()).await;
    let a = alexa_line(&sandbox, 1000.0).await;
    a.dial("alexa:kitchen").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    for m in [
        Message::ended("someone-elses-call", "SUCCESS", "bye"),
        Message::bare(Name::CallAcceptedAck, "someone-elses-call"),
    ] {
        let v = serde_json::to_value(&m).expect("json");
        assert!(sandbox.alexa_deliver(&v).await, "the intake refused {m:?}");
    }
    // A malformed event is refused at the door.
    let hold_without_offer = Message::bare(Name::CallUpdate, "x");
    let v = serde_json::to_value(&hold_without_offer).expect("json");
    assert!(sandbox.alexa_deliver(&v).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(a.call.state().name(), "Connected");
    assert!(a.hears(1000.0, Duration::from_secs(3)).await);
    a.call.command(Command::Hangup).await.expect("hang up");
    a.wait("Ended", Duration::from_secs(5)).await;
}
