//! A Lex bot conversation as one of a phone line's calls, against the sandbox's demo bot
//! and its +15550101 tone: calling the bot holds the phone call first (the operator sees
//! `recvonly`); digits go to the bot in front, never the held call; each swap is checked
//! by ear both ways (the bot hears our tone only while in front, the phone far end only
//! while it is); a merge with the bot is refused with nothing changed; and hanging up
//! the bot leaves the phone call on hold, where it resumes.

use dialtone_core::call::{CallEvent, LineCommand};
use dialtone_core::media::Direction;
use dialtone_e2e::lex::BOT;
use dialtone_e2e::line::sandbox;
use dialtone_e2e::multi::{
    bot_hears, calls_are, command, far_end_hears, line, operator_sees, session_with, we_hear,
};
use dialtone_sandbox::far_end::TONE_HZ;
use std::time::Duration;

const OURS: f64 = 1000.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_call_beside_a_phone_call_holds_swaps_and_hangs_up_like_any_call() {
    let sandbox = sandbox(Default::default()).await;
    let (a, ears) = line(&sandbox, OURS).await;
    a.dial("+15550101").await;
    calls_are(&a, &[(1, "Connected")], Duration::from_secs(10)).await;
    let phone = session_with(&sandbox, "+15550101").await;
    far_end_hears(&sandbox, &phone, &[(OURS, true)]).await;

    // Calling the bot holds the phone call first.
    let bot = command(
        &a,
        LineCommand::Dial(dialtone_core::call::Address::parse(BOT).expect("bot")),
    )
    .await
    .expect("the bot call's id");
    assert_eq!(bot, 2);
    let calls = calls_are(&a, &[(1, "Held"), (2, "Connected")], Duration::from_secs(10)).await;
    assert_eq!(calls[1].remote, BOT);
    assert!(calls[1].allowed.text, "a bot call in front takes typed text");
    assert!(!calls[0].merge && !calls[1].merge, "the bot was offered a merge");
    operator_sees(&sandbox, &phone, Direction::RecvOnly).await;
    bot_hears(&sandbox, &[(OURS, true)]).await;
    far_end_hears(&sandbox, &phone, &[(OURS, false)]).await;

    // Digits go to the bot in front.
    command(&a, LineCommand::Dtmf("1".into())).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !sandbox
        .lex_conversations()
        .last()
        .is_some_and(|c| c.received.iter().any(|r| r == "DTMFInputEvent:1"))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bot never got the digit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    a.wait_event(Duration::from_secs(5), |e| matches!(e, CallEvent::Intent { .. }))
        .await;

    // A merge with the bot is refused and changes nothing.
    let refused = a
        .call
        .line(LineCommand::Merge(1))
        .await
        .expect_err("merged with a bot");
    assert!(
        refused.to_string().contains("bot calls are not merged"),
        "{refused}"
    );
    calls_are(&a, &[(1, "Held"), (2, "Connected")], Duration::from_secs(1)).await;

    for _ in 0..3 {
        command(&a, LineCommand::Resume(1)).await;
        calls_are(&a, &[(1, "Connected"), (2, "Held")], Duration::from_secs(10)).await;
        operator_sees(&sandbox, &phone, Direction::SendRecv).await;
        far_end_hears(&sandbox, &phone, &[(OURS, true)]).await;
        we_hear(&ears.of(0), &[(TONE_HZ, true)]).await;
        bot_hears(&sandbox, &[(OURS, false)]).await;

        command(&a, LineCommand::Resume(2)).await;
        calls_are(&a, &[(1, "Held"), (2, "Connected")], Duration::from_secs(10)).await;
        operator_sees(&sandbox, &phone, Direction::RecvOnly).await;
        bot_hears(&sandbox, &[(OURS, true)]).await;
        far_end_hears(&sandbox, &phone, &[(OURS, false)]).await;
    }

    // Hanging up the bot ends its conversation and leaves the phone call held.
    command(&a, LineCommand::Hangup(2)).await;
    calls_are(&a, &[(1, "Held")], Duration::from_secs(5)).await;
    let ended = sandbox
        .lex_conversations()
        .last()
        .is_some_and(|c| c.received.iter().any(|r| r == "DisconnectionEvent") || c.ended);
    assert!(ended, "the bot's conversation was left open");
    command(&a, LineCommand::Resume(1)).await;
    calls_are(&a, &[(1, "Connected")], Duration::from_secs(5)).await;
    far_end_hears(&sandbox, &phone, &[(OURS, true)]).await;
    command(&a, LineCommand::Hangup(1)).await;
    calls_are(&a, &[], Duration::from_secs(5)).await;
}
