//! Every sandbox number ends in its documented state.

use dialtone_core::call::{CallEvent, Command};
use dialtone_e2e::line::{line, sandbox};
use dialtone_sandbox::SandboxConfig;
use std::time::Duration;

fn quick() -> SandboxConfig {
    // +15550103 rings 20 s by default; 2 s keeps the suite short.
    SandboxConfig {
        no_answer_after: Duration::from_secs(2),
        ..Default::default()
    }
}

async fn ends_with(number: &str, reason: &str, ringing_first: bool) {
    let sandbox = sandbox(quick()).await;
    let a = line(&sandbox, 1000.0).await;
    a.dial(number).await;
    let ended = a.wait("Ended", Duration::from_secs(15)).await;
    assert_eq!(
        ended.to_string(),
        format!("Ended ({reason})"),
        "{number}: {:?}",
        a.states()
    );
    assert_eq!(
        a.states().contains(&"Ringing".to_owned()),
        ringing_first,
        "{number}: {:?}",
        a.states()
    );
    assert!(!a.states().contains(&"Connected".to_owned()));
    assert!(
        sandbox.status().await.sessions.is_empty(),
        "{number} left a session behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_number_ends_busy() {
    ends_with("+15550102", "Busy", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_number_rings_then_ends_no_answer() {
    ends_with("+15550103", "NoAnswer", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declining_number_rings_then_ends_declined() {
    ends_with("+15550104", "Declined", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_number_ends_not_reachable() {
    ends_with("+15550105", "NotReachable", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_outside_the_directory_is_not_reachable() {
    ends_with("+15550199", "NotReachable", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_returns_our_tone() {
    let sandbox = sandbox(quick()).await;
    let a = line(&sandbox, 2000.0).await;
    a.dial("+15550100").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    assert!(
        a.hears(2000.0, Duration::from_secs(3)).await,
        "the echo did not return 2 kHz"
    );
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tone_number_plays_440_and_880_while_we_hold_it() {
    let sandbox = sandbox(quick()).await;
    let a = line(&sandbox, 1000.0).await;
    a.dial("+15550101").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    assert!(a.hears(440.0, Duration::from_secs(3)).await, "no 440 Hz");
    a.call.command(Command::Hold).await.expect("hold");
    a.wait("Held", Duration::from_secs(5)).await;
    assert!(
        a.hears(880.0, Duration::from_secs(3)).await,
        "no 880 Hz while held"
    );
    a.call.command(Command::Resume).await.expect("resume");
    a.wait("Connected", Duration::from_secs(5)).await;
    assert!(
        a.hears(440.0, Duration::from_secs(3)).await,
        "no 440 Hz after resume"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_hold_from_15550106_is_seen_and_lifted() {
    let sandbox = sandbox(quick()).await;
    let a = line(&sandbox, 1000.0).await;
    a.dial("+15550106").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    let held = |want: bool| move |e: &CallEvent| matches!(e, CallEvent::RemoteHold { held } if *held == want);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !a.events().iter().any(held(true)) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        a.events().iter().any(held(true)),
        "no remote hold: {:?}",
        a.events()
    );
    let s = sandbox.status().await;
    assert_eq!(
        s.sessions[0].far_end_direction,
        Some(dialtone_core::media::Direction::SendOnly),
        "{s:?}"
    );
    while !a.events().iter().any(held(false)) && std::time::Instant::now() < deadline + Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(a.events().iter().any(held(false)), "remote hold never lifted");
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "no echo after the far end resumed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_up_number_ends_the_call_terminated() {
    let sandbox = sandbox(quick()).await;
    let a = line(&sandbox, 1000.0).await;
    a.dial("+15550107").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    let ended = a.wait("Ended", Duration::from_secs(10)).await;
    assert_eq!(ended.to_string(), "Ended (Terminated)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_answering_number_rings_then_connects() {
    let sandbox = sandbox(quick()).await;
    let a = line(&sandbox, 1000.0).await;
    a.dial("+15550108").await;
    a.wait("Ringing", Duration::from_secs(5)).await;
    a.wait("Connected", Duration::from_secs(10)).await;
    assert!(a.hears(1000.0, Duration::from_secs(3)).await);
}
