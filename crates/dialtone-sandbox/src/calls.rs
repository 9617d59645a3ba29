//! webrtc-call-handling: POST /sessions, GET, PUT /sessions/{id}/status, DELETE.

use crate::auth::require;
use crate::commons;
use crate::errors::{ApiError, ApiResult};
use crate::far_end::{self, Behaviour};
use crate::relay;
use crate::state::{Origin, Sandbox, Session, lock};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post, put};
use dialtone_core::call::PhoneNumber;
use dialtone_core::signaling::camara::Dialect;
use dialtone_core::signaling::camara::wire::{
    CallType, MediaSessionInformation, MediaSessionStatusChange, SessionStatus, WrtcSdpDescriptor, scopes,
};
use std::sync::Arc;

pub fn routes(dialect: Dialect) -> axum::Router<Arc<Sandbox>> {
    let base = dialect.call_handling_base();
    axum::Router::new()
        .route(
            &format!("{base}/sessions"),
            post(create).fallback(commons::wrong_method),
        )
        .route(
            &format!("{base}/sessions/{{mediaSessionId}}"),
            delete(remove).get(read).fallback(commons::wrong_method),
        )
        .route(
            &format!("{base}/sessions/{{mediaSessionId}}/status"),
            put(update_status).fallback(commons::wrong_method),
        )
}

/// The number in a `tel:` address, checked against the spec's `Address` pattern.
pub fn tel_number(address: &str) -> ApiResult<String> {
    if address.starts_with("sip:") || address.starts_with("urn:service:sos") {
        return Err(ApiError::invalid(format!(
            "the sandbox only routes tel: addresses, not '{address}'"
        )));
    }
    let number = address.strip_prefix("tel:").ok_or_else(|| {
        ApiError::invalid(format!("'{address}' is not a valid address (expected tel:+E164)"))
    })?;
    PhoneNumber::parse(number)
        .ok()
        .filter(|n| n.as_e164() == number)
        .map(|n| n.as_e164().to_owned())
        .ok_or_else(|| ApiError::invalid(format!("'{address}' is not a valid address (expected tel:+E164)")))
}

fn registration_device(s: &Sandbox, headers: &HeaderMap) -> ApiResult<(String, String)> {
    let id = headers
        .get("registrationId")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::invalid("the registrationId header is required"))?;
    lock(&s.registrations)
        .get(id)
        .map(|r| (r.device_id.clone(), r.phone_number.clone()))
        .ok_or_else(|| ApiError::invalid(format!("registrationId '{id}' is not an active registration")))
}

fn check_sdp(d: &WrtcSdpDescriptor, what: &str) -> ApiResult<()> {
    if d.sdp.len() > 65_536 || !d.sdp.trim_start().starts_with("v=0") {
        return Err(ApiError::invalid(format!("{what}.sdp is not an SDP description")));
    }
    Ok(())
}

async fn create(State(s): State<Arc<Sandbox>>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    require(&s, &headers, scopes::SESSIONS_CREATE)?;
    let (device_id, own_number) = registration_device(&s, &headers)?;
    let dialect = s.dialect();
    let mut req: MediaSessionInformation = commons::body(dialect, &body)?;
    if !dialect.has_call_type() {
        // r2.2 defines neither: a call is a regular call.
        req.call_type = None;
        req.location_details = None;
    } else if req.client_correlator.is_some() {
        if dialect.strict_bodies() {
            return Err(ApiError::invalid(
                "clientCorrelator is not a property in this API version",
            ));
        }
        req.client_correlator = None;
    }
    if req.status.is_some() {
        return Err(ApiError::invalid(
            "status must not be set when creating a session",
        ));
    }
    if req.answer.is_some() {
        return Err(ApiError::invalid(
            "answer must not be set when creating a session",
        ));
    }
    let originator = req
        .originator_address
        .clone()
        .ok_or_else(|| ApiError::invalid("originatorAddress is required"))?;
    let receiver = req
        .receiver_address
        .clone()
        .ok_or_else(|| ApiError::invalid("receiverAddress is required"))?;
    let offer = req
        .offer
        .clone()
        .ok_or_else(|| ApiError::invalid("offer is required"))?;
    check_sdp(&offer, "offer")?;
    tel_number(&originator)?;
    let number = tel_number(&receiver)?;
    let entry = far_end::lookup(&number);
    if req.call_type == Some(CallType::Emergency) {
        if !s.config.emergency_supported {
            return Err(ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "CALLTYPE_EMERGENCY_NOT_SUPPORTED",
                "Server does not support call type EMERGENCY.",
            ));
        }
        if entry.is_some_and(|e| e.behaviour == Behaviour::Emergency) && req.location_details.is_none() {
            return Err(ApiError::invalid(
                "an EMERGENCY call to +15550109 needs locationDetails",
            ));
        }
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let info = MediaSessionInformation {
        media_session_id: Some(id.clone()),
        status: Some(SessionStatus::Initial),
        ..req
    };
    let session = s.add_session(device_id, number.clone(), Origin::Outgoing, info.clone(), None);
    tracing::info!(from = %own_number, to = %number, "session created");
    if entry.is_none()
        && let Some(callee) = s.registration_of(&number)
    {
        tokio::spawn(relay::ring(s.clone(), session, own_number, callee, offer.sdp));
        return Ok((StatusCode::CREATED, Json(info)).into_response());
    }
    tokio::spawn(far_end::run_outgoing(
        s.clone(),
        session,
        offer.sdp,
        entry.map(|e| e.behaviour),
    ));
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

fn find(s: &Sandbox, id: &str) -> ApiResult<Arc<Session>> {
    s.session(id)
        .ok_or_else(|| ApiError::not_found(format!("no active media session '{id}'")))
}

async fn read(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<MediaSessionInformation>> {
    require(&s, &headers, scopes::SESSIONS_READ)?;
    if let Some(session) = s.session(&id) {
        return Ok(Json(lock(&session.info).clone()));
    }
    lock(&s.ended)
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no media session '{id}'")))
}

async fn update_status(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    require(&s, &headers, scopes::SESSIONS_WRITE)?;
    let change: MediaSessionStatusChange = commons::body(s.dialect(), &body)?;
    let session = find(&s, &id)?;
    for (d, what) in [(&change.offer, "offer"), (&change.answer, "answer")] {
        if let Some(d) = d {
            check_sdp(d, what)?;
        }
    }
    // An answer to the far end's own offer (incoming call, or the far end holding us).
    if let Some(answer) = &change.answer {
        let waiter = lock(&session.awaiting_answer).take();
        let Some(waiter) = waiter else {
            return Err(ApiError::invalid("there is no offer from the far end to answer"));
        };
        let accepting = matches!(
            session.status(),
            None | Some(SessionStatus::Initial | SessionStatus::Ringing | SessionStatus::InProgress)
        );
        // Accepting the call; an answer to a re-offer on a connected call changes nothing.
        if accepting
            && matches!(
                change.status,
                SessionStatus::Connected | SessionStatus::InProgress
            )
        {
            if session.origin != Origin::Incoming {
                return Err(ApiError::invalid("only the receiver accepts a session"));
            }
            session.set_status(SessionStatus::Connected);
        }
        lock(&session.info).answer = Some(answer.clone());
        let _ = waiter.send(answer.sdp.clone());
        return Ok(Json(lock(&session.info).clone()).into_response());
    }
    let linked = s.peer_leg(&id).is_some();
    match (change.status, change.offer) {
        // A call between clients: the other client answers, in an event.
        (SessionStatus::Hold | SessionStatus::Resume | SessionStatus::Connected, Some(offer)) if linked => {
            let info = {
                let mut info = lock(&session.info);
                info.status = Some(relay::settled_status(change.status));
                info.offer = Some(offer.clone());
                // The answer comes later: the old one must not look like it.
                let mut shown = info.clone();
                shown.answer = None;
                shown
            };
            tokio::spawn(relay::reoffer(s.clone(), session, change.status, offer.sdp));
            Ok(Json(info).into_response())
        }
        // Connected with an offer: a media update on the established call (an ICE restart).
        (SessionStatus::Hold | SessionStatus::Resume | SessionStatus::Connected, Some(offer)) => {
            let media = session
                .far_end
                .lock()
                .await
                .as_ref()
                .map(|f| f.media.clone())
                .ok_or_else(|| ApiError::invalid("the session is not connected"))?;
            let answer = media
                .accept_offer(&offer.sdp)
                .await
                .map_err(|e| ApiError::invalid(format!("the far end cannot use this offer: {e}")))?;
            let status = if change.status == SessionStatus::Hold {
                SessionStatus::Hold
            } else {
                SessionStatus::Connected
            };
            let info = {
                let mut info = lock(&session.info);
                info.status = Some(status);
                info.offer = Some(offer);
                info.answer = Some(WrtcSdpDescriptor::new(answer.clone()));
                info.clone()
            };
            far_end::status_event(&s, &session, change.status, None, Some(answer), None).await;
            Ok(Json(info).into_response())
        }
        (SessionStatus::Ringing, None) if session.origin == Origin::Incoming => {
            session.set_status(SessionStatus::Ringing);
            relay::ringing(&s, &session).await;
            Ok(Json(lock(&session.info).clone()).into_response())
        }
        (status, offer) => Err(ApiError::invalid(format!(
            "status {status:?} {} is not an update this session can take",
            if offer.is_some() {
                "with an offer"
            } else {
                "without SDP"
            }
        ))),
    }
}

async fn remove(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require(&s, &headers, scopes::SESSIONS_DELETE)?;
    let session = find(&s, &id)?;
    let status = match (session.origin, session.status()) {
        (Origin::Incoming, Some(SessionStatus::Initial | SessionStatus::Ringing)) => SessionStatus::Declined,
        (Origin::Outgoing, Some(SessionStatus::Initial | SessionStatus::Ringing)) => {
            SessionStatus::SessionCancelled
        }
        _ => SessionStatus::Terminated,
    };
    s.end_session(&id, status).await;
    relay::hang_up_peer(&s, &id, status).await;
    Ok(StatusCode::NO_CONTENT)
}
