//! The SPI events the skill relay delivers to our intake (flat or enveloped), turned into
//! call machine signals and the acks we owe Alexa, one at a time and in order. `handle`
//! is pure: state in, signal and ack out.

use super::client::AlexaClient;
use super::provider::{Inner, Session};
use super::wire::{CallResult, IdType, Inbound, Message, Name, Participant, SdpType, result_codes};
use crate::call::{CallId, EndReason, Signal};
use crate::lock;
use crate::signaling::SignalSender;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// What a CallEnded's `callResult` means for the call.
pub fn end_reason(result: Option<&CallResult>) -> EndReason {
    let Some(r) = result else {
        return EndReason::Terminated;
    };
    match r.code.as_str() {
        result_codes::SUCCESS => EndReason::Terminated,
        result_codes::DEVICE_BUSY => EndReason::Busy,
        result_codes::SESSION_TIMEOUT => EndReason::NoAnswer,
        result_codes::UNAUTHORIZED | result_codes::UNAUTHORISED => {
            EndReason::Failed(format!("Alexa refused the call as unauthorised: {}", r.message))
        }
        code => EndReason::Failed(format!("Alexa ended the call ({code}): {}", r.message)),
    }
}

/// A participant's address as Dialtone shows it: `alexa:<name>` or the number.
fn address_of(p: &Participant) -> String {
    match p.id.kind {
        IdType::PhoneNumber => p.id.value.clone(),
        _ => format!("{}{}", crate::call::address::ALEXA_SCHEME, p.id.value),
    }
}

/// Turns the relay's SPI events into signals and acks, one at a time and in order.
pub(super) async fn dispatch(
    mut events: mpsc::Receiver<Inbound>,
    inner: Arc<Mutex<Inner>>,
    signals: SignalSender,
    client: Arc<AlexaClient>,
) {
    while let Some(Inbound { message: m, form }) = events.recv().await {
        tracing::debug!(name = %m.name, ?form, "SPI event");
        if let Err(why) = m.check() {
            tracing::warn!(%why, "ignoring a malformed SPI event");
            continue;
        }
        let (signal, ack) = handle(&inner, m, &|| signals.new_call());
        // Ack first: once the machine moves on (say, to Connected, where the user may
        // hold at once), Alexa already knows the call moved.
        if let Some(ack) = ack
            && let Err(e) = client.signal(&ack).await
        {
            tracing::warn!(error = %e, "could not ack an SPI event");
        }
        if let Some((call, s)) = signal {
            signals.send(call, s).await;
        }
    }
}

/// One SPI event: the signal for the call it concerns and the ack we owe Alexa. A device
/// calling us is a new call, numbered by `new_call`; during another call it rings in
/// beside it (call waiting), and the switchboard declines it if the line is full.
pub(super) fn handle(
    inner: &Mutex<Inner>,
    m: Message,
    new_call: &dyn Fn() -> CallId,
) -> (Option<(CallId, Signal)>, Option<Message>) {
    let mut inner = lock(inner);
    if m.name == Name::InitiateOutboundCall {
        if inner.sessions.call_of(&m.session_id).is_some() {
            tracing::debug!(session = %m.session_id, "a repeated InitiateOutboundCall; ignored");
            return (None, None);
        }
        let offer = m.sdp(SdpType::Offer).unwrap_or_default().to_owned();
        let from = m
            .participants
            .iter()
            .flatten()
            .find(|p| p.is_originator == Some(true))
            .map_or_else(|| "alexa:unknown".to_owned(), address_of);
        let call = new_call();
        inner.sessions.insert(call, Session::new(&m.session_id, true));
        return (Some((call, Signal::Invitation { from, offer })), None);
    }
    let Some(call) = inner.sessions.call_of(&m.session_id) else {
        tracing::info!(name = %m.name, session = %m.session_id, "SPI event for an unknown session; ignored");
        return (None, None);
    };
    let (signal, ack) = handle_for(&mut inner, call, &m);
    (signal.map(|s| (call, s)), ack)
}

/// An SPI event for `call`'s session.
fn handle_for(inner: &mut Inner, call: CallId, m: &Message) -> (Option<Signal>, Option<Message>) {
    let Some(session) = inner.sessions.get_mut(call) else {
        return (None, None);
    };
    let incoming = session.incoming;
    let bare = |name| Some(Message::bare(name, &m.session_id));
    match m.name {
        Name::CallRinging if !incoming => (Some(Signal::Ringing), bare(Name::CallRingingAck)),
        // Amazon: CallInProgress sends "an SDP answer before the call gets accepted".
        Name::CallInProgress if !incoming => {
            let signal = match m.sdp_if_any(SdpType::Answer).ok().flatten() {
                Some(answer) => {
                    session.early_answer = Some(answer.to_owned());
                    Signal::EarlyAnswer {
                        answer: answer.to_owned(),
                    }
                }
                None => Signal::Proceeding,
            };
            (Some(signal), bare(Name::CallInProgressAck))
        }
        // CallAccepted's SDP is optional: without one (or with the same one), the early
        // answer stands; a different one replaces it.
        Name::CallAccepted if !incoming => {
            let early = session.early_answer.clone();
            let signal = match m.sdp_if_any(SdpType::Answer).ok().flatten() {
                Some(answer) if early.as_deref().map(str::trim) != Some(answer.trim()) => Signal::Answered {
                    answer: answer.to_owned(),
                },
                _ => Signal::Accepted,
            };
            (Some(signal), bare(Name::CallAcceptedAck))
        }
        Name::CallUpdate => {
            session.far_update = m.renegotiation_type;
            let offer = m.sdp(SdpType::Offer).unwrap_or_default().to_owned();
            (Some(Signal::RemoteOffer { offer }), None)
        }
        Name::CallUpdateResponse => {
            if session.pending_update.take().is_none() {
                tracing::info!("a CallUpdateResponse we did not ask for; ignored");
                return (None, None);
            }
            let answer = m.sdp(SdpType::Answer).unwrap_or_default().to_owned();
            (Some(Signal::UpdateAnswered { answer }), bare(Name::CallUpdateAck))
        }
        Name::CallEnded => {
            inner.sessions.remove(call);
            (Some(Signal::Ended(end_reason(m.call_result.as_ref()))), None)
        }
        // Taken as they come: nothing waits for them.
        Name::CallRingingAck | Name::CallInProgressAck | Name::CallAcceptedAck | Name::CallUpdateAck => {
            inner.acks.push(m.name);
            (None, None)
        }
        other => {
            tracing::info!(name = %other, "an SPI event that does not fit this call; ignored");
            (None, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signaling::alexa::wire::{ParticipantId, RenegotiationType, SdpDetails};

    fn inner_with(session: Option<Session>) -> Mutex<Inner> {
        let mut inner = Inner::default();
        if let Some(s) = session {
            inner.sessions.insert(1, s);
        }
        Mutex::new(inner)
    }

    /// The signal alone; a device calling in is numbered 2.
    fn handle(inner: &Mutex<Inner>, m: Message) -> (Option<Signal>, Option<Message>) {
        let (s, ack) = super::handle(inner, m, &|| 2);
        (s.map(|(_, s)| s), ack)
    }

    fn session(inner: &Mutex<Inner>, call: CallId) -> Option<String> {
        lock(inner).sessions.get(call).map(|s| s.id.clone())
    }

    fn ours(id: &str) -> Session {
        Session::new(id, false)
    }

    fn outbound(id: &str) -> Message {
        let mut m = Message::bare(Name::InitiateOutboundCall, id).with_sdp(SdpDetails::offer("v=0"));
        m.participants = Some(vec![
            Participant {
                id: ParticipantId {
                    kind: IdType::RawAddress,
                    value: "kitchen".into(),
                },
                is_originator: Some(true),
            },
            Participant {
                id: ParticipantId {
                    kind: IdType::RawAddress,
                    value: "dialtone-1".into(),
                },
                is_originator: None,
            },
        ]);
        m
    }

    #[test]
    fn a_device_calling_is_an_invitation_from_its_alexa_address() {
        let inner = inner_with(None);
        let (signal, ack) = handle(&inner, outbound("s1"));
        assert_eq!(
            signal,
            Some(Signal::Invitation {
                from: "alexa:kitchen".into(),
                offer: "v=0".into()
            })
        );
        assert_eq!(
            ack, None,
            "InitiateOutboundCall is answered by CallRinging, not acked"
        );
        assert!(lock(&inner).sessions.get(2).is_some_and(|s| s.incoming));
    }

    #[test]
    fn a_second_device_calling_during_a_call_rings_in_beside_it_and_events_find_their_call() {
        let inner = inner_with(Some(ours("s1")));
        let (signal, reply) = super::handle(&inner, outbound("s2"), &|| 2);
        assert!(matches!(signal, Some((2, Signal::Invitation { .. }))));
        assert_eq!(reply, None, "rings: no busy");
        assert_eq!(
            (session(&inner, 1), session(&inner, 2)),
            (Some("s1".into()), Some("s2".into()))
        );
        let (ended, _) = super::handle(&inner, Message::ended("s2", "SUCCESS", "bye"), &|| 3);
        assert_eq!(ended, Some((2, Signal::Ended(EndReason::Terminated))));
        let (ringing, _) = super::handle(&inner, Message::bare(Name::CallRinging, "s1"), &|| 3);
        assert_eq!(ringing, Some((1, Signal::Ringing)));
        assert_eq!(
            (session(&inner, 1), session(&inner, 2)),
            (Some("s1".into()), None)
        );
        assert_eq!(
            super::handle(&inner, outbound("s1"), &|| 3),
            (None, None),
            "a repeated invitation is not a new call"
        );
    }

    #[test]
    fn events_for_another_session_change_nothing() {
        let inner = inner_with(Some(ours("s1")));
        for m in [
            Message::ended("other", "SUCCESS", "bye"),
            Message::bare(Name::CallRinging, "other"),
            Message::bare(Name::CallAccepted, "other").with_sdp(SdpDetails::answer("v=0")),
        ] {
            assert_eq!(handle(&inner, m), (None, None));
        }
        assert!(session(&inner, 1).is_some());
    }

    #[test]
    fn our_call_is_acked_step_by_step_and_answered_by_call_accepted() {
        let inner = inner_with(Some(ours("s1")));
        let (s, ack) = handle(&inner, Message::bare(Name::CallRinging, "s1"));
        assert_eq!(
            (s, ack.map(|a| a.name)),
            (Some(Signal::Ringing), Some(Name::CallRingingAck))
        );
        let (s, ack) = handle(&inner, Message::bare(Name::CallInProgress, "s1"));
        assert_eq!(
            (s, ack.map(|a| a.name)),
            (Some(Signal::Proceeding), Some(Name::CallInProgressAck))
        );
        let accepted = Message::bare(Name::CallAccepted, "s1").with_sdp(SdpDetails::answer("v=0 a"));
        let (s, ack) = handle(&inner, accepted);
        assert_eq!(
            s,
            Some(Signal::Answered {
                answer: "v=0 a".into()
            })
        );
        assert_eq!(ack.map(|a| a.name), Some(Name::CallAcceptedAck));
    }

    #[test]
    fn an_answer_in_call_in_progress_is_early_media_and_call_accepted_confirms_or_replaces_it() {
        let inner = inner_with(Some(ours("s1")));
        let progress = Message::bare(Name::CallInProgress, "s1").with_sdp(SdpDetails::answer("v=0 early"));
        let (s, ack) = handle(&inner, progress);
        assert_eq!(
            s,
            Some(Signal::EarlyAnswer {
                answer: "v=0 early".into()
            })
        );
        assert_eq!(ack.map(|a| a.name), Some(Name::CallInProgressAck));
        let without_sdp = Message::bare(Name::CallAccepted, "s1");
        assert_eq!(handle(&inner, without_sdp).0, Some(Signal::Accepted));
        let same = Message::bare(Name::CallAccepted, "s1").with_sdp(SdpDetails::answer("v=0 early\r\n"));
        assert_eq!(handle(&inner, same).0, Some(Signal::Accepted));
        let other = Message::bare(Name::CallAccepted, "s1").with_sdp(SdpDetails::answer("v=0 final"));
        assert_eq!(
            handle(&inner, other).0,
            Some(Signal::Answered {
                answer: "v=0 final".into()
            })
        );
    }

    #[test]
    fn acks_are_recorded_and_never_block_anything() {
        let inner = inner_with(Some(ours("s1")));
        assert_eq!(
            handle(&inner, Message::bare(Name::CallUpdateAck, "s1")),
            (None, None)
        );
        assert_eq!(lock(&inner).acks, [Name::CallUpdateAck]);
    }

    #[test]
    fn only_an_update_we_asked_for_is_answered_and_acked() {
        let inner = inner_with(Some(ours("s1")));
        let response = || {
            Message::bare(Name::CallUpdateResponse, "s1")
                .with_renegotiation(RenegotiationType::CallHold)
                .with_sdp(SdpDetails::answer("v=0 held"))
        };
        assert_eq!(handle(&inner, response()), (None, None), "unasked");
        if let Some(s) = lock(&inner).sessions.get_mut(1) {
            s.pending_update = Some(RenegotiationType::CallHold);
        }
        let (s, ack) = handle(&inner, response());
        assert_eq!(
            s,
            Some(Signal::UpdateAnswered {
                answer: "v=0 held".into()
            })
        );
        assert_eq!(ack.map(|a| a.name), Some(Name::CallUpdateAck));
    }

    #[test]
    fn a_far_end_update_is_remembered_for_our_response() {
        let inner = inner_with(Some(ours("s1")));
        let update = Message::bare(Name::CallUpdate, "s1")
            .with_renegotiation(RenegotiationType::CallResume)
            .with_sdp(SdpDetails::offer("v=0 resume"));
        let (s, ack) = handle(&inner, update);
        assert_eq!(
            s,
            Some(Signal::RemoteOffer {
                offer: "v=0 resume".into()
            })
        );
        assert_eq!(
            ack, None,
            "answered by CallUpdateResponse once the machine answers"
        );
        let far = lock(&inner).sessions.get(1).and_then(|s| s.far_update);
        assert_eq!(far, Some(RenegotiationType::CallResume));
    }

    #[test]
    fn call_ended_codes_become_end_reasons() {
        let result = |code: &str| CallResult {
            code: code.into(),
            message: "m".into(),
        };
        assert_eq!(end_reason(Some(&result("SUCCESS"))), EndReason::Terminated);
        assert_eq!(end_reason(Some(&result("DEVICE_BUSY"))), EndReason::Busy);
        assert_eq!(end_reason(Some(&result("SESSION_TIMEOUT"))), EndReason::NoAnswer);
        for unauthorised in ["UNAUTHORIZED", "UNAUTHORISED"] {
            assert!(
                matches!(end_reason(Some(&result(unauthorised))), EndReason::Failed(m) if m.contains("unauthorised"))
            );
        }
        assert!(
            matches!(end_reason(Some(&result("INTERNAL_ERROR"))), EndReason::Failed(m) if m.contains("INTERNAL_ERROR"))
        );
        let inner = inner_with(Some(ours("s1")));
        let (s, _) = handle(&inner, Message::ended("s1", "DEVICE_BUSY", "busy"));
        assert_eq!(s, Some(Signal::Ended(EndReason::Busy)));
        assert!(session(&inner, 1).is_none());
    }
}
