//! Call waiting on the sandbox: +15550111 (a 440 Hz tone) calls back from +15550112 (a
//! 660 Hz tone) while its call is up. Answering the second call holds the first (the
//! operator sees `recvonly`); then ten swaps, each checked by ear both ways: the active
//! far end hears our 1000 Hz and we hear it; the held far end hears nothing of us, and
//! we do not hear it.

use dialtone_core::call::{CallEvent, LineCommand};
use dialtone_core::media::Direction;
use dialtone_e2e::line::sandbox;
use dialtone_e2e::multi::{
    Ears, calls_are, command, far_end_hears, line, operator_sees, session_with, we_hear,
};
use dialtone_sandbox::FaultKind;
use dialtone_sandbox::far_end::{CALLBACK_FROM, SECOND_TONE_HZ, TONE_HZ};
use std::time::Duration;

const OURS: f64 = 1000.0;

/// Call 1 with +15550111 up, and its call back ringing in as call 2.
async fn waiting(sandbox: &dialtone_sandbox::Sandbox) -> (dialtone_e2e::line::Line, Ears) {
    let (a, ears) = line(sandbox, OURS).await;
    a.dial("+15550111").await;
    calls_are(&a, &[(1, "Connected")], Duration::from_secs(10)).await;
    calls_are(&a, &[(1, "Connected"), (2, "Alerting")], Duration::from_secs(8)).await;
    (a, ears)
}

/// Which far end is active: it and we hear each other; the other hears nothing of us
/// and is not heard.
async fn active_is(sandbox: &dialtone_sandbox::Sandbox, ears: &Ears, sessions: [&str; 2], active: usize) {
    let tones = [TONE_HZ, SECOND_TONE_HZ];
    let held = 1 - active;
    far_end_hears(sandbox, sessions[active], &[(OURS, true)]).await;
    far_end_hears(sandbox, sessions[held], &[(OURS, false)]).await;
    we_hear(&ears.of(active), &[(tones[active], true)]).await;
    // A held call is out of earshot while another is up (its far end plays its hold tone).
    we_hear(
        &ears.of(held),
        &[(tones[held], false), (tones[held] * 2.0, false)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answering_a_waiting_call_holds_the_first_and_ten_swaps_keep_each_calls_audio_right() {
    let sandbox = sandbox(Default::default()).await;
    let (a, ears) = waiting(&sandbox).await;
    a.wait_event(Duration::from_secs(2), |e| {
        matches!(e, CallEvent::WaitingTone { playing: true })
    })
    .await;
    command(&a, LineCommand::Answer(2)).await;
    calls_are(&a, &[(1, "Held"), (2, "Connected")], Duration::from_secs(10)).await;
    let first = session_with(&sandbox, "+15550111").await;
    let second = session_with(&sandbox, CALLBACK_FROM).await;
    operator_sees(&sandbox, &first, Direction::RecvOnly).await;
    operator_sees(&sandbox, &second, Direction::SendRecv).await;
    let sessions = [first.as_str(), second.as_str()];
    active_is(&sandbox, &ears, sessions, 1).await;
    for swap in 0..10 {
        // Even swaps go back to call 1, odd ones to call 2.
        let to = if swap % 2 == 0 { 1 } else { 2 };
        command(&a, LineCommand::Resume(to)).await;
        let want = if to == 1 {
            [(1, "Connected"), (2, "Held")]
        } else {
            [(1, "Held"), (2, "Connected")]
        };
        calls_are(&a, &want, Duration::from_secs(10)).await;
        active_is(&sandbox, &ears, sessions, (to - 1) as usize).await;
    }
    // Hanging up the active call leaves the held one, held, where the user can resume it.
    command(&a, LineCommand::Hangup(2)).await;
    calls_are(&a, &[(1, "Held")], Duration::from_secs(5)).await;
    command(&a, LineCommand::Resume(1)).await;
    calls_are(&a, &[(1, "Connected")], Duration::from_secs(5)).await;
    we_hear(&ears.of(0), &[(TONE_HZ, true)]).await;
    command(&a, LineCommand::Hangup(1)).await;
    calls_are(&a, &[], Duration::from_secs(5)).await;
    assert!(
        sandbox.status().await.sessions.is_empty(),
        "a session was left behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declining_a_waiting_call_leaves_the_active_call_alone() {
    let sandbox = sandbox(Default::default()).await;
    let (a, ears) = waiting(&sandbox).await;
    command(&a, LineCommand::Decline(2)).await;
    calls_are(&a, &[(1, "Connected")], Duration::from_secs(5)).await;
    let first = session_with(&sandbox, "+15550111").await;
    far_end_hears(&sandbox, &first, &[(OURS, true)]).await;
    we_hear(&ears.of(0), &[(TONE_HZ, true)]).await;
    a.wait_event(Duration::from_secs(2), |e| {
        matches!(e, CallEvent::WaitingTone { playing: false })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_whose_resume_the_operator_refuses_resumes_the_first_call_again() {
    let sandbox = sandbox(Default::default()).await;
    let (a, ears) = waiting(&sandbox).await;
    command(&a, LineCommand::Answer(2)).await;
    calls_are(&a, &[(1, "Held"), (2, "Connected")], Duration::from_secs(10)).await;
    let first = session_with(&sandbox, "+15550111").await;
    let second = session_with(&sandbox, CALLBACK_FROM).await;
    // Call 2's hold goes through; call 1's resume is refused, every retry too.
    sandbox.inject_fault_on(FaultKind::Status(409), 5, &first);
    command(&a, LineCommand::Resume(1)).await;
    let told = a
        .wait_event(
            Duration::from_secs(20),
            |e| matches!(e, CallEvent::Error { code, .. } if code == "SWAP_FAILED"),
        )
        .await;
    assert!(format!("{told:?}").contains("resuming call 2"), "{told:?}");
    calls_are(&a, &[(1, "Held"), (2, "Connected")], Duration::from_secs(10)).await;
    sandbox.inject_fault(FaultKind::Status(409), 0);
    active_is(&sandbox, &ears, [&first, &second], 1).await;
}
