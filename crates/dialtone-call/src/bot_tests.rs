//! Every transition of the bot-call machine, and the commands it refuses.

use crate::bot::*;
use crate::{Address, CallEvent, CallState, Command, EndReason};
use std::time::Instant;

fn bot() -> Address {
    Address::parse("lex:DEMOBOT001").expect("bot address")
}

fn drain(m: &mut BotMachine) -> Vec<BotEffect> {
    std::iter::from_fn(|| m.poll_effect()).collect()
}

fn connected() -> (BotMachine, Instant) {
    let now = Instant::now();
    let mut m = BotMachine::new(true);
    m.handle(BotInput::Command(Command::Dial(bot())), now)
        .expect("dial");
    m.handle(BotInput::Opened, now).expect("opened");
    drain(&mut m);
    (m, now)
}

fn events(effects: &[BotEffect]) -> Vec<CallEvent> {
    effects
        .iter()
        .filter_map(|e| match e {
            BotEffect::Event(ev) => Some(ev.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn dialing_a_bot_opens_the_stream_then_connects_with_the_mic_live() {
    let now = Instant::now();
    let mut m = BotMachine::new(true);
    m.handle(BotInput::Command(Command::Dial(bot())), now)
        .expect("dial");
    let fx = drain(&mut m);
    assert!(matches!(&fx[0], BotEffect::Open(b) if b.bot_id == "DEMOBOT001"));
    assert!(fx.contains(&BotEffect::State(CallState::Dialing)));
    m.handle(BotInput::Opened, now).expect("opened");
    let fx = drain(&mut m);
    assert!(fx.contains(&BotEffect::State(CallState::Connected)));
    assert!(fx.contains(&BotEffect::Mic { live: true }));
    assert!(fx.contains(&BotEffect::Speaker { on: true }));
}

#[test]
fn a_prompt_plays_then_completes_with_one_playback_completion() {
    let (mut m, now) = connected();
    m.handle(BotInput::Event(BotEvent::Audio(vec![1; 160])), now)
        .expect("audio");
    m.handle(BotInput::Event(BotEvent::Audio(vec![2; 160])), now)
        .expect("audio");
    m.handle(BotInput::Event(BotEvent::Audio(vec![])), now)
        .expect("end mark");
    let fx = drain(&mut m);
    assert_eq!(events(&fx), [CallEvent::Prompt { playing: true }]);
    assert_eq!(fx.iter().filter(|e| matches!(e, BotEffect::Play(_))).count(), 2);
    m.handle(BotInput::PlayoutDrained, now).expect("drained");
    let fx = drain(&mut m);
    assert_eq!(
        fx,
        [
            BotEffect::Event(CallEvent::Prompt { playing: false }),
            BotEffect::Send(BotRequest::PlaybackCompleted)
        ]
    );
    m.handle(BotInput::PlayoutDrained, now).expect("again");
    assert!(drain(&mut m).is_empty(), "one completion per prompt");
}

#[test]
fn disable_playback_sends_no_completion() {
    let now = Instant::now();
    let mut m = BotMachine::new(false);
    m.handle(BotInput::Command(Command::Dial(bot())), now)
        .expect("dial");
    m.handle(BotInput::Opened, now).expect("opened");
    m.handle(BotInput::Event(BotEvent::Audio(vec![1; 160])), now)
        .expect("audio");
    m.handle(BotInput::PlayoutDrained, now).expect("drained");
    assert!(!drain(&mut m).contains(&BotEffect::Send(BotRequest::PlaybackCompleted)));
}

#[test]
fn barge_in_stops_the_playout_at_once_and_sends_no_completion() {
    let (mut m, now) = connected();
    m.handle(BotInput::Event(BotEvent::Audio(vec![1; 160])), now)
        .expect("audio");
    drain(&mut m);
    m.handle(
        BotInput::Event(BotEvent::Interrupted("DTMF_START_DETECTED".into())),
        now,
    )
    .expect("interrupt");
    let fx = drain(&mut m);
    assert_eq!(fx[0], BotEffect::StopPlayout);
    assert_eq!(
        events(&fx),
        [
            CallEvent::Prompt { playing: false },
            CallEvent::Interrupted {
                reason: "DTMF_START_DETECTED".into()
            }
        ]
    );
    m.handle(BotInput::PlayoutDrained, now).expect("drained");
    assert!(drain(&mut m).is_empty());
}

#[test]
fn transcripts_messages_and_intents_become_call_events() {
    let (mut m, now) = connected();
    m.handle(BotInput::Event(BotEvent::Transcript("book a room".into())), now)
        .expect("transcript");
    m.handle(
        BotInput::Event(BotEvent::Messages(vec!["Okay.".into(), "Which city?".into()])),
        now,
    )
    .expect("messages");
    m.handle(
        BotInput::Event(BotEvent::Intent {
            name: "BookRoom".into(),
            state: Some("InProgress".into()),
            input_mode: Some("Text".into()),
        }),
        now,
    )
    .expect("intent");
    m.handle(BotInput::Event(BotEvent::Heartbeat), now)
        .expect("heartbeat");
    let ev = events(&drain(&mut m));
    assert_eq!(ev.len(), 4);
    assert_eq!(
        ev[0],
        CallEvent::Transcript {
            text: "book a room".into()
        }
    );
    assert_eq!(
        ev[2],
        CallEvent::BotText {
            text: "Which city?".into()
        }
    );
    assert!(matches!(&ev[3], CallEvent::Intent { name, .. } if name == "BookRoom"));
}

#[test]
fn dtmf_sends_one_event_per_key_and_text_is_trimmed() {
    let (mut m, now) = connected();
    m.handle(BotInput::Command(Command::Dtmf("1#".into())), now)
        .expect("dtmf");
    m.handle(BotInput::Command(Command::Text("  book a room ".into())), now)
        .expect("text");
    let sent: Vec<_> = drain(&mut m)
        .into_iter()
        .filter_map(|e| match e {
            BotEffect::Send(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent,
        [
            BotRequest::Dtmf('1'),
            BotRequest::Dtmf('#'),
            BotRequest::Text("book a room".into())
        ]
    );
}

#[test]
fn hold_silences_both_ways_and_resume_restores_the_mute_choice() {
    let (mut m, now) = connected();
    m.handle(BotInput::Command(Command::Mute(true)), now)
        .expect("mute");
    m.handle(BotInput::Command(Command::Hold), now).expect("hold");
    let fx = drain(&mut m);
    assert!(fx.contains(&BotEffect::State(CallState::Held)));
    assert!(fx.contains(&BotEffect::Speaker { on: false }));
    m.handle(BotInput::Command(Command::Resume), now).expect("resume");
    let fx = drain(&mut m);
    assert!(fx.contains(&BotEffect::State(CallState::Connected)));
    assert!(fx.contains(&BotEffect::Mic { live: false }), "still muted");
    m.handle(BotInput::Command(Command::Mute(false)), now)
        .expect("unmute");
    assert!(drain(&mut m).contains(&BotEffect::Mic { live: true }));
}

#[test]
fn hang_up_disconnects_then_ends_when_the_bot_closes_or_after_the_grace() {
    let (mut m, now) = connected();
    m.handle(BotInput::Command(Command::Hangup), now)
        .expect("hang up");
    let fx = drain(&mut m);
    assert_eq!(
        &fx[..3],
        [
            BotEffect::Send(BotRequest::Disconnect),
            BotEffect::Close,
            BotEffect::State(CallState::Ending)
        ]
    );
    m.handle(BotInput::Closed, now).expect("closed");
    assert_eq!(m.state(), &CallState::Ended(EndReason::Hangup));

    let (mut m, now) = connected();
    m.handle(BotInput::Command(Command::Hangup), now)
        .expect("hang up");
    m.handle_timeout(now + CLOSE_TIMEOUT);
    assert_eq!(m.state(), &CallState::Ended(EndReason::Hangup));
}

#[test]
fn the_bot_closing_or_failing_ends_the_call_with_the_reason() {
    let (mut m, now) = connected();
    m.handle(BotInput::Closed, now).expect("closed");
    assert_eq!(m.state(), &CallState::Ended(EndReason::Terminated));

    let (mut m, now) = connected();
    m.handle(
        BotInput::Failed {
            code: "ThrottlingException".into(),
            message: "slow down".into(),
        },
        now,
    )
    .expect("failed");
    let fx = drain(&mut m);
    assert!(events(&fx).contains(&CallEvent::Error {
        code: "ThrottlingException".into(),
        message: "slow down".into()
    }));
    assert_eq!(
        m.state(),
        &CallState::Ended(EndReason::Failed("slow down".into()))
    );
    m.handle(BotInput::Command(Command::Dial(bot())), now)
        .expect("a new call after a failed one");
}

#[test]
fn silence_from_the_bot_and_a_stream_that_never_opens_time_out() {
    let (mut m, now) = connected();
    m.handle_timeout(now + BOT_SILENCE_TIMEOUT / 2);
    assert_eq!(m.state(), &CallState::Connected);
    m.handle(
        BotInput::Event(BotEvent::Heartbeat),
        now + BOT_SILENCE_TIMEOUT / 2,
    )
    .expect("heartbeat");
    m.handle_timeout(now + BOT_SILENCE_TIMEOUT);
    assert_eq!(m.state(), &CallState::Connected, "the heartbeat kept it alive");
    m.handle_timeout(now + BOT_SILENCE_TIMEOUT * 2);
    assert!(matches!(m.state(), CallState::Ended(EndReason::Failed(_))));

    let now = Instant::now();
    let mut m = BotMachine::new(true);
    m.handle(BotInput::Command(Command::Dial(bot())), now)
        .expect("dial");
    m.handle_timeout(now + OPEN_TIMEOUT);
    assert!(matches!(m.state(), CallState::Ended(EndReason::Failed(w)) if w.contains("did not answer")));
}

#[test]
fn illegal_commands_are_refused_and_change_nothing() {
    let now = Instant::now();
    let mut m = BotMachine::new(true);
    for c in [
        Command::Hangup,
        Command::Hold,
        Command::Resume,
        Command::Mute(true),
        Command::Dtmf("1".into()),
        Command::Text("hi".into()),
        Command::Register,
        Command::Answer,
        Command::Decline,
        Command::Dial(Address::parse("+15550100").expect("number")),
        Command::Dial(Address::parse("alexa:kitchen").expect("device")),
    ] {
        assert!(
            m.handle(BotInput::Command(c.clone()), now).is_err(),
            "{c:?} while idle"
        );
    }
    assert!(drain(&mut m).is_empty());
    assert_eq!(m.state(), &CallState::Idle);

    let (mut m, now) = connected();
    for c in [
        Command::Dial(bot()),
        Command::Resume,
        Command::Dtmf("x".into()),
        Command::Dtmf(String::new()),
        Command::Text("   ".into()),
        Command::Text("a".repeat(MAX_TEXT + 1)),
    ] {
        let e = m
            .handle(BotInput::Command(c.clone()), now)
            .expect_err("illegal while connected");
        assert_eq!(e.code(), "ILLEGAL_COMMAND", "{c:?}");
    }
    m.handle(BotInput::Command(Command::Hold), now).expect("hold");
    for c in [
        Command::Hold,
        Command::Dtmf("1".into()),
        Command::Text("hi".into()),
    ] {
        assert!(
            m.handle(BotInput::Command(c.clone()), now).is_err(),
            "{c:?} while held"
        );
    }
    assert_eq!(m.state(), &CallState::Held);
}

#[test]
fn events_before_the_call_or_after_it_are_ignored() {
    let now = Instant::now();
    let mut m = BotMachine::new(true);
    m.handle(BotInput::Opened, now).expect("stray open");
    m.handle(BotInput::Event(BotEvent::Transcript("x".into())), now)
        .expect("stray");
    m.handle(BotInput::Closed, now).expect("stray close");
    assert!(drain(&mut m).is_empty());
    assert_eq!(m.state(), &CallState::Idle);
}

#[test]
fn what_a_bot_call_allows_is_what_its_machine_accepts() {
    let commands = || {
        [
            Command::Dial(bot()),
            Command::Answer,
            Command::Decline,
            Command::Hangup,
            Command::Hold,
            Command::Resume,
            Command::Mute(true),
            Command::Dtmf("1".into()),
            Command::Text("hi".into()),
        ]
    };
    let idle = || (BotMachine::new(true), Instant::now());
    let held = || {
        let (mut m, now) = connected();
        m.handle(BotInput::Command(Command::Hold), now).expect("hold");
        (m, now)
    };
    let builders: [fn() -> (BotMachine, Instant); 3] = [idle, connected, held];
    for build in builders {
        for c in commands() {
            let (mut m, now) = build();
            let state = m.state().clone();
            let accepted = m.handle(BotInput::Command(c.clone()), now).is_ok();
            assert_eq!(
                accepted,
                BotMachine::allowed(&state).permits(&c),
                "{c:?} in {state}"
            );
        }
    }
}
