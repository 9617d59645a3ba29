//! StartCommunicationSession (`POST /alexa/v1/communications/session`), checked against
//! the sandbox's own definition of Amazon's reference and its rules across participants,
//! with errors in the reference's shape and names (`InvalidInput` 400, `BadToken` 401,
//! `AccessDenied` 403, `Throttling` 429, `InternalServerError` 500). The originator's
//! `endpointId` names the device; a call to a Dialtone client's number reaches it as
//! InitiateOutboundCall.
//!
//! A skill calls this API with the `apiAccessToken` and `deviceId` of the skill request
//! Alexa sent it; `POST /sandbox/v1/alexa/skill-request` hands out such a request.

use super::amazon::{self, AmazonError, AmazonResult, defs};
use super::device::{self, Device};
use super::signaling::CALLING_SCOPE;
use super::{API_ROOT, relay};
use crate::auth::require;
use crate::state::{Sandbox, Token, lock};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

pub const SESSION_PATH: &str = "/v1/communications/session";
pub const SKILL_REQUEST_PATH: &str = "/sandbox/v1/alexa/skill-request";
/// The provider a non-originator must name (the reference's one value).
pub const PHONE_PROVIDER_ID: &str = "amzn1.alexa.csp.id.82bb98bc-384a-11ed-a261-0242ac120002";

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    axum::Router::new()
        .route(&format!("{API_ROOT}{SESSION_PATH}"), post(start))
        .route(SKILL_REQUEST_PATH, post(skill_request))
}

async fn start(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AmazonResult<Json<Value>> {
    require(&s, &headers, CALLING_SCOPE)?;
    let req = amazon::parse(&body)?;
    amazon::check(defs::SESSION_REQUEST, &req).map_err(AmazonError::invalid)?;
    let (from, to) = participants(&req).map_err(AmazonError::invalid)?;
    let endpoint = from["endpointId"].as_str().unwrap_or_default();
    let dev = Device::lookup(endpoint)
        .ok_or_else(|| AmazonError::invalid(format!("no Alexa device has the endpointId '{endpoint}'")))?;
    let number = to["id"]["value"].as_str().unwrap_or_default();
    if relay::find(&s, Some(number)).is_none() {
        return Err(AmazonError::invalid(format!(
            "nobody answers at {number}: the sandbox's Alexa calls the numbers of Dialtone clients on its skill relay"
        )));
    }
    let session_id = device::call_client(&s, dev.name, Some(number))
        .await
        .map_err(|e| AmazonError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let answer = json!({"sessionId": session_id});
    amazon::check(defs::SESSION_RESPONSE, &answer)
        .map_err(|e| AmazonError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    Ok(Json(answer))
}

/// The rules across participants: one originator with an endpointId; the other not an
/// originator (`isOriginator` absent or false) and with the phone provider's id.
fn participants(req: &Value) -> Result<(&Value, &Value), String> {
    let all = req["participants"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let originators: Vec<&Value> = all.iter().filter(|p| p["isOriginator"] == json!(true)).collect();
    let [from] = originators[..] else {
        return Err(format!(
            "exactly one participant is the originator (isOriginator: true), not {}",
            originators.len()
        ));
    };
    let to = all
        .iter()
        .find(|p| p["isOriginator"] != json!(true))
        .ok_or("the session has no non-originator")?;
    if from.get("endpointId").is_none() {
        return Err("the originator needs an endpointId (the skill request's deviceId)".into());
    }
    match to["communicationProviderId"].as_str() {
        Some(PHONE_PROVIDER_ID) => Ok((from, to)),
        Some(other) => Err(format!(
            "the non-originator's communicationProviderId must be {PHONE_PROVIDER_ID}, not '{other}'"
        )),
        None => Err("the non-originator needs a communicationProviderId".into()),
    }
}

/// `{"device": "kitchen"}` → the skill request Alexa would send a skill while the user
/// talks to that device: its `context.System` carries the `apiAccessToken` (good for
/// calling, an hour) and the device's `deviceId`, as StartCommunicationSession wants them.
async fn skill_request(State(s): State<Arc<Sandbox>>, body: axum::body::Bytes) -> AmazonResult<Json<Value>> {
    let req = amazon::parse(&body)?;
    let name = req["device"].as_str().unwrap_or(device::CALLER);
    let dev = Device::lookup(name.trim_start_matches("alexa:"))
        .ok_or_else(|| AmazonError::invalid(format!("no Alexa device named '{name}'")))?;
    let token = format!("sbx-skill-{}", uuid::Uuid::new_v4().simple());
    lock(&s.tokens).insert(
        token.clone(),
        Token {
            scopes: vec![CALLING_SCOPE.to_owned()],
            expires: Instant::now() + std::time::Duration::from_secs(3600),
        },
    );
    Ok(Json(json!({
        "version": amazon::VERSION,
        "context": {"System": {
            "application": {"applicationId": "amzn1.ask.skill.dialtone-sandbox"},
            "device": {"deviceId": dev.device_id()},
            "apiEndpoint": format!("{}{API_ROOT}", s.base_url()),
            "apiAccessToken": token,
        }},
        "request": {
            "type": "IntentRequest",
            "requestId": format!("amzn1.echo-api.request.{}", uuid::Uuid::new_v4()),
            "timestamp": time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            "locale": "en-US",
            "intent": {"name": "CallIntent"},
        },
    })))
}
