//! The skill relay: clients register an intake; SPI events are POSTed to it as flat
//! CallSignaling messages with the intake's bearer credential.

use super::{AlexaCall, RELAY_ROOT};
use crate::auth::require;
use crate::errors::{ApiError, ApiResult, parse_json};
use crate::state::{Sandbox, lock};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, post};
use dialtone_core::signaling::alexa::CALLING_SCOPE;
use dialtone_core::signaling::alexa::relay::{ENDPOINTS_PATH, RelayRegistered, RelayRegistration};
use dialtone_core::signaling::alexa::wire::Message;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A registered intake.
#[derive(Debug, Clone)]
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

/// Delivers an SPI event to the call's client. False when the intake refused it or
/// could not be reached.
pub async fn deliver(call: &AlexaCall, m: &Message) -> bool {
    call.record(format!("←{}", m.name));
    post_to(&call.relay, m).await
}

/// POSTs `m` to `relay`'s intake.
pub async fn post_to(relay: &RelayEndpoint, m: &Message) -> bool {
    let sent = relay
        .http
        .post(&relay.url)
        .bearer_auth(&relay.access_token)
        .json(m)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => true,
        Ok(r) => {
            tracing::warn!(status = %r.status(), name = %m.name, "the intake refused an SPI event");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, name = %m.name, "the intake could not be reached");
            false
        }
    }
}
