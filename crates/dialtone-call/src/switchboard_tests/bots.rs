//! A bot conversation as one of the line's calls: placed with a phone call on hold, held
//! and swapped like one, never merged, and refused where the line reaches no bots.

use super::*;

const BOT: &str = "lex:DEMOBOT001";

fn bot_line() -> Line {
    let mut l = Line::new();
    l.sb = Switchboard::new(true).with_bots(true);
    l
}

fn bot_effects(log: &[LineEffect], call: CallId) -> Vec<BotEffect> {
    log.iter()
        .filter_map(|e| match e {
            LineEffect::Bot(id, b) if *id == call => Some(b.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn calling_a_bot_during_a_call_holds_the_call_first_then_opens_the_conversation() {
    let mut l = bot_line();
    let a = l.dial("+15550100");
    l.take_log();
    let b = l.dial(BOT);
    assert!(l.sb.is_bot(b) && !l.sb.is_bot(a));
    assert_eq!(l.state(a), Some(CallState::Held));
    assert_eq!(l.state(b), Some(CallState::Connected));
    let log = l.take_log();
    let held = Line::when(&log, a, CallState::Held);
    let opened = log
        .iter()
        .position(|e| matches!(e, LineEffect::Bot(id, BotEffect::Open(_)) if *id == b))
        .expect("the conversation opened");
    assert!(
        held < opened,
        "the bot was called before the call was held: {log:?}"
    );
    assert!(Line::media_ops(&log, b).is_empty(), "a bot call has no SDP media");
}

#[test]
fn swapping_between_a_bot_and_a_call_silences_the_one_on_hold() {
    let mut l = bot_line();
    let a = l.dial("+15550100");
    let b = l.dial(BOT);
    l.take_log();
    l.ok(LineCommand::Resume(a));
    assert_eq!(l.state(a), Some(CallState::Connected));
    assert_eq!(l.state(b), Some(CallState::Held));
    let log = l.take_log();
    let effects = bot_effects(&log, b);
    assert!(
        effects.contains(&BotEffect::Mic { live: false })
            && effects.contains(&BotEffect::Speaker { on: false }),
        "holding the bot silences it both ways: {effects:?}"
    );
    let bot_held = log
        .iter()
        .position(|e| *e == LineEffect::Bot(b, BotEffect::State(CallState::Held)))
        .expect("the bot was held");
    assert!(bot_held < Line::when(&log, a, CallState::Connected), "{log:?}");
    l.ok(LineCommand::Resume(b));
    assert_eq!(l.state(a), Some(CallState::Held));
    assert_eq!(l.state(b), Some(CallState::Connected));
    assert!(bot_effects(&l.take_log(), b).contains(&BotEffect::Mic { live: true }));
}

#[test]
fn digits_and_text_go_to_the_bot_in_front_and_not_to_the_held_call() {
    let mut l = bot_line();
    let a = l.dial("+15550100");
    let b = l.dial(BOT);
    l.take_log();
    l.ok(LineCommand::Dtmf("1".into()));
    l.ok(LineCommand::Text("book a room".into()));
    let log = l.take_log();
    assert_eq!(
        bot_effects(&log, b)
            .into_iter()
            .filter(|e| matches!(e, BotEffect::Send(_)))
            .collect::<Vec<_>>(),
        vec![
            BotEffect::Send(BotRequest::Dtmf('1')),
            BotEffect::Send(BotRequest::Text("book a room".into()))
        ]
    );
    assert!(
        Line::media_ops(&log, a).is_empty(),
        "the held call got tones: {log:?}"
    );
    // In front of a phone call, text is refused in the call's own words.
    l.ok(LineCommand::Resume(a));
    let e = l
        .cmd(LineCommand::Text("hello".into()))
        .expect_err("text to a phone call");
    assert!(e.to_string().contains("bot calls"), "{e}");
}

#[test]
fn a_bot_call_is_never_merged() {
    let mut l = bot_line();
    let a = l.dial("+15550100");
    let b = l.dial(BOT);
    assert!(!l.sb.can_merge(a), "a call merged into a bot conversation");
    let e = l.cmd(LineCommand::Merge(a)).expect_err("merge into the bot");
    assert_eq!(e.code(), "LINE_BUSY");
    assert!(e.to_string().contains("bot calls are not merged"), "{e}");
    l.ok(LineCommand::Resume(a));
    assert!(!l.sb.can_merge(b));
    assert!(l.cmd(LineCommand::Merge(b)).is_err());
    assert_eq!(
        l.state(a),
        Some(CallState::Connected),
        "a refused merge changes nothing"
    );
    assert_eq!(l.state(b), Some(CallState::Held));
    assert!(l.sb.mixed().is_empty());
}

#[test]
fn hanging_up_the_bot_leaves_the_held_call_and_hanging_up_the_call_leaves_the_bot() {
    for bot_first in [true, false] {
        let mut l = bot_line();
        let a = l.dial("+15550100");
        let b = l.dial(BOT);
        let (first, second) = if bot_first { (b, a) } else { (a, b) };
        l.ok(LineCommand::Hangup(first));
        assert_eq!(l.state(first), None, "call {first} did not leave the line");
        assert!(l.state(second).is_some(), "call {second} went with it");
        let log = l.take_log();
        if bot_first {
            assert!(bot_effects(&log, b).contains(&BotEffect::Send(BotRequest::Disconnect)));
        }
        if l.state(second) == Some(CallState::Held) {
            l.ok(LineCommand::Resume(second));
        }
        assert_eq!(l.state(second), Some(CallState::Connected));
    }
}

#[test]
fn a_ringing_call_during_a_bot_call_is_answered_by_holding_the_bot() {
    let mut l = bot_line();
    let b = l.dial(BOT);
    let c = l.ring("+15550111");
    assert!(l.take_log().contains(&LineEffect::WaitingTone(true)));
    l.ok(LineCommand::Answer(c));
    assert_eq!(l.state(b), Some(CallState::Held));
    assert_eq!(l.state(c), Some(CallState::Connected));
}

#[test]
fn a_line_without_bots_refuses_a_bot_call_and_adds_nothing() {
    let mut l = Line::new();
    let a = l.dial("+15550100");
    l.take_log();
    let e = l.cmd(LineCommand::Dial(number(BOT))).expect_err("no bots here");
    assert_eq!(e.code(), "NO_BOTS");
    assert_eq!(l.sb.calls().count(), 1);
    assert_eq!(
        l.state(a),
        Some(CallState::Connected),
        "the active call was held for nothing"
    );
    assert!(l.take_log().is_empty());
}
