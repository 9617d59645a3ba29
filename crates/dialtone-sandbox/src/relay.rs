//! Calls between registered clients: dialling a number the sandbox gave a client
//! (+15550190…199) rings that client. The sandbox relays the signaling between two legs,
//! each a CAMARA session of its own device, as an operator's core would; the media flows
//! between the two clients directly.

use crate::far_end::{finish, status_event};
use crate::state::{Origin, Registration, Sandbox, Session, lock};
use dialtone_core::signaling::camara::wire::{
    MediaSession as EventData, MediaSessionInformation, SessionStatus, WrtcSdpDescriptor,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long the callee rings before the caller hears `NoAnswer`.
const RING_FOR: Duration = Duration::from_secs(60);
/// How long a re-offer waits for the other client's answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Rings `callee` with the caller's offer, and connects the caller's leg when it answers.
pub async fn ring(
    s: Arc<Sandbox>,
    caller_leg: Arc<Session>,
    caller_number: String,
    callee: Registration,
    offer: String,
) {
    if callee.device_id == caller_leg.device_id {
        finish(
            &s,
            &caller_leg,
            SessionStatus::Busy,
            "486 Busy Here: that is your own number",
        )
        .await;
        return;
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let from = format!("tel:{caller_number}");
    let to = format!("tel:{}", callee.phone_number);
    let info = MediaSessionInformation {
        originator_address: Some(from.clone()),
        receiver_address: Some(to.clone()),
        status: Some(SessionStatus::Initial),
        offer: Some(WrtcSdpDescriptor::new(offer.clone())),
        media_session_id: Some(id.clone()),
        ..Default::default()
    };
    let (tx, rx) = oneshot::channel();
    let callee_leg = s.add_session(
        callee.device_id.clone(),
        caller_number.clone(),
        Origin::Incoming,
        info,
        Some(tx),
    );
    {
        let mut links = lock(&s.links);
        links.insert(caller_leg.id.clone(), id.clone());
        links.insert(id.clone(), caller_leg.id.clone());
    }
    tracing::info!(from = %caller_number, to = %callee.phone_number, "ringing a registered client");
    let invitation = EventData {
        originator_address: Some(from),
        receiver_address: Some(to),
        status: Some(SessionStatus::Initial),
        offer: Some(WrtcSdpDescriptor::new(offer)),
        media_session_id: id.clone(),
        ..Default::default()
    };
    let invited = crate::events::Target::session(&callee.device_id, &id);
    let kind = dialtone_core::signaling::camara::EventKind::SessionInvitation;
    crate::events::notify(&s, &invited, kind, &invitation).await;

    let answer = tokio::select! {
        a = tokio::time::timeout(RING_FOR, rx) => a.ok().and_then(Result::ok),
        // Either leg ending (a decline, a cancel) is handled by whoever ended it.
        _ = caller_leg.ended.notified() => return,
        _ = callee_leg.ended.notified() => return,
    };
    let Some(answer) = answer else {
        finish(
            &s,
            &callee_leg,
            SessionStatus::SessionCancelled,
            "487 Request Terminated: nobody answered",
        )
        .await;
        unlink(&s, &caller_leg.id);
        finish(&s, &caller_leg, SessionStatus::NoAnswer, "408 Request Timeout").await;
        return;
    };
    {
        let mut info = lock(&caller_leg.info);
        info.status = Some(SessionStatus::Connected);
        info.answer = Some(WrtcSdpDescriptor::new(answer.clone()));
    }
    status_event(
        &s,
        &caller_leg,
        SessionStatus::Connected,
        None,
        Some(answer),
        Some("200 OK"),
    )
    .await;
}

/// The callee reported `Ringing`: the caller hears it.
pub async fn ringing(s: &Sandbox, callee_leg: &Session) {
    if let Some(caller_leg) = s.peer_leg(&callee_leg.id) {
        caller_leg.set_status(SessionStatus::Ringing);
        status_event(
            s,
            &caller_leg,
            SessionStatus::Ringing,
            None,
            None,
            Some("180 Ringing"),
        )
        .await;
    }
}

/// A client re-offers on its leg (hold, resume, an ICE restart): the other client gets
/// the offer as the network's own update, and its answer comes back as an event.
pub async fn reoffer(s: Arc<Sandbox>, from_leg: Arc<Session>, status: SessionStatus, offer: String) {
    let Some(to_leg) = s.peer_leg(&from_leg.id) else {
        return;
    };
    let (tx, rx) = oneshot::channel();
    *lock(&to_leg.awaiting_answer) = Some(tx);
    let settled = settled_status(status);
    to_leg.set_status(settled);
    from_leg.set_status(settled);
    status_event(&s, &to_leg, status, Some(offer), None, None).await;
    let answer = tokio::select! {
        a = tokio::time::timeout(ANSWER_WITHIN, rx) => a.ok().and_then(Result::ok),
        _ = from_leg.ended.notified() => None,
        _ = to_leg.ended.notified() => None,
    };
    match answer {
        Some(answer) => {
            lock(&from_leg.info).answer = Some(WrtcSdpDescriptor::new(answer.clone()));
            status_event(&s, &from_leg, status, None, Some(answer), None).await;
        }
        None => {
            lock(&to_leg.awaiting_answer).take();
            tracing::info!(leg = %from_leg.id, "the other client did not answer the re-offer");
        }
    }
}

/// What a leg's status is once an update settles: a resume is a connected call again.
pub fn settled_status(update: SessionStatus) -> SessionStatus {
    match update {
        SessionStatus::Hold => SessionStatus::Hold,
        _ => SessionStatus::Connected,
    }
}

/// One leg ended with `status`: end the other and tell its client.
pub async fn hang_up_peer(s: &Sandbox, id: &str, status: SessionStatus) {
    let Some(peer) = s.peer_leg(id) else {
        unlink(s, id);
        return;
    };
    unlink(s, id);
    let (peer_status, reason) = match status {
        SessionStatus::Declined => (SessionStatus::Declined, "603 Decline"),
        SessionStatus::SessionCancelled => (SessionStatus::SessionCancelled, "487 Request Terminated"),
        _ => (SessionStatus::Terminated, "BYE"),
    };
    finish(s, &peer, peer_status, reason).await;
}

fn unlink(s: &Sandbox, id: &str) {
    let mut links = lock(&s.links);
    if let Some(other) = links.remove(id) {
        links.remove(&other);
    }
}
