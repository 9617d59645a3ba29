//! `POST /alexa/v1/communications/signaling`: the client's requests, flat or in the
//! reference's envelope, checked against Amazon's definitions and then against the
//! call's phase the way Alexa would: an unknown sessionId is a 404, a request that does
//! not fit where the call is a 400, a malformed one a 400 that says what is wrong. Each
//! success answers `{"version", "response": {"sessionId"}}`.

use super::amazon::{self, AmazonError, AmazonResult};
use super::device::{self, Device};
use super::relay;
use super::{API_ROOT, AlexaCall, Phase, end_call};
use crate::auth::require;
use crate::state::{Sandbox, lock};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use std::sync::Arc;

/// The scope calls need (the skill's `amazon_communication::calling` permission).
pub const CALLING_SCOPE: &str = "amazon_communication::calling";
pub const SIGNALING_PATH: &str = "/v1/communications/signaling";

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    axum::Router::new().route(&format!("{API_ROOT}{SIGNALING_PATH}"), post(signal))
}

async fn signal(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AmazonResult<Json<Value>> {
    require(&s, &headers, CALLING_SCOPE)?;
    let (m, enveloped) = amazon::unwrap_request(amazon::parse(&body)?).map_err(AmazonError::invalid)?;
    let name = amazon::check_message(&m).map_err(AmazonError::invalid)?;
    let id = amazon::session_id(&m).to_owned();
    tracing::debug!(name, enveloped, "CallSignaling request");
    {
        let mut forms = lock(&s.alexa.forms);
        if enveloped {
            forms.1 += 1;
        } else {
            forms.0 += 1;
        }
    }
    if name == "InitiateInboundCall" {
        initiate(&s, &m).await?;
        return Ok(Json(amazon::response(&id)));
    }
    let call = s
        .alexa
        .call(&id)
        .ok_or_else(|| AmazonError::not_found(format!("no call with sessionId {id}")))?;
    call.record(amazon::log_entry('→', name, &m));
    if name == "CallEnded" {
        end_call(&s, &call.id).await;
        return Ok(Json(amazon::response(&id)));
    }
    // What the device is waiting for (an ack, or the answer to its CallUpdate).
    let waiter = {
        let mut awaiting = lock(&call.awaiting);
        match awaiting.take() {
            Some((wanted, tx)) if wanted == name => Some(tx),
            other => {
                *awaiting = other;
                None
            }
        }
    };
    if let Some(tx) = waiter {
        // The phase moves before our 200, so the client's next request finds it moved.
        match name {
            "CallRingingAck" => call.set_phase(Phase::Ringing),
            "CallInProgressAck" => call.set_phase(Phase::InProgress),
            "CallAcceptedAck" => call.set_phase(Phase::Connected),
            _ => {}
        }
        let _ = tx.send(m);
        return Ok(Json(amazon::response(&id)));
    }
    let phase = call.phase();
    match (name, phase) {
        ("CallRinging", Phase::Offered) if call.device_called => {
            call.set_phase(Phase::Ringing);
            ack(&call, "CallRingingAck");
        }
        // The client's answer may come in either; CallAccepted's is optional.
        ("CallInProgress", Phase::Ringing) if call.device_called => {
            if let Some(answer) = amazon::sdp(&m) {
                device::take_answer(&call, Some(answer))
                    .await
                    .map_err(|e| AmazonError::invalid(format!("the answer could not be applied: {e}")))?;
            }
            call.set_phase(Phase::InProgress);
            ack(&call, "CallInProgressAck");
        }
        ("CallAccepted", Phase::Ringing | Phase::InProgress) if call.device_called => {
            device::take_answer(&call, amazon::sdp(&m))
                .await
                .map_err(|e| AmazonError::invalid(format!("CallAccepted: {e}")))?;
            call.set_phase(Phase::Connected);
            ack(&call, "CallAcceptedAck");
        }
        ("CallUpdate", Phase::Connected) => {
            let offer = amazon::sdp(&m).unwrap_or_default().to_owned();
            let kind = amazon::renegotiation(&m).to_owned();
            tokio::spawn(device::answer_update(s.clone(), call.clone(), kind, offer));
        }
        (name, phase) => {
            return Err(AmazonError::invalid(format!(
                "{}.{name} is out of order: the call is {phase:?}",
                amazon::NAMESPACE
            )));
        }
    }
    Ok(Json(amazon::response(&id)))
}

/// Acks a client request, after our 200 has gone out (unless the device never acks).
fn ack(call: &Arc<AlexaCall>, name: &str) {
    if !call.device.acks() {
        return;
    }
    let call = call.clone();
    let m = amazon::bare(name, &call.id);
    tokio::spawn(async move {
        relay::deliver(&call, &m).await;
    });
}

/// InitiateInboundCall: the client calls a device.
async fn initiate(s: &Arc<Sandbox>, m: &Value) -> AmazonResult<()> {
    let id = amazon::session_id(m);
    if s.alexa.call(id).is_some() || lock(&s.alexa.logs).contains_key(id) {
        return Err(AmazonError::new(
            StatusCode::CONFLICT,
            format!("sessionId {id} is already in use"),
        ));
    }
    let participants = m["participants"].as_array().cloned().unwrap_or_default();
    let originator = |p: &&Value| p["isOriginator"].as_bool() == Some(true);
    let caller = participants
        .iter()
        .find(originator)
        .ok_or_else(|| AmazonError::invalid("no participant has isOriginator: true"))?;
    let callee = participants
        .iter()
        .find(|p| !originator(p))
        .ok_or_else(|| AmazonError::invalid("no participant is the callee"))?;
    let caller_id = caller["id"]["value"].as_str().unwrap_or_default();
    let relay = relay::find(s, Some(caller_id)).ok_or_else(|| {
        AmazonError::new(
            StatusCode::FORBIDDEN,
            format!("the caller '{caller_id}' is not registered with the skill relay"),
        )
    })?;
    let (kind, value) = (
        callee["id"]["type"].as_str().unwrap_or_default(),
        callee["id"]["value"].as_str().unwrap_or_default(),
    );
    if kind != "RAW_ADDRESS" {
        return Err(AmazonError::not_found(format!(
            "the sandbox's Alexa reaches devices by RAW_ADDRESS, not {kind}"
        )));
    }
    let dev = Device::lookup(value)
        .ok_or_else(|| AmazonError::not_found(format!("no Alexa device named '{value}'")))?;
    let offer = amazon::sdp(m).unwrap_or_default().to_owned();
    let call = Arc::new(AlexaCall::new(id, dev, false, relay, None));
    let caller_name = m
        .get("customParams")
        .or_else(|| m.get("customParameters"))
        .and_then(|c| c["callerName"].as_str());
    *lock(&call.caller_name) = caller_name.map(str::to_owned);
    call.record("→InitiateInboundCall".into());
    lock(&s.alexa.calls).insert(call.id.clone(), call.clone());
    tokio::spawn(device::ring(s.clone(), call, dev, offer));
    Ok(())
}
