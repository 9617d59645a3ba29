//! Every transition of the call state machine, and every command refused in every state.

use crate::Direction;
use crate::address::Address;
use crate::machine::*;
use std::time::{Duration, Instant};

fn number() -> Address {
    Address::parse("+15550100").expect("number")
}

pub(super) fn drain(m: &mut CallMachine) -> Vec<Effect> {
    std::iter::from_fn(|| m.poll_effect()).collect()
}

pub(super) fn cmd(m: &mut CallMachine, c: Command) -> Vec<Effect> {
    m.handle(Input::Command(c), Instant::now())
        .expect("legal command");
    drain(m)
}

pub(super) fn sig(m: &mut CallMachine, s: Signal) -> Vec<Effect> {
    m.handle(Input::Signal(s), Instant::now()).expect("signal");
    drain(m)
}

pub(super) fn med(m: &mut CallMachine, r: MediaResult) -> Vec<Effect> {
    m.handle(Input::Media(r), Instant::now()).expect("media");
    drain(m)
}

pub(super) fn st(s: CallState) -> Effect {
    Effect::State(s)
}

// Builders for each state.
fn idle() -> CallMachine {
    CallMachine::new(false)
}
fn registering() -> CallMachine {
    let mut m = idle();
    cmd(&mut m, Command::Dial(number()));
    m
}
fn dialing() -> CallMachine {
    let mut m = CallMachine::new(true);
    cmd(&mut m, Command::Dial(number()));
    m
}
fn ringing() -> CallMachine {
    let mut m = dialing();
    med(&mut m, MediaResult::OfferCreated("offer".into()));
    sig(&mut m, Signal::Ringing);
    m
}
fn proceeding() -> CallMachine {
    let mut m = dialing();
    sig(&mut m, Signal::Proceeding);
    m
}
pub(super) fn connected() -> CallMachine {
    let mut m = ringing();
    sig(
        &mut m,
        Signal::Answered {
            answer: "answer".into(),
        },
    );
    med(&mut m, MediaResult::AnswerApplied(Direction::SendRecv));
    m
}
pub(super) fn holding() -> CallMachine {
    let mut m = connected();
    cmd(&mut m, Command::Hold);
    m
}
pub(super) fn held() -> CallMachine {
    let mut m = holding();
    med(&mut m, MediaResult::OfferCreated("hold-offer".into()));
    sig(
        &mut m,
        Signal::UpdateAnswered {
            answer: "hold-answer".into(),
        },
    );
    med(&mut m, MediaResult::AnswerApplied(Direction::RecvOnly));
    m
}
fn resuming() -> CallMachine {
    let mut m = held();
    cmd(&mut m, Command::Resume);
    m
}
fn alerting() -> CallMachine {
    let mut m = CallMachine::new(true);
    sig(
        &mut m,
        Signal::Invitation {
            from: "+15550199".into(),
            offer: "their-offer".into(),
        },
    );
    m
}
fn answering() -> CallMachine {
    let mut m = alerting();
    cmd(&mut m, Command::Answer);
    m
}
fn ending() -> CallMachine {
    let mut m = connected();
    cmd(&mut m, Command::Hangup);
    m
}
fn ended() -> CallMachine {
    let mut m = connected();
    sig(&mut m, Signal::Ended(EndReason::Terminated));
    m
}

#[test]
fn builders_reach_their_states() {
    let cases: Vec<(CallMachine, CallState)> = vec![
        (idle(), CallState::Idle),
        (registering(), CallState::Registering),
        (dialing(), CallState::Dialing),
        (ringing(), CallState::Ringing),
        (proceeding(), CallState::Proceeding),
        (connected(), CallState::Connected),
        (holding(), CallState::Holding),
        (held(), CallState::Held),
        (resuming(), CallState::Resuming),
        (alerting(), CallState::Alerting),
        (answering(), CallState::Answering),
        (ending(), CallState::Ending),
        (ended(), CallState::Ended(EndReason::Terminated)),
    ];
    for (m, want) in cases {
        assert_eq!(m.state(), &want);
    }
}

#[test]
fn unregistered_dial_registers_first_then_offers() {
    let mut m = idle();
    assert_eq!(
        cmd(&mut m, Command::Dial(number())),
        [st(CallState::Registering), Effect::Signal(SignalOp::Register)]
    );
    assert_eq!(
        sig(&mut m, Signal::Registered),
        [st(CallState::Dialing), Effect::Media(MediaOp::CreateOffer)]
    );
}

#[test]
fn registered_dial_offers_and_creates_the_session_with_the_offer() {
    let mut m = CallMachine::new(true);
    assert_eq!(
        cmd(&mut m, Command::Dial(number())),
        [st(CallState::Dialing), Effect::Media(MediaOp::CreateOffer)]
    );
    assert_eq!(
        med(&mut m, MediaResult::OfferCreated("sdp".into())),
        [Effect::Signal(SignalOp::CreateSession {
            to: number(),
            offer: "sdp".into()
        })]
    );
}

#[test]
fn register_only_returns_to_idle_registered() {
    let mut m = idle();
    assert_eq!(
        cmd(&mut m, Command::Register),
        [st(CallState::Registering), Effect::Signal(SignalOp::Register)]
    );
    assert_eq!(sig(&mut m, Signal::Registered), [st(CallState::Idle)]);
    // Now a dial goes straight to Dialing.
    assert_eq!(cmd(&mut m, Command::Dial(number()))[0], st(CallState::Dialing));
}

#[test]
fn registration_failure_ends_the_call() {
    let mut m = registering();
    let fx = sig(&mut m, Signal::RegistrationFailed("401".into()));
    assert_eq!(
        fx,
        [st(CallState::Ended(EndReason::Failed(
            "registration failed: 401".into()
        )))]
    );
}

#[test]
fn progress_then_answer_connects_once_the_answer_is_applied() {
    let mut m = proceeding();
    assert_eq!(sig(&mut m, Signal::Ringing), [st(CallState::Ringing)]);
    assert_eq!(
        sig(&mut m, Signal::Proceeding),
        [],
        "Proceeding after Ringing changes nothing"
    );
    assert_eq!(
        sig(&mut m, Signal::Answered { answer: "a".into() }),
        [Effect::Media(MediaOp::AcceptAnswer("a".into()))]
    );
    assert_eq!(
        m.state(),
        &CallState::Ringing,
        "not connected before the answer is applied"
    );
    assert_eq!(
        med(&mut m, MediaResult::AnswerApplied(Direction::SendRecv)),
        [st(CallState::Connected)]
    );
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn an_answer_straight_from_dialing_connects() {
    let mut m = dialing();
    sig(&mut m, Signal::Answered { answer: "a".into() });
    assert_eq!(
        med(&mut m, MediaResult::AnswerApplied(Direction::SendRecv)),
        [st(CallState::Connected)]
    );
}

#[test]
fn far_end_outcomes_while_ringing_end_the_call_with_their_reason() {
    for reason in [
        EndReason::Busy,
        EndReason::NoAnswer,
        EndReason::Declined,
        EndReason::NotReachable,
        EndReason::Terminated,
    ] {
        let mut m = ringing();
        assert_eq!(
            sig(&mut m, Signal::Ended(reason.clone())),
            [Effect::Media(MediaOp::Close), st(CallState::Ended(reason))]
        );
    }
}

#[test]
fn a_failed_media_setup_terminates_the_session() {
    let mut m = dialing();
    let fx = med(&mut m, MediaResult::Failed("no common audio codec".into()));
    assert_eq!(
        fx,
        [
            Effect::Signal(SignalOp::Terminate),
            Effect::Media(MediaOp::Close),
            st(CallState::Ended(EndReason::Failed(
                "no common audio codec".into()
            )))
        ]
    );
}

#[test]
fn a_failed_session_request_ends_the_call() {
    let mut m = dialing();
    let fx = sig(&mut m, Signal::RequestFailed("the server answered 500".into()));
    assert_eq!(
        fx.last(),
        Some(&st(CallState::Ended(EndReason::Failed(
            "the server answered 500".into()
        ))))
    );
}

#[test]
fn hold_is_offer_then_request_then_answer_then_held() {
    let mut m = connected();
    assert_eq!(
        cmd(&mut m, Command::Hold),
        [st(CallState::Holding), Effect::Media(MediaOp::Hold)]
    );
    assert_eq!(
        med(&mut m, MediaResult::OfferCreated("o".into())),
        [Effect::Signal(SignalOp::Hold { offer: "o".into() })]
    );
    assert_eq!(
        sig(&mut m, Signal::UpdateAnswered { answer: "a".into() }),
        [Effect::Media(MediaOp::AcceptAnswer("a".into()))]
    );
    assert_eq!(m.state(), &CallState::Holding);
    assert_eq!(
        med(&mut m, MediaResult::AnswerApplied(Direction::RecvOnly)),
        [st(CallState::Held)]
    );
}

#[test]
fn resume_is_offer_then_request_then_answer_then_connected() {
    let mut m = held();
    assert_eq!(
        cmd(&mut m, Command::Resume),
        [st(CallState::Resuming), Effect::Media(MediaOp::Resume)]
    );
    assert_eq!(
        med(&mut m, MediaResult::OfferCreated("o".into())),
        [Effect::Signal(SignalOp::Resume { offer: "o".into() })]
    );
    sig(&mut m, Signal::UpdateAnswered { answer: "a".into() });
    assert_eq!(
        med(&mut m, MediaResult::AnswerApplied(Direction::SendRecv)),
        [st(CallState::Connected)]
    );
}

#[test]
fn a_rejected_hold_cancels_the_offer_and_stays_connected() {
    let mut m = holding();
    med(&mut m, MediaResult::OfferCreated("o".into()));
    let fx = sig(&mut m, Signal::UpdateRejected("409 conflict".into()));
    assert_eq!(fx[0], Effect::Media(MediaOp::CancelOffer));
    assert_eq!(fx[1], st(CallState::Connected));
    assert!(matches!(
        &fx[2],
        Effect::Error(CallError::Renegotiation { what: "hold", .. })
    ));
}

#[test]
fn a_failed_resume_stays_held() {
    let mut m = resuming();
    let fx = med(&mut m, MediaResult::Failed("bad answer".into()));
    assert_eq!(
        fx[..2],
        [Effect::Media(MediaOp::CancelOffer), st(CallState::Held)]
    );
    let mut m = resuming();
    let fx = sig(&mut m, Signal::RequestFailed("timeout".into()));
    assert_eq!(fx[1], st(CallState::Held));
}

#[test]
fn a_hold_without_answer_times_out_back_to_connected() {
    let mut m = holding();
    let deadline = m.poll_timeout().expect("a deadline");
    m.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(m.state(), &CallState::Holding);
    m.handle_timeout(deadline);
    let fx = drain(&mut m);
    assert_eq!(
        fx[..2],
        [Effect::Media(MediaOp::CancelOffer), st(CallState::Connected)]
    );
}

#[test]
fn an_unanswered_call_times_out_and_is_terminated() {
    let mut m = ringing();
    let deadline = m.poll_timeout().expect("a deadline");
    m.handle_timeout(deadline);
    let fx = drain(&mut m);
    assert_eq!(fx[0], Effect::Signal(SignalOp::Terminate));
    assert!(matches!(m.state(), CallState::Ended(EndReason::Failed(_))));
}

#[test]
fn an_incoming_call_nobody_answers_is_declined_as_missed_after_the_alerting_timeout() {
    let mut m = alerting();
    let deadline = m.poll_timeout().expect("ringing has a deadline");
    m.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(m.state(), &CallState::Alerting);
    m.handle_timeout(deadline);
    let fx = drain(&mut m);
    assert_eq!(fx[0], Effect::Signal(SignalOp::Decline));
    assert_eq!(m.state(), &CallState::Ended(EndReason::NoAnswer));
    // Answered in time, the deadline is the setup's, not the ringing's.
    let m = answering();
    let later = m.poll_timeout().expect("answering has a deadline");
    assert!(later > deadline - ALERTING_TIMEOUT);
}

#[test]
fn a_remote_hold_is_answered_and_reported() {
    let mut m = connected();
    assert_eq!(
        sig(
            &mut m,
            Signal::RemoteOffer {
                offer: "sendonly".into()
            }
        ),
        [Effect::Media(MediaOp::AcceptOffer("sendonly".into()))]
    );
    let fx = med(
        &mut m,
        MediaResult::AnswerCreated {
            answer: "recvonly".into(),
            direction: Direction::RecvOnly,
        },
    );
    assert_eq!(
        fx,
        [
            Effect::Signal(SignalOp::AnswerUpdate {
                answer: "recvonly".into()
            }),
            Effect::RemoteHold(true)
        ]
    );
    assert!(m.is_remote_hold());
    assert_eq!(m.state(), &CallState::Connected);
    sig(
        &mut m,
        Signal::RemoteOffer {
            offer: "sendrecv".into(),
        },
    );
    let fx = med(
        &mut m,
        MediaResult::AnswerCreated {
            answer: "sendrecv".into(),
            direction: Direction::SendRecv,
        },
    );
    assert_eq!(fx[1], Effect::RemoteHold(false));
}

#[test]
fn a_far_end_that_holds_with_recvonly_holds_us_too() {
    for (state, answer, held) in [
        (connected(), Direction::SendOnly, true),
        (connected(), Direction::Inactive, true),
        (held(), Direction::RecvOnly, false),
        (held(), Direction::Inactive, true),
    ] {
        let mut m = state;
        sig(&mut m, Signal::RemoteOffer { offer: "o".into() });
        med(
            &mut m,
            MediaResult::AnswerCreated {
                answer: "a".into(),
                direction: answer,
            },
        );
        assert_eq!(m.is_remote_hold(), held, "answering {answer}");
    }
}

#[test]
fn a_remote_offer_during_our_hold_waits_for_it_to_finish() {
    let mut m = holding();
    assert_eq!(
        sig(
            &mut m,
            Signal::RemoteOffer {
                offer: "theirs".into()
            }
        ),
        []
    );
    med(&mut m, MediaResult::OfferCreated("o".into()));
    sig(&mut m, Signal::UpdateAnswered { answer: "a".into() });
    assert_eq!(
        med(&mut m, MediaResult::AnswerApplied(Direction::RecvOnly)),
        [
            st(CallState::Held),
            Effect::Media(MediaOp::AcceptOffer("theirs".into()))
        ]
    );
}

#[test]
fn an_incoming_call_alerts_and_is_answered() {
    let mut m = CallMachine::new(true);
    assert_eq!(
        sig(
            &mut m,
            Signal::Invitation {
                from: "+15550199".into(),
                offer: "o".into()
            }
        ),
        [st(CallState::Alerting), Effect::Signal(SignalOp::Ringing)]
    );
    assert_eq!(
        cmd(&mut m, Command::Answer),
        [
            st(CallState::Answering),
            Effect::Media(MediaOp::AcceptOffer("o".into()))
        ]
    );
    assert_eq!(
        med(
            &mut m,
            MediaResult::AnswerCreated {
                answer: "a".into(),
                direction: Direction::SendRecv
            }
        ),
        [Effect::Signal(SignalOp::Accept { answer: "a".into() })]
    );
    assert_eq!(sig(&mut m, Signal::AcceptConfirmed), [st(CallState::Connected)]);
}

#[test]
fn an_incoming_call_is_declined() {
    let mut m = alerting();
    assert_eq!(
        cmd(&mut m, Command::Decline),
        [
            Effect::Signal(SignalOp::Decline),
            Effect::Media(MediaOp::Close),
            st(CallState::Ended(EndReason::Rejected))
        ]
    );
}

#[test]
fn a_caller_who_gives_up_cancels_the_alert() {
    let mut m = alerting();
    let fx = sig(&mut m, Signal::Ended(EndReason::SessionCancelled));
    assert_eq!(
        fx.last(),
        Some(&st(CallState::Ended(EndReason::SessionCancelled)))
    );
}

#[test]
fn hangup_terminates_closes_media_once_and_ends_when_confirmed() {
    let mut m = connected();
    assert_eq!(
        cmd(&mut m, Command::Hangup),
        [
            Effect::Signal(SignalOp::Terminate),
            Effect::Media(MediaOp::Close),
            st(CallState::Ending)
        ]
    );
    assert_eq!(
        sig(&mut m, Signal::Ended(EndReason::Terminated)),
        [st(CallState::Ended(EndReason::Hangup))]
    );
    let mut m = ending();
    assert_eq!(
        sig(&mut m, Signal::RequestFailed("connection refused".into())),
        [st(CallState::Ended(EndReason::Hangup))],
        "a failed DELETE still ends our side"
    );
}

#[test]
fn hangup_while_registering_just_ends() {
    let mut m = registering();
    assert_eq!(
        cmd(&mut m, Command::Hangup),
        [st(CallState::Ended(EndReason::Hangup))]
    );
}

#[test]
fn the_far_end_hanging_up_while_held_ends_the_call() {
    let mut m = held();
    assert_eq!(
        sig(&mut m, Signal::Ended(EndReason::Terminated)),
        [
            Effect::Media(MediaOp::Close),
            st(CallState::Ended(EndReason::Terminated))
        ]
    );
}

#[test]
fn mute_is_local_and_idempotent() {
    let mut m = connected();
    assert_eq!(
        cmd(&mut m, Command::Mute(true)),
        [Effect::Media(MediaOp::SetMuted(true)), Effect::Muted(true)]
    );
    assert_eq!(cmd(&mut m, Command::Mute(true)), [], "muting twice does nothing");
    assert_eq!(m.state(), &CallState::Connected, "no renegotiation");
    let mut m = held();
    assert_eq!(cmd(&mut m, Command::Mute(true))[1], Effect::Muted(true));
}

#[test]
fn dtmf_is_sent_only_while_connected_and_checked_first() {
    let mut m = connected();
    assert_eq!(
        cmd(&mut m, Command::Dtmf("12#".into())),
        [Effect::Media(MediaOp::SendDtmf("12#".into()))]
    );
    let err = m
        .handle(Input::Command(Command::Dtmf("12x".into())), Instant::now())
        .expect_err("bad digit");
    assert!(err.to_string().contains("'x' is not a DTMF digit"), "{err}");
    assert_eq!(drain(&mut m), []);
    // While the far end holds us, nothing we send is heard.
    sig(&mut m, Signal::RemoteOffer { offer: "o".into() });
    med(
        &mut m,
        MediaResult::AnswerCreated {
            answer: "a".into(),
            direction: Direction::Inactive,
        },
    );
    assert!(
        m.handle(Input::Command(Command::Dtmf("1".into())), Instant::now())
            .is_err()
    );
}

#[test]
fn unexpected_signals_are_reported_and_change_nothing() {
    let mut m = connected();
    let fx = sig(&mut m, Signal::AcceptConfirmed);
    assert!(matches!(
        fx.as_slice(),
        [Effect::Error(CallError::Unexpected { .. })]
    ));
    assert_eq!(m.state(), &CallState::Connected);
}

/// Every command in every state: those `CallMachine::allowed` lists are accepted, the rest
/// are refused with an error that names the command and the state, and leave no trace.
#[test]
fn every_illegal_command_in_every_state_is_refused_without_effect() {
    type Builder = fn() -> CallMachine;
    let states: [(&str, Builder); 13] = [
        ("Idle", idle),
        ("Registering", registering),
        ("Dialing", dialing),
        ("Ringing", ringing),
        ("Proceeding", proceeding),
        ("Connected", connected),
        ("Holding", holding),
        ("Held", held),
        ("Resuming", resuming),
        ("Alerting", alerting),
        ("Answering", answering),
        ("Ending", ending),
        ("Ended", ended),
    ];
    let commands = [
        Command::Register,
        Command::Dial(number()),
        Command::Answer,
        Command::Decline,
        Command::Hangup,
        Command::Hold,
        Command::Resume,
        Command::Mute(true),
        Command::Dtmf("1".into()),
        Command::Text("book a room".into()),
    ];
    let mut refused = 0;
    for (name, build) in states {
        for c in &commands {
            let mut m = build();
            let before = m.state().clone();
            let result = m.handle(Input::Command(c.clone()), Instant::now());
            // What the window is told it may do is exactly what the machine accepts.
            let legal = match c {
                Command::Register => name == "Idle",
                c => CallMachine::allowed(&before).permits(c),
            };
            if legal {
                assert!(result.is_ok(), "{c:?} should be legal in {name}: {result:?}");
            } else {
                let err = result.expect_err(&format!("{c:?} must be refused in {name}"));
                assert!(err.to_string().contains(name), "the error names the state: {err}");
                assert_eq!(m.state(), &before, "{c:?} in {name} changed the state");
                assert_eq!(drain(&mut m), [], "{c:?} in {name} produced effects");
                refused += 1;
            }
        }
    }
    assert!(refused > 80, "the table covers the illegal moves ({refused})");
}

#[test]
fn a_lost_registration_between_calls_registers_again() {
    let mut m = idle();
    cmd(&mut m, Command::Register);
    sig(&mut m, Signal::Registered);
    let fx = sig(&mut m, Signal::RegistrationLost("REGISTRATION_EXPIRED".into()));
    assert!(
        matches!(&fx[0], Effect::Error(e) if e.code() == "REGISTRATION_LOST"),
        "{fx:?}"
    );
    assert_eq!(
        fx[1..],
        [st(CallState::Registering), Effect::Signal(SignalOp::Register)]
    );
    assert_eq!(sig(&mut m, Signal::Registered), [st(CallState::Idle)]);
    // After a call too.
    let mut m = ended();
    let fx = sig(&mut m, Signal::RegistrationLost("x".into()));
    assert_eq!(
        fx[1..],
        [st(CallState::Registering), Effect::Signal(SignalOp::Register)]
    );
}

#[test]
fn a_lost_registration_during_a_call_keeps_the_call_and_registers_before_the_next() {
    for mut m in [connected(), held(), alerting(), ringing()] {
        let before = m.state().clone();
        let fx = sig(&mut m, Signal::RegistrationLost("x".into()));
        assert_eq!(fx.len(), 1, "{before}: {fx:?}");
        assert!(matches!(&fx[0], Effect::Error(e) if e.code() == "REGISTRATION_LOST"));
        assert_eq!(*m.state(), before);
    }
    let mut m = connected();
    sig(&mut m, Signal::RegistrationLost("x".into()));
    cmd(&mut m, Command::Hangup);
    sig(&mut m, Signal::Ended(EndReason::Hangup));
    assert_eq!(
        cmd(&mut m, Command::Dial(number()))[0],
        st(CallState::Registering)
    );
}

#[test]
fn a_media_timeout_hangs_up_and_ends_with_its_own_reason() {
    for mut m in [connected(), held()] {
        m.handle(Input::MediaTimeout, Instant::now())
            .expect("media timeout");
        let effects = drain(&mut m);
        assert!(
            effects.contains(&Effect::Signal(SignalOp::Terminate)),
            "{effects:?}"
        );
        assert!(effects.contains(&Effect::Media(MediaOp::Close)), "{effects:?}");
        assert_eq!(m.state(), &CallState::Ending);
        let effects = sig(&mut m, Signal::Ended(EndReason::Terminated));
        assert_eq!(effects, [st(CallState::Ended(EndReason::MediaTimeout))]);
    }
    // Before the call is up, or once it has ended, it changes nothing.
    for mut m in [idle(), ringing()] {
        let before = m.state().clone();
        m.handle(Input::MediaTimeout, Instant::now()).expect("ignored");
        assert!(drain(&mut m).is_empty());
        assert_eq!(m.state(), &before);
    }
}

#[test]
fn an_early_answer_plays_before_acceptance_and_acceptance_without_sdp_connects() {
    let mut m = ringing();
    let fx = sig(
        &mut m,
        Signal::EarlyAnswer {
            answer: "early".into(),
        },
    );
    assert_eq!(fx, [Effect::Media(MediaOp::AcceptAnswer("early".into()))]);
    let fx = med(&mut m, MediaResult::AnswerApplied(Direction::SendRecv));
    assert!(fx.is_empty(), "early media is not Connected: {fx:?}");
    assert_eq!(m.state(), &CallState::Ringing);
    assert_eq!(sig(&mut m, Signal::Accepted), [st(CallState::Connected)]);
}

#[test]
fn acceptance_while_the_early_answer_applies_connects_once_it_is_applied() {
    let mut m = dialing();
    med(&mut m, MediaResult::OfferCreated("offer".into()));
    let fx = sig(
        &mut m,
        Signal::EarlyAnswer {
            answer: "early".into(),
        },
    );
    assert_eq!(
        fx,
        [
            st(CallState::Proceeding),
            Effect::Media(MediaOp::AcceptAnswer("early".into()))
        ]
    );
    assert!(sig(&mut m, Signal::Accepted).is_empty());
    assert_eq!(
        med(&mut m, MediaResult::AnswerApplied(Direction::SendRecv)),
        [st(CallState::Connected)]
    );
}

#[test]
fn a_final_answer_replaces_the_early_one_before_the_call_connects() {
    let mut m = ringing();
    sig(
        &mut m,
        Signal::EarlyAnswer {
            answer: "early".into(),
        },
    );
    med(&mut m, MediaResult::AnswerApplied(Direction::RecvOnly));
    let fx = sig(
        &mut m,
        Signal::Answered {
            answer: "final".into(),
        },
    );
    assert_eq!(fx, [Effect::Media(MediaOp::ReplaceAnswer("final".into()))]);
    assert_eq!(
        med(&mut m, MediaResult::AnswerApplied(Direction::SendRecv)),
        [st(CallState::Connected)]
    );
}

#[test]
fn acceptance_with_no_answer_ever_given_fails_the_call() {
    let mut m = ringing();
    let fx = sig(&mut m, Signal::Accepted);
    assert!(fx.contains(&Effect::Signal(SignalOp::Terminate)), "{fx:?}");
    assert!(
        matches!(m.state(), CallState::Ended(EndReason::Failed(why)) if why.contains("never sent an SDP answer")),
        "{:?}",
        m.state()
    );
}

#[test]
fn every_state_name_is_listed() {
    for s in [
        CallState::Idle,
        CallState::Registering,
        CallState::Dialing,
        CallState::Ringing,
        CallState::Proceeding,
        CallState::Connected,
        CallState::Holding,
        CallState::Held,
        CallState::Resuming,
        CallState::Alerting,
        CallState::Answering,
        CallState::Ending,
        CallState::Ended(EndReason::Hangup),
    ] {
        assert!(CallState::NAMES.contains(&s.name()), "{s}");
    }
}
