//! `POST /alexa/v1/communications/session` (StartCommunicationSession): the request is
//! checked by the API's rules (400 InvalidInput with the rule), the originator's
//! `endpointId` names the device, and a call to a Dialtone client's number reaches it
//! as InitiateOutboundCall.

use super::API_ROOT;
use super::device::{self, Device};
use super::relay;
use crate::auth::require;
use crate::errors::{ApiError, ApiResult, parse_json};
use crate::state::Sandbox;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use dialtone_core::signaling::alexa::CALLING_SCOPE;
use dialtone_core::signaling::alexa::session::{SESSION_PATH, StartSessionRequest, StartSessionResponse};
use std::sync::Arc;

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    axum::Router::new().route(&format!("{API_ROOT}{SESSION_PATH}"), post(start))
}

async fn start(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<StartSessionResponse>> {
    require(&s, &headers, CALLING_SCOPE)?;
    let req: StartSessionRequest = parse_json(&body)?;
    req.validate().map_err(|e| ApiError::invalid(e.to_string()))?;
    let (Some(from), Some(to)) = (
        req.participants.iter().find(|p| p.is_originator == Some(true)),
        req.participants.iter().find(|p| p.is_originator != Some(true)),
    ) else {
        return Err(ApiError::invalid("the participants are incomplete"));
    };
    let endpoint = from.endpoint_id.as_deref().unwrap_or_default();
    let device = Device::lookup(endpoint)
        .ok_or_else(|| ApiError::not_found(format!("no Alexa device with endpointId '{endpoint}'")))?;
    if relay::find(&s, Some(&to.id.value)).is_none() {
        return Err(ApiError::not_found(format!(
            "nobody answers at {}: the sandbox's Alexa calls the numbers of Dialtone clients on its skill relay",
            to.id.value
        )));
    }
    let session_id = device::call_client(&s, device.name, Some(&to.id.value))
        .await
        .map_err(|e| ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", e))?;
    Ok(Json(StartSessionResponse { session_id }))
}
