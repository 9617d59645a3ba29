//! The ICE restart the media watch asks for when audio stops: a re-offer through the
//! provider that the user never sees as a state, and that leaves the call as it was when
//! it fails.

use crate::Direction;
use crate::machine::*;
use crate::tests::{cmd, connected, drain, held, holding, med, sig, st};
use std::time::{Duration, Instant};

fn stalled(m: &mut CallMachine, now: Instant) -> Vec<Effect> {
    m.handle(Input::MediaStalled, now).expect("stalled");
    drain(m)
}

#[test]
fn a_stalled_call_restarts_ice_through_the_provider_and_stays_connected() {
    let mut m = connected();
    assert_eq!(
        stalled(&mut m, Instant::now()),
        [Effect::Media(MediaOp::RestartIce)]
    );
    assert_eq!(
        med(&mut m, MediaResult::OfferCreated("o".into())),
        [Effect::Signal(SignalOp::Renegotiate {
            offer: "o".into(),
            held: false
        })]
    );
    assert_eq!(
        sig(&mut m, Signal::UpdateAnswered { answer: "a".into() }),
        [Effect::Media(MediaOp::AcceptAnswer("a".into()))]
    );
    assert_eq!(med(&mut m, MediaResult::AnswerApplied(Direction::SendRecv)), []);
    assert_eq!(m.state(), &CallState::Connected);
    assert_eq!(m.poll_timeout(), None);
    // Done: hold works as before.
    assert_eq!(
        cmd(&mut m, Command::Hold),
        [st(CallState::Holding), Effect::Media(MediaOp::Hold)]
    );
}

#[test]
fn a_held_call_restarts_ice_and_stays_held() {
    let mut m = held();
    stalled(&mut m, Instant::now());
    assert_eq!(
        med(&mut m, MediaResult::OfferCreated("o".into())),
        [Effect::Signal(SignalOp::Renegotiate {
            offer: "o".into(),
            held: true
        })]
    );
    sig(&mut m, Signal::UpdateAnswered { answer: "a".into() });
    assert_eq!(med(&mut m, MediaResult::AnswerApplied(Direction::RecvOnly)), []);
    assert_eq!(m.state(), &CallState::Held);
}

#[test]
fn a_refused_restart_cancels_its_offer_and_says_so() {
    for refusal in [
        Signal::UpdateRejected("400 bad offer".into()),
        Signal::RequestFailed("connection refused".into()),
    ] {
        let mut m = connected();
        stalled(&mut m, Instant::now());
        med(&mut m, MediaResult::OfferCreated("o".into()));
        let fx = sig(&mut m, refusal);
        assert_eq!(fx[0], Effect::Media(MediaOp::CancelOffer));
        assert!(matches!(
            &fx[1],
            Effect::Error(CallError::Renegotiation {
                what: "ICE restart",
                ..
            })
        ));
        assert_eq!(m.state(), &CallState::Connected);
        // And the next stall may try again.
        assert_eq!(
            stalled(&mut m, Instant::now()),
            [Effect::Media(MediaOp::RestartIce)]
        );
    }
}

#[test]
fn a_restart_without_an_answer_is_abandoned_after_the_update_timeout() {
    let t0 = Instant::now();
    let mut m = connected();
    stalled(&mut m, t0);
    med(&mut m, MediaResult::OfferCreated("o".into()));
    m.handle_timeout(t0 + UPDATE_TIMEOUT - Duration::from_millis(1));
    assert_eq!(drain(&mut m), []);
    m.handle_timeout(t0 + UPDATE_TIMEOUT);
    let fx = drain(&mut m);
    assert_eq!(fx[0], Effect::Media(MediaOp::CancelOffer));
    assert_eq!(m.state(), &CallState::Connected);
}

#[test]
fn no_restart_while_a_hold_is_under_way_or_twice_at_once() {
    let mut m = holding();
    assert_eq!(stalled(&mut m, Instant::now()), []);
    let mut m = connected();
    stalled(&mut m, Instant::now());
    assert_eq!(stalled(&mut m, Instant::now()), []);
}

#[test]
fn a_far_end_offer_during_our_restart_is_answered_after_it() {
    let mut m = connected();
    stalled(&mut m, Instant::now());
    med(&mut m, MediaResult::OfferCreated("o".into()));
    assert_eq!(
        sig(
            &mut m,
            Signal::RemoteOffer {
                offer: "theirs".into()
            }
        ),
        []
    );
    sig(&mut m, Signal::UpdateAnswered { answer: "a".into() });
    assert_eq!(
        med(&mut m, MediaResult::AnswerApplied(Direction::SendRecv)),
        [Effect::Media(MediaOp::AcceptOffer("theirs".into()))]
    );
}
