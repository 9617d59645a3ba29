//! A CAMARA call to the sandbox's echo number: connect, hear ourselves, hold (the
//! sandbox sees `recvonly` from us and no RTP), resume, hang up.

use dialtone_core::call::Command;
use dialtone_core::media::Direction;
use dialtone_e2e::line::{line, sandbox};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_call_holds_and_resumes_with_the_far_end_view_checked() {
    let sandbox = sandbox(Default::default()).await;
    let a = line(&sandbox, 1000.0).await;
    a.dial("+15550100").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "the echo did not return our tone"
    );

    a.call.command(Command::Hold).await.expect("hold");
    a.wait("Held", Duration::from_secs(5)).await;
    let status = sandbox.status().await;
    let s = &status.sessions[0];
    assert_eq!(s.client_direction, Some(Direction::RecvOnly), "{status:?}");
    // Packets sent before the hold committed may still be in flight: let them land.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = sandbox.status().await.sessions[0].far_end_rtp_received;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        sandbox.status().await.sessions[0].far_end_rtp_received,
        before,
        "we sent RTP while holding"
    );

    a.call.command(Command::Resume).await.expect("resume");
    a.wait("Connected", Duration::from_secs(5)).await;
    assert_eq!(
        sandbox.status().await.sessions[0].client_direction,
        Some(Direction::SendRecv)
    );
    assert!(
        a.hears(1000.0, Duration::from_secs(2)).await,
        "no echo after resume"
    );

    a.call.command(Command::Hangup).await.expect("hang up");
    a.wait("Ended", Duration::from_secs(5)).await;
    assert!(
        sandbox.status().await.sessions.is_empty(),
        "the session was left behind"
    );
    assert_eq!(
        a.states(),
        [
            "Registering",
            "Dialing",
            "Connected",
            "Holding",
            "Held",
            "Resuming",
            "Connected",
            "Ending",
            "Ended"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_line_mid_call_hangs_up_first_and_publishes_the_end() {
    let sandbox = sandbox(Default::default()).await;
    let a = line(&sandbox, 1000.0).await;
    a.dial("+15550100").await;
    a.wait("Connected", Duration::from_secs(10)).await;

    // What the app does on a provider switch or quit: the call must end as a hang-up
    // does, or it vanishes from the history and the far end is left ringing on.
    a.call.shutdown().await;
    assert_eq!(a.states()[a.states().len() - 2..], ["Ending", "Ended"]);
    assert!(
        a.events()
            .iter()
            .any(|e| matches!(e, dialtone_core::call::CallEvent::Ended { reason } if reason == "Hangup")),
        "{:?}",
        a.events()
    );
    assert!(
        sandbox.status().await.sessions.is_empty(),
        "the session was left behind"
    );
}
