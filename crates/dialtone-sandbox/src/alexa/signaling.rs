//! `POST /alexa/v1/communications/signaling`: the client's requests, checked against the
//! call's phase the way Alexa would: an unknown sessionId is a 404, a request that does
//! not fit where the call is a 400, and a malformed message a 400 that says what is wrong.

use super::device::{self, Device};
use super::relay;
use super::{API_ROOT, AlexaCall, Phase, end_call};
use crate::auth::require;
use crate::errors::{ApiError, ApiResult, parse_json};
use crate::state::{Sandbox, lock};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use dialtone_core::signaling::alexa::CALLING_SCOPE;
use dialtone_core::signaling::alexa::wire::{IdType, Message, Name, SIGNALING_PATH, SdpType};
use std::sync::{Arc, Mutex};

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    axum::Router::new().route(&format!("{API_ROOT}{SIGNALING_PATH}"), post(signal))
}

async fn signal(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    require(&s, &headers, CALLING_SCOPE)?;
    let m: Message = parse_json(&body)?;
    m.check().map_err(ApiError::invalid)?;
    if m.name == Name::InitiateInboundCall {
        return initiate(&s, m).await;
    }
    let call = s
        .alexa
        .call(&m.session_id)
        .ok_or_else(|| ApiError::not_found(format!("no call with sessionId {}", m.session_id)))?;
    call.record(format!("→{}", m.name));
    if m.name == Name::CallEnded {
        end_call(&s, &call.id).await;
        return Ok(StatusCode::OK);
    }
    // What the device is waiting for (an ack, or the answer to its CallUpdate).
    let waiter = {
        let mut awaiting = lock(&call.awaiting);
        match awaiting.take() {
            Some((name, tx)) if name == m.name => Some(tx),
            other => {
                *awaiting = other;
                None
            }
        }
    };
    if let Some(tx) = waiter {
        // The phase moves before our 200, so the client's next request finds it moved.
        match m.name {
            Name::CallRingingAck => call.set_phase(Phase::Ringing),
            Name::CallInProgressAck => call.set_phase(Phase::InProgress),
            Name::CallAcceptedAck => call.set_phase(Phase::Connected),
            _ => {}
        }
        let _ = tx.send(m);
        return Ok(StatusCode::OK);
    }
    let phase = call.phase();
    match (m.name, phase) {
        (Name::CallRinging, Phase::Offered) if call.device_called => {
            call.set_phase(Phase::Ringing);
            ack(&call, Name::CallRingingAck);
        }
        (Name::CallInProgress, Phase::Ringing) if call.device_called => {
            call.set_phase(Phase::InProgress);
            ack(&call, Name::CallInProgressAck);
        }
        (Name::CallAccepted, Phase::Ringing | Phase::InProgress) if call.device_called => {
            let answer = m.sdp(SdpType::Answer).map_err(ApiError::invalid)?.to_owned();
            device::accept_answer(&call, &answer)
                .await
                .map_err(|e| ApiError::invalid(format!("the answer could not be applied: {e}")))?;
            call.set_phase(Phase::Connected);
            ack(&call, Name::CallAcceptedAck);
        }
        (Name::CallUpdate, Phase::Connected) => {
            let offer = m.sdp(SdpType::Offer).map_err(ApiError::invalid)?.to_owned();
            let kind = m
                .renegotiation_type
                .unwrap_or(dialtone_core::signaling::alexa::wire::RenegotiationType::CallUpdate);
            tokio::spawn(device::answer_update(s.clone(), call.clone(), kind, offer));
        }
        (name, phase) => {
            return Err(ApiError::invalid(format!(
                "{} is out of order: the call is {phase:?}",
                name.type_string()
            )));
        }
    }
    Ok(StatusCode::OK)
}

/// Acks a client request, after our 200 has gone out.
fn ack(call: &Arc<AlexaCall>, name: Name) {
    let call = call.clone();
    tokio::spawn(async move {
        relay::deliver(&call, &Message::bare(name, &call.id)).await;
    });
}

/// InitiateInboundCall: the client calls a device.
async fn initiate(s: &Arc<Sandbox>, m: Message) -> ApiResult<StatusCode> {
    if s.alexa.call(&m.session_id).is_some() || lock(&s.alexa.logs).contains_key(&m.session_id) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "ALREADY_EXISTS",
            format!("sessionId {} is already in use", m.session_id),
        ));
    }
    let participants = m.participants.as_deref().unwrap_or_default();
    let caller = participants
        .iter()
        .find(|p| p.is_originator == Some(true))
        .ok_or_else(|| ApiError::invalid("no participant has isOriginator: true"))?;
    let callee = participants
        .iter()
        .find(|p| p.is_originator != Some(true))
        .ok_or_else(|| ApiError::invalid("no participant is the callee"))?;
    let relay = relay::find(s, Some(&caller.id.value)).ok_or_else(|| {
        ApiError::forbidden(format!(
            "the caller '{}' is not registered with the skill relay",
            caller.id.value
        ))
    })?;
    if callee.id.kind != IdType::RawAddress {
        return Err(ApiError::not_found(format!(
            "the sandbox's Alexa reaches devices by RAW_ADDRESS, not {:?}",
            callee.id.kind
        )));
    }
    let dev = Device::lookup(&callee.id.value)
        .ok_or_else(|| ApiError::not_found(format!("no Alexa device named '{}'", callee.id.value)))?;
    let offer = m.sdp(SdpType::Offer).map_err(ApiError::invalid)?.to_owned();
    let call = Arc::new(AlexaCall {
        id: m.session_id.clone(),
        device: dev.name.to_owned(),
        device_called: false,
        relay,
        phase: Mutex::new(Phase::Offered),
        awaiting: Mutex::default(),
        log: Mutex::new(vec![format!("→{}", m.name)]),
        far_end: tokio::sync::Mutex::new(None),
        ended: tokio::sync::Notify::new(),
    });
    lock(&s.alexa.calls).insert(call.id.clone(), call.clone());
    tokio::spawn(device::ring(s.clone(), call, dev, offer));
    Ok(StatusCode::OK)
}
