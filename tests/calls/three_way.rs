//! A local three-way call on the sandbox: +15550101 (440 Hz) held, +15550112 (660 Hz)
//! dialled, then merged. Each far end hears us (1000 Hz) and the other, never itself;
//! our mute silences only us; split and hanging up either leg leave the other up.

use dialtone_core::call::LineCommand;
use dialtone_e2e::line::{Line, sandbox};
use dialtone_e2e::multi::{Ears, calls_are, command, far_end_hears, line, session_with, we_hear};
use dialtone_sandbox::Sandbox;
use dialtone_sandbox::far_end::{SECOND_TONE_HZ, TONE_HZ};
use std::time::Duration;

const OURS: f64 = 1000.0;

/// Calls 1 (+15550101) and 2 (+15550112) merged; their sandbox sessions.
async fn merged(sandbox: &Sandbox) -> (Line, Ears, [String; 2]) {
    let (a, ears) = line(sandbox, OURS).await;
    a.dial("+15550101").await;
    calls_are(&a, &[(1, "Connected")], Duration::from_secs(10)).await;
    let to = dialtone_core::call::Address::parse("+15550112").expect("number");
    assert_eq!(command(&a, LineCommand::Dial(to)).await, Some(2));
    calls_are(&a, &[(1, "Held"), (2, "Connected")], Duration::from_secs(10)).await;
    command(&a, LineCommand::Merge(1)).await;
    calls_are(&a, &[(1, "Connected"), (2, "Connected")], Duration::from_secs(10)).await;
    let sessions = [
        session_with(sandbox, "+15550101").await,
        session_with(sandbox, "+15550112").await,
    ];
    (a, ears, sessions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_far_ends_hear_us_and_each_other_but_never_themselves_and_mute_silences_only_us() {
    let sandbox = sandbox(Default::default()).await;
    let (a, ears, [one, two]) = merged(&sandbox).await;
    far_end_hears(
        &sandbox,
        &one,
        &[(OURS, true), (SECOND_TONE_HZ, true), (TONE_HZ, false)],
    )
    .await;
    far_end_hears(
        &sandbox,
        &two,
        &[(OURS, true), (TONE_HZ, true), (SECOND_TONE_HZ, false)],
    )
    .await;
    we_hear(&ears.of(0), &[(TONE_HZ, true)]).await;
    we_hear(&ears.of(1), &[(SECOND_TONE_HZ, true)]).await;

    command(&a, LineCommand::Mute(true)).await;
    far_end_hears(&sandbox, &one, &[(OURS, false), (SECOND_TONE_HZ, true)]).await;
    far_end_hears(&sandbox, &two, &[(OURS, false), (TONE_HZ, true)]).await;
    command(&a, LineCommand::Mute(false)).await;
    far_end_hears(&sandbox, &one, &[(OURS, true), (SECOND_TONE_HZ, true)]).await;

    // Split: the call that was active (2) stays up, the other is held and hears nothing.
    command(&a, LineCommand::Split).await;
    calls_are(&a, &[(1, "Held"), (2, "Connected")], Duration::from_secs(10)).await;
    far_end_hears(&sandbox, &one, &[(OURS, false), (SECOND_TONE_HZ, false)]).await;
    far_end_hears(&sandbox, &two, &[(OURS, true), (TONE_HZ, false)]).await;
    command(&a, LineCommand::Hangup(2)).await;
    command(&a, LineCommand::Hangup(1)).await;
    calls_are(&a, &[], Duration::from_secs(5)).await;
}

/// Hangs up leg `gone` of the merged call: the other stays up, hearing only us.
async fn hang_up_leg(gone: u32) {
    let sandbox = sandbox(Default::default()).await;
    let (a, ears, sessions) = merged(&sandbox).await;
    let stays = 3 - gone;
    command(&a, LineCommand::Hangup(gone)).await;
    calls_are(&a, &[(stays, "Connected")], Duration::from_secs(10)).await;
    assert!(a.call.calls().len() == 1);
    let (far, far_tone, other_tone) = if stays == 1 {
        (&sessions[0], TONE_HZ, SECOND_TONE_HZ)
    } else {
        (&sessions[1], SECOND_TONE_HZ, TONE_HZ)
    };
    far_end_hears(&sandbox, far, &[(OURS, true), (other_tone, false)]).await;
    we_hear(&ears.of((stays - 1) as usize), &[(far_tone, true)]).await;
    let status = sandbox.status().await;
    assert_eq!(status.sessions.len(), 1, "{status:?}");
    command(&a, LineCommand::Hangup(stays)).await;
    calls_are(&a, &[], Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_up_the_first_leg_of_a_merged_call_leaves_the_second_up() {
    hang_up_leg(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_up_the_second_leg_of_a_merged_call_leaves_the_first_up() {
    hang_up_leg(2).await;
}
