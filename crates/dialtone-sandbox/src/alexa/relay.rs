//! The skill relay: clients register an intake; SPI events are POSTed to it with the
//! intake's bearer credential, as flat CallSignaling messages or, from a device that
//! forwards the skill request whole, inside the Alexa skill request envelope. Each is
//! checked against Amazon's definitions before it goes.

use super::amazon::{self, defs};
use super::{AlexaCall, RELAY_ROOT};
use crate::alexa::signaling::CALLING_SCOPE;
use crate::auth::require;
use crate::errors::{ApiError, ApiResult, parse_json};
use crate::state::{Sandbox, lock};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, post};
use dialtone_core::signaling::alexa::relay::{ENDPOINTS_PATH, RelayRegistered, RelayRegistration};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A registered intake.
#[derive(Clone)]
pub struct RelayEndpoint {
    pub id: String,
    pub url: String,
    pub access_token: String,
    /// The address calls reach the client at (`RAW_ADDRESS`), and its phone number.
    pub address: String,
    pub phone_number: String,
    pub http: reqwest::Client,
    pub created: Instant,
}

/// The intake's credential never reaches a log through `{:?}`.
impl std::fmt::Debug for RelayEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayEndpoint")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("access_token", &"<redacted>")
            .field("address", &self.address)
            .field("phone_number", &self.phone_number)
            .finish_non_exhaustive()
    }
}

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    let base = format!("{RELAY_ROOT}{ENDPOINTS_PATH}");
    axum::Router::new()
        .route(&base, post(register))
        .route(&format!("{base}/{{id}}"), delete(unregister))
}

async fn register(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<RelayRegistered>)> {
    require(&s, &headers, CALLING_SCOPE)?;
    let req: RelayRegistration = parse_json(&body)?;
    let url = reqwest::Url::parse(&req.endpoint)
        .map_err(|e| ApiError::invalid(format!("endpoint '{}' is not a URL: {e}", req.endpoint)))?;
    if !dialtone_core::net::is_loopback_url(url.as_str()) {
        return Err(ApiError::invalid(
            "the sandbox relays only to intakes on 127.0.0.1",
        ));
    }
    let mut http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if let Some(pem) = &req.certificate {
        let cert = reqwest::Certificate::from_pem(pem.as_bytes())
            .map_err(|e| ApiError::invalid(format!("certificate is not PEM: {e}")))?;
        http = http.add_root_certificate(cert);
    }
    let http = http
        .build()
        .map_err(|e| ApiError::invalid(format!("cannot reach that endpoint: {e}")))?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let endpoint = RelayEndpoint {
        id: id.clone(),
        url: req.endpoint,
        access_token: req.access_token,
        address: format!("dialtone-{}", &id[..8]),
        phone_number: s.allocate_number(),
        http,
        created: Instant::now(),
    };
    let answer = RelayRegistered {
        registration_id: id.clone(),
        address: endpoint.address.clone(),
        phone_number: Some(endpoint.phone_number.clone()),
    };
    lock(&s.alexa.relays).insert(id, endpoint);
    Ok((StatusCode::CREATED, Json(answer)))
}

async fn unregister(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require(&s, &headers, CALLING_SCOPE)?;
    match lock(&s.alexa.relays).remove(&id) {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::not_found(format!("no relay registration {id}"))),
    }
}

/// The newest registration, or the one with this address or phone number.
pub fn find(s: &Sandbox, address: Option<&str>) -> Option<RelayEndpoint> {
    let relays = lock(&s.alexa.relays);
    match address {
        Some(a) => relays
            .values()
            .find(|r| r.address == a || r.phone_number == a)
            .cloned(),
        None => relays.values().max_by_key(|r| r.created).cloned(),
    }
}

/// Delivers an SPI event to the call's client, in the device's form. False when the
/// event breaks Amazon's definition (a sandbox bug, logged), or the intake refused it or
/// could not be reached.
pub async fn deliver(call: &AlexaCall, m: &Value) -> bool {
    let name = match amazon::check_message(m) {
        Ok(name) => name,
        Err(why) => {
            tracing::error!(%why, "the sandbox's Alexa built a message Amazon would not send");
            return false;
        }
    };
    call.record(amazon::log_entry('←', name, m));
    let body = if call.device.enveloped() {
        let e = skill_request(call, m);
        if let Err(why) = amazon::check(defs::SKILL_REQUEST, &e) {
            tracing::error!(%why, "the sandbox built a skill request Amazon would not send");
            return false;
        }
        e
    } else {
        m.clone()
    };
    post_to(&call.relay, &body).await
}

/// How Alexa hands an SPI event to a skill: the skill request envelope, the message as
/// its `request` beside the request's own id and time.
fn skill_request(call: &AlexaCall, m: &Value) -> Value {
    let mut request = m.clone();
    request["requestId"] = json!(format!("amzn1.echo-api.request.{}", uuid::Uuid::new_v4()));
    request["timestamp"] = json!(
        time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    );
    request["locale"] = json!("en-US");
    json!({
        "version": amazon::VERSION,
        "context": {"System": {
            "application": {"applicationId": "amzn1.ask.skill.dialtone-sandbox"},
            "device": {"deviceId": call.device.device_id()},
        }},
        "request": request,
    })
}

/// POSTs `body` to `relay`'s intake as it is (tests use it for malformed events too).
pub async fn post_to(relay: &RelayEndpoint, body: &Value) -> bool {
    let sent = relay
        .http
        .post(&relay.url)
        .bearer_auth(&relay.access_token)
        .json(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => true,
        Ok(r) => {
            tracing::warn!(status = %r.status(), "the intake refused an SPI event");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "the intake could not be reached");
            false
        }
    }
}
