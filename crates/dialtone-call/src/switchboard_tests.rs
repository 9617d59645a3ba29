//! Every step of the switchboard: a line's calls answered, placed, swapped, merged and
//! split, with a scripted network answering each call's effects (and refusing where a
//! test says so).

mod bots;

use crate::Direction;
use crate::address::Address;
use crate::bot::{BotEffect, BotInput, BotRequest};
use crate::machine::*;
use crate::switchboard::*;
use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

fn number(n: &str) -> Address {
    Address::parse(n).expect("number")
}

/// A line and a network that answers every call's effects at once, like a far end
/// that always agrees, except for the calls whose resumes it refuses.
struct Line {
    sb: Switchboard,
    log: Vec<LineEffect>,
    refuse_resume: BTreeSet<CallId>,
    refuse_hold: BTreeSet<CallId>,
    /// Hold answers kept back until `release_holds`.
    slow_holds: bool,
    kept: Vec<(CallId, Input)>,
    registrations: usize,
}

impl Line {
    fn new() -> Self {
        Self {
            sb: Switchboard::new(true),
            log: Vec::new(),
            refuse_resume: BTreeSet::new(),
            refuse_hold: BTreeSet::new(),
            slow_holds: false,
            kept: Vec::new(),
            registrations: 0,
        }
    }

    fn now() -> Instant {
        Instant::now()
    }

    fn cmd(&mut self, c: LineCommand) -> Result<Option<CallId>, LineError> {
        let r = self.sb.command(c, Self::now());
        self.pump();
        r
    }

    fn ok(&mut self, c: LineCommand) -> Option<CallId> {
        let shown = format!("{c:?}");
        match self.cmd(c) {
            Ok(id) => id,
            Err(e) => panic!("{shown} refused: {e}"),
        }
    }

    fn ring(&mut self, from: &str) -> CallId {
        let id = self
            .sb
            .incoming(from.into(), format!("offer-from-{from}"), Self::now());
        self.pump();
        id
    }

    fn state(&self, id: CallId) -> Option<CallState> {
        self.sb.state(id).cloned()
    }

    /// The far end's reply to one call's effect, if it has one.
    fn reply(&mut self, id: CallId, e: &Effect) -> Option<Input> {
        let sig = |s| Some(Input::Signal(s));
        let state = self.sb.state(id).cloned();
        match e {
            Effect::Media(MediaOp::CreateOffer) => {
                Some(Input::Media(MediaResult::OfferCreated("offer".into())))
            }
            Effect::Media(MediaOp::Hold) => Some(Input::Media(MediaResult::OfferCreated("hold".into()))),
            Effect::Media(MediaOp::Resume) => Some(Input::Media(MediaResult::OfferCreated("resume".into()))),
            Effect::Media(MediaOp::AcceptAnswer(_)) => {
                let d = if state == Some(CallState::Holding) {
                    Direction::RecvOnly
                } else {
                    Direction::SendRecv
                };
                Some(Input::Media(MediaResult::AnswerApplied(d)))
            }
            Effect::Media(MediaOp::AcceptOffer(_)) => Some(Input::Media(MediaResult::AnswerCreated {
                answer: "answer".into(),
                direction: Direction::SendRecv,
            })),
            Effect::Signal(SignalOp::CreateSession { .. }) => sig(Signal::Answered {
                answer: "answer".into(),
            }),
            Effect::Signal(SignalOp::Accept { .. }) => sig(Signal::AcceptConfirmed),
            Effect::Signal(SignalOp::Hold { .. }) if self.refuse_hold.contains(&id) => {
                sig(Signal::UpdateRejected("488 Not Acceptable Here".into()))
            }
            Effect::Signal(SignalOp::Hold { .. }) => {
                let answer = sig(Signal::UpdateAnswered {
                    answer: "held".into(),
                });
                if self.slow_holds {
                    self.kept.push((id, answer.expect("answer")));
                    return None;
                }
                answer
            }
            Effect::Signal(SignalOp::Resume { .. }) if self.refuse_resume.contains(&id) => {
                sig(Signal::UpdateRejected("500 Internal Server Error".into()))
            }
            Effect::Signal(SignalOp::Resume { .. }) => sig(Signal::UpdateAnswered {
                answer: "resumed".into(),
            }),
            Effect::Signal(SignalOp::Terminate) => sig(Signal::Ended(EndReason::Hangup)),
            _ => None,
        }
    }

    /// A bot that opens at once and closes when asked to disconnect.
    fn bot_reply(e: &BotEffect) -> Option<BotInput> {
        match e {
            BotEffect::Open(_) => Some(BotInput::Opened),
            BotEffect::Send(BotRequest::Disconnect) => Some(BotInput::Closed),
            _ => None,
        }
    }

    /// Answers effects until the line is quiet.
    fn pump(&mut self) {
        let effects = self.sb.drain_effects();
        self.process(effects);
    }

    fn process(&mut self, effects: Vec<LineEffect>) {
        let mut queue: VecDeque<LineEffect> = effects.into();
        while let Some(e) = queue.pop_front() {
            if e == LineEffect::Register {
                self.registrations += 1;
            }
            if let LineEffect::Call(id, ce) = &e
                && let Some(input) = self.reply(*id, ce)
            {
                let _ = self.sb.call_input(*id, input, Self::now());
                queue.extend(self.sb.drain_effects());
            }
            if let LineEffect::Bot(id, be) = &e
                && let Some(input) = Self::bot_reply(be)
            {
                let _ = self.sb.bot_input(*id, input, Self::now());
                queue.extend(self.sb.drain_effects());
            }
            self.log.push(e);
        }
    }

    fn release_holds(&mut self) {
        self.slow_holds = false;
        for (id, input) in std::mem::take(&mut self.kept) {
            let _ = self.sb.call_input(id, input, Self::now());
            self.pump();
        }
    }

    /// The effects logged since the last call, and forget them.
    fn take_log(&mut self) -> Vec<LineEffect> {
        std::mem::take(&mut self.log)
    }

    /// Dials without the far end answering: the call stays in setup.
    fn dial_unanswered(&mut self, n: &str) -> CallId {
        let id = self
            .sb
            .command(LineCommand::Dial(number(n)), Instant::now())
            .expect("dial")
            .expect("id");
        self.sb.drain_effects();
        id
    }

    fn dial(&mut self, n: &str) -> CallId {
        self.ok(LineCommand::Dial(number(n))).expect("a new call")
    }

    fn errors(log: &[LineEffect]) -> Vec<String> {
        log.iter()
            .filter_map(|e| match e {
                LineEffect::Error(e) => Some(e.code().to_owned()),
                _ => None,
            })
            .collect()
    }

    /// Where in `log` `call` entered `state`.
    fn when(log: &[LineEffect], call: CallId, state: CallState) -> usize {
        let shown = format!("call {call} {state:?}");
        log.iter()
            .position(|e| *e == LineEffect::Call(call, Effect::State(state.clone())))
            .unwrap_or_else(|| panic!("{shown} never happened: {log:?}"))
    }

    /// Media operations sent to one call, in order.
    fn media_ops(log: &[LineEffect], call: CallId) -> Vec<MediaOp> {
        log.iter()
            .filter_map(|e| match e {
                LineEffect::Call(id, Effect::Media(op)) if *id == call => Some(op.clone()),
                _ => None,
            })
            .collect()
    }
}

fn connected_pair() -> (Line, CallId, CallId) {
    let mut l = Line::new();
    let a = l.dial("+15550100");
    let b = l.ring("+15550111");
    l.ok(LineCommand::Answer(b));
    assert_eq!(l.state(a), Some(CallState::Held));
    assert_eq!(l.state(b), Some(CallState::Connected));
    l.take_log();
    (l, a, b)
}

#[test]
fn a_single_call_runs_as_before() {
    let mut l = Line::new();
    let a = l.dial("+15550100");
    assert_eq!(a, 1);
    assert_eq!(l.state(a), Some(CallState::Connected));
    l.ok(LineCommand::Hold(a));
    assert_eq!(l.state(a), Some(CallState::Held));
    l.ok(LineCommand::Resume(a));
    assert_eq!(l.state(a), Some(CallState::Connected));
    l.ok(LineCommand::Hangup(a));
    assert_eq!(l.state(a), None, "an ended call leaves the line");
    assert!(l.take_log().contains(&LineEffect::Removed(a)));
}

#[test]
fn a_call_ringing_in_beside_a_connected_call_sounds_the_waiting_tone() {
    let mut l = Line::new();
    let a = l.dial("+15550100");
    l.take_log();
    let b = l.ring("+15550111");
    assert_eq!(l.state(b), Some(CallState::Alerting));
    assert_eq!(
        l.state(a),
        Some(CallState::Connected),
        "the active call is untouched"
    );
    assert!(l.take_log().contains(&LineEffect::WaitingTone(true)));
    l.ok(LineCommand::Decline(b));
    let log = l.take_log();
    assert!(log.contains(&LineEffect::WaitingTone(false)));
    assert!(log.contains(&LineEffect::Removed(b)));
    assert_eq!(
        l.state(a),
        Some(CallState::Connected),
        "decline leaves the active call alone"
    );
}

#[test]
fn a_call_ringing_in_alone_sounds_no_waiting_tone() {
    let mut l = Line::new();
    l.ring("+15550111");
    assert!(!l.take_log().contains(&LineEffect::WaitingTone(true)));
}

#[test]
fn answering_a_waiting_call_holds_the_active_one_first_and_waits_for_held() {
    let mut l = Line::new();
    let a = l.dial("+15550100");
    let b = l.ring("+15550111");
    l.take_log();
    l.sb.command(LineCommand::Answer(b), Instant::now())
        .expect("answer");
    let first = l.sb.drain_effects();
    assert_eq!(
        first.first(),
        Some(&LineEffect::Call(a, Effect::State(CallState::Holding)))
    );
    assert!(
        !first
            .iter()
            .any(|e| matches!(e, LineEffect::Call(id, _) if *id == b)),
        "nothing happens to the waiting call before the active one is held: {first:?}"
    );
    l.process(first);
    assert_eq!(l.state(a), Some(CallState::Held));
    assert_eq!(l.state(b), Some(CallState::Connected));
    let log = l.take_log();
    assert!(Line::when(&log, a, CallState::Held) < Line::when(&log, b, CallState::Answering));
}

#[test]
fn dialling_during_a_call_holds_it_first() {
    let mut l = Line::new();
    let a = l.dial("+15550100");
    l.slow_holds = true;
    let b = l.dial("+15550101");
    assert_eq!(l.state(a), Some(CallState::Holding));
    assert_eq!(
        l.state(b),
        Some(CallState::Idle),
        "not dialled before the first call is held"
    );
    l.release_holds();
    assert_eq!(l.state(a), Some(CallState::Held));
    assert_eq!(l.state(b), Some(CallState::Connected));
}

#[test]
fn hanging_up_a_call_not_yet_dialled_removes_it_and_leaves_the_hold() {
    let mut l = Line::new();
    let a = l.dial("+15550100");
    l.slow_holds = true;
    let b = l.dial("+15550101");
    l.ok(LineCommand::Hangup(b));
    assert_eq!(l.state(b), None);
    l.release_holds();
    assert_eq!(l.state(a), Some(CallState::Held));
    assert!(
        !Line::media_ops(&l.take_log(), b).contains(&MediaOp::CreateOffer),
        "the call hung up before it was dialled is never dialled"
    );
}

#[test]
fn a_refused_hold_keeps_the_active_call_and_the_waiting_one_rings_on() {
    let mut l = Line::new();
    let a = l.dial("+15550100");
    l.refuse_hold.insert(a);
    let b = l.ring("+15550111");
    l.take_log();
    l.ok(LineCommand::Answer(b));
    assert_eq!(l.state(a), Some(CallState::Connected));
    assert_eq!(l.state(b), Some(CallState::Alerting));
    assert!(Line::errors(&l.take_log()).contains(&"HOLD_FAILED".to_owned()));
}

#[test]
fn a_refused_hold_before_a_new_call_places_nothing() {
    let mut l = Line::new();
    let a = l.dial("+15550100");
    l.refuse_hold.insert(a);
    let b = l.dial("+15550101");
    assert_eq!(l.state(a), Some(CallState::Connected));
    assert_eq!(l.state(b), None, "the planned call is dropped");
    let log = l.take_log();
    assert!(log.contains(&LineEffect::Removed(b)));
    assert!(Line::errors(&log).contains(&"HOLD_FAILED".to_owned()));
}

#[test]
fn swapping_holds_the_active_call_then_resumes_the_other() {
    let (mut l, a, b) = connected_pair();
    for round in 0..10 {
        let (from, to) = if round % 2 == 0 { (b, a) } else { (a, b) };
        l.ok(LineCommand::Resume(to));
        assert_eq!(l.state(from), Some(CallState::Held), "round {round}");
        assert_eq!(l.state(to), Some(CallState::Connected), "round {round}");
        let log = l.take_log();
        assert!(
            Line::when(&log, from, CallState::Held) < Line::when(&log, to, CallState::Resuming),
            "round {round}: both far ends never hear us at once"
        );
    }
}

#[test]
fn a_failed_swap_resumes_the_first_call_again_and_says_so() {
    let (mut l, a, b) = connected_pair();
    l.refuse_resume.insert(a);
    l.ok(LineCommand::Resume(a));
    assert_eq!(l.state(a), Some(CallState::Held));
    assert_eq!(l.state(b), Some(CallState::Connected), "back on the call we left");
    let log = l.take_log();
    assert!(Line::errors(&log).contains(&"SWAP_FAILED".to_owned()), "{log:?}");
    assert_eq!(
        Line::media_ops(&log, b),
        [
            MediaOp::Hold,
            MediaOp::AcceptAnswer("held".into()),
            MediaOp::Resume,
            MediaOp::AcceptAnswer("resumed".into())
        ]
    );
}

#[test]
fn the_far_end_hanging_up_the_held_call_leaves_the_active_one() {
    let (mut l, a, b) = connected_pair();
    l.sb.call_input(
        a,
        Input::Signal(Signal::Ended(EndReason::Terminated)),
        Instant::now(),
    )
    .expect("ended");
    l.pump();
    assert_eq!(l.state(a), None);
    assert_eq!(l.state(b), Some(CallState::Connected));
}

#[test]
fn the_waiting_caller_giving_up_during_our_hold_leaves_the_first_call_held() {
    let mut l = Line::new();
    let a = l.dial("+15550100");
    let b = l.ring("+15550111");
    l.slow_holds = true;
    l.ok(LineCommand::Answer(b));
    l.sb.call_input(
        b,
        Input::Signal(Signal::Ended(EndReason::SessionCancelled)),
        Instant::now(),
    )
    .expect("cancelled");
    l.pump();
    l.release_holds();
    assert_eq!(l.state(b), None);
    assert_eq!(l.state(a), Some(CallState::Held));
    // Nothing is under way any more: the user can resume it.
    l.ok(LineCommand::Resume(a));
    assert_eq!(l.state(a), Some(CallState::Connected));
}

#[test]
fn merging_resumes_the_held_call_beside_the_active_one_and_mixes_both() {
    let (mut l, a, b) = connected_pair();
    l.ok(LineCommand::Merge(a));
    assert_eq!(l.state(a), Some(CallState::Connected));
    assert_eq!(l.state(b), Some(CallState::Connected));
    assert_eq!(l.sb.mixed(), [b, a]);
    let log = l.take_log();
    assert!(log.contains(&LineEffect::Mix(vec![b, a])));
    assert!(!log.contains(&LineEffect::Call(b, Effect::State(CallState::Holding))));
}

#[test]
fn a_third_call_joins_a_merge() {
    let (mut l, a, b) = connected_pair();
    l.ok(LineCommand::Merge(a));
    l.ok(LineCommand::Hold(b));
    assert!(l.sb.mixed().is_empty(), "hold on a leg holds the merged call");
    assert_eq!(l.state(a), Some(CallState::Held));
    assert_eq!(l.state(b), Some(CallState::Held));
    let c = l.dial("+15550102");
    l.ok(LineCommand::Merge(a));
    l.ok(LineCommand::Merge(b));
    assert_eq!(l.sb.mixed(), [c, a, b]);
}

#[test]
fn splitting_keeps_the_first_leg_and_holds_the_others() {
    let (mut l, a, b) = connected_pair();
    l.ok(LineCommand::Merge(a));
    l.take_log();
    l.ok(LineCommand::Split);
    assert_eq!(l.state(b), Some(CallState::Connected));
    assert_eq!(l.state(a), Some(CallState::Held));
    assert!(l.take_log().contains(&LineEffect::Mix(vec![])));
    assert!(l.sb.mixed().is_empty());
}

#[test]
fn hanging_up_either_leg_of_a_merge_leaves_the_other_up() {
    for first in [0, 1] {
        let (mut l, a, b) = connected_pair();
        l.ok(LineCommand::Merge(a));
        let (gone, stays) = if first == 0 { (a, b) } else { (b, a) };
        l.ok(LineCommand::Hangup(gone));
        assert_eq!(l.state(gone), None);
        assert_eq!(l.state(stays), Some(CallState::Connected));
        assert!(l.take_log().contains(&LineEffect::Mix(vec![])));
        l.ok(LineCommand::Hangup(stays));
        assert_eq!(l.sb.calls().count(), 0);
    }
}

#[test]
fn a_failed_merge_leaves_the_held_call_held_and_nothing_mixed() {
    let (mut l, a, b) = connected_pair();
    l.refuse_resume.insert(a);
    l.ok(LineCommand::Merge(a));
    assert_eq!(l.state(a), Some(CallState::Held));
    assert_eq!(l.state(b), Some(CallState::Connected));
    assert!(l.sb.mixed().is_empty());
    assert!(Line::errors(&l.take_log()).contains(&"MERGE_FAILED".to_owned()));
}

#[test]
fn mute_applies_to_every_call_and_to_calls_connected_later() {
    let (mut l, a, b) = connected_pair();
    l.ok(LineCommand::Mute(true));
    assert!(l.sb.is_call_muted(a));
    assert!(l.sb.is_call_muted(b));
    l.ok(LineCommand::Hangup(b));
    l.ok(LineCommand::Resume(a));
    let c = l.dial("+15550102");
    assert!(l.sb.is_call_muted(c), "a new call starts muted");
    l.ok(LineCommand::Mute(false));
    assert!(!l.sb.is_call_muted(a));
    assert!(!l.sb.is_call_muted(c));
}

#[test]
fn dtmf_goes_to_the_active_call_only() {
    let (mut l, a, b) = connected_pair();
    assert_eq!(l.ok(LineCommand::Dtmf("1#".into())), Some(b));
    let log = l.take_log();
    assert!(Line::media_ops(&log, b).contains(&MediaOp::SendDtmf("1#".into())));
    assert!(Line::media_ops(&log, a).is_empty());
}

#[test]
fn the_line_carries_at_most_four_calls() {
    let mut l = Line::new();
    let first = l.dial("+15550100");
    for n in ["+15550101", "+15550102", "+15550103"] {
        l.dial(n);
    }
    assert_eq!(l.sb.calls().count(), MAX_CALLS);
    assert_eq!(
        l.cmd(LineCommand::Dial(number("+15550104"))),
        Err(LineError::Full)
    );
    let extra = l.ring("+15550111");
    let log = l.take_log();
    assert!(log.contains(&LineEffect::Call(extra, Effect::Signal(SignalOp::Decline))));
    assert!(Line::errors(&log).contains(&"DECLINED_LINE_FULL".to_owned()));
    assert_eq!(l.sb.calls().count(), MAX_CALLS, "the full line is untouched");
    assert_eq!(l.state(first), Some(CallState::Held));
}

#[test]
fn a_new_call_waits_for_a_call_being_set_up() {
    let mut l = Line::new();
    let a = l.dial_unanswered("+15550100");
    assert_eq!(l.state(a), Some(CallState::Dialing));
    let e = l.cmd(LineCommand::Dial(number("+15550101"))).expect_err("busy");
    assert_eq!(e.code(), "LINE_BUSY");
    assert!(e.to_string().contains("call 1 is Dialing"), "{e}");
    assert_eq!(l.sb.calls().count(), 1, "a refused command adds nothing");
}

#[test]
fn commands_for_calls_that_do_not_exist_are_refused() {
    let mut l = Line::new();
    for c in [
        LineCommand::Answer(7),
        LineCommand::Hangup(7),
        LineCommand::Hold(7),
        LineCommand::Resume(7),
        LineCommand::Merge(7),
        LineCommand::Decline(7),
    ] {
        assert_eq!(l.cmd(c), Err(LineError::NoSuchCall(7)));
    }
    assert_eq!(l.cmd(LineCommand::Split).map_err(|e| e.code()), Err("LINE_BUSY"));
    assert!(l.take_log().is_empty());
}

#[test]
fn a_command_refused_while_a_swap_is_under_way_changes_nothing() {
    let (mut l, a, b) = connected_pair();
    l.slow_holds = true;
    l.ok(LineCommand::Resume(a));
    let c = l.ring("+15550112");
    for cmd in [
        LineCommand::Answer(c),
        LineCommand::Merge(a),
        LineCommand::Resume(a),
    ] {
        assert!(l.cmd(cmd).is_err());
    }
    l.release_holds();
    assert_eq!(l.state(a), Some(CallState::Connected));
    assert_eq!(l.state(b), Some(CallState::Held));
    assert_eq!(l.state(c), Some(CallState::Alerting));
}

#[test]
fn registration_is_the_lines_and_a_call_dialled_unregistered_waits_for_it() {
    let mut l = Line::new();
    l.sb = Switchboard::new(false);
    l.ok(LineCommand::Register);
    l.ok(LineCommand::Register);
    assert_eq!(l.registrations, 1, "one registration at a time");
    l.sb.line_signal(Signal::Registered, Instant::now());
    let a = l.dial("+15550100");
    assert_eq!(
        l.state(a),
        Some(CallState::Connected),
        "registered: dialled at once"
    );

    let mut l = Line::new();
    l.sb = Switchboard::new(false);
    let a = l.dial("+15550100");
    assert_eq!(l.state(a), Some(CallState::Registering));
    l.sb.line_signal(Signal::Registered, Instant::now());
    l.pump();
    assert_eq!(l.state(a), Some(CallState::Connected));

    l.sb.line_signal(Signal::RegistrationLost("expired".into()), Instant::now());
    l.pump();
    assert_eq!(l.registrations, 0, "with a call up, the next call registers");
    assert_eq!(l.state(a), Some(CallState::Connected));
    l.ok(LineCommand::Hangup(a));
    l.sb.line_signal(Signal::RegistrationLost("expired".into()), Instant::now());
    l.pump();
    assert_eq!(l.registrations, 1, "between calls, the line registers again");
}

#[test]
fn a_call_that_never_connects_times_out_on_its_own() {
    let mut l = Line::new();
    let a = l.dial_unanswered("+15550100");
    let deadline = l.sb.poll_timeout().expect("a setup deadline");
    l.sb.handle_timeout(deadline + Duration::from_millis(1));
    assert_eq!(l.state(a), None);
    assert!(l.sb.drain_effects().contains(&LineEffect::Removed(a)));
}

#[test]
fn commands_without_an_id_mean_the_call_ringing_in_or_the_call_in_front() {
    let mut l = Line::new();
    assert!(matches!(
        l.sb.for_call_in_front(Command::Hold),
        Err(CallError::IllegalCommand { .. })
    ));
    let a = l.dial("+15550100");
    let b = l.ring("+15550111");
    assert_eq!(
        l.sb.for_call_in_front(Command::Answer),
        Ok(LineCommand::Answer(b))
    );
    assert_eq!(
        l.sb.for_call_in_front(Command::Decline),
        Ok(LineCommand::Decline(b))
    );
    assert_eq!(l.sb.for_call_in_front(Command::Hold), Ok(LineCommand::Hold(a)));
    l.ok(LineCommand::Answer(b));
    assert_eq!(
        l.sb.for_call_in_front(Command::Hangup),
        Ok(LineCommand::Hangup(b))
    );
    l.ok(LineCommand::Hangup(b));
    // Only the held call is left: it is the one a resume means.
    assert_eq!(
        l.sb.for_call_in_front(Command::Resume),
        Ok(LineCommand::Resume(a))
    );
    // Text goes to the call in front, which refuses it in its own words when a phone call.
    let text = l.sb.for_call_in_front(Command::Text("hello".into()));
    assert_eq!(text, Ok(LineCommand::Text("hello".into())));
    let refused = l.cmd(LineCommand::Text("hello".into()));
    assert!(
        matches!(&refused, Err(LineError::Call { call, error: CallError::IllegalCommand { state, .. } }) if *call == a && state.contains("bot calls")),
        "{refused:?}"
    );
}

#[test]
fn a_held_call_is_out_of_earshot_only_while_another_call_is_up_and_the_tone_plays_in_the_active_one() {
    let (mut l, a, b) = connected_pair();
    assert_eq!(l.sb.unheard(), [a]);
    assert_eq!(l.sb.waiting_tone_in(), None);
    let c = l.ring("+15550112");
    assert_eq!(
        l.sb.waiting_tone_in(),
        Some(b),
        "the tone plays in the connected call"
    );
    l.ok(LineCommand::Decline(c));
    assert_eq!(l.sb.waiting_tone_in(), None);
    l.ok(LineCommand::Hangup(b));
    assert_eq!(l.state(a), Some(CallState::Held));
    assert!(
        l.sb.unheard().is_empty(),
        "alone, a held call's hold tone is heard"
    );
}
