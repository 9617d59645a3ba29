//! Call waiting over Alexa: a device calls us while we are in a call with another; its
//! call rings in beside the first (SPI events find their call by session), answering it
//! holds the first (CallUpdate CALL_HOLD: the first device sees `recvonly`), a swap turns
//! them round, and each call ends apart.

use dialtone_core::call::LineCommand;
use dialtone_core::media::Direction;
use dialtone_e2e::line::{alexa_line, sandbox};
use dialtone_e2e::multi::{calls_are, command};
use dialtone_sandbox::Sandbox;
use std::time::Duration;

/// How the device of Alexa call `id` sees our direction.
async fn seen_by(sandbox: &Sandbox, id: &str) -> Option<Direction> {
    sandbox
        .status()
        .await
        .alexa_calls
        .into_iter()
        .find(|c| c.session_id == id)
        .and_then(|c| c.client_direction)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_calling_during_an_alexa_call_rings_in_beside_it_and_swaps_with_it() {
    let sandbox = sandbox(Default::default()).await;
    let a = alexa_line(&sandbox, 1000.0).await;
    a.dial("alexa:kitchen").await;
    calls_are(&a, &[(1, "Connected")], Duration::from_secs(10)).await;
    let first = sandbox.alexa_sessions()[0].clone();
    let second = sandbox.alexa_call_me("den").await.expect("the device calls");
    calls_are(&a, &[(1, "Connected"), (2, "Alerting")], Duration::from_secs(5)).await;
    command(&a, LineCommand::Answer(2)).await;
    calls_are(&a, &[(1, "Held"), (2, "Connected")], Duration::from_secs(10)).await;
    assert_eq!(seen_by(&sandbox, &first).await, Some(Direction::RecvOnly));
    assert_eq!(seen_by(&sandbox, &second).await, Some(Direction::SendRecv));
    command(&a, LineCommand::Resume(1)).await;
    calls_are(&a, &[(1, "Connected"), (2, "Held")], Duration::from_secs(10)).await;
    assert_eq!(seen_by(&sandbox, &first).await, Some(Direction::SendRecv));
    assert_eq!(seen_by(&sandbox, &second).await, Some(Direction::RecvOnly));
    // The held device hangs up: only its call ends.
    sandbox.alexa_hang_up(&second).await.expect("hang up");
    calls_are(&a, &[(1, "Connected")], Duration::from_secs(5)).await;
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "the first call lost its audio"
    );
    command(&a, LineCommand::Hangup(1)).await;
    calls_are(&a, &[], Duration::from_secs(5)).await;
}
