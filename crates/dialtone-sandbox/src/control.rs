//! Routes for QA and tests, outside the CAMARA APIs: the status of registrations and
//! sessions as the far ends see them, "call me", and fault injection.

use crate::far_end::{self, FarEnd};
use crate::state::{Origin, Sandbox, Session, lock};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dialtone_core::media::Direction;
use dialtone_core::signaling::camara::wire::{
    MediaSession as EventData, MediaSessionInformation, SessionStatus, WrtcSdpDescriptor,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::oneshot;

pub const STATUS_PATH: &str = "/sandbox/v1/status";
pub const CALL_ME_PATH: &str = "/sandbox/v1/call-me";
/// The fault switch: `{"status": 429, "count": 2}` answers the next two API requests
/// (CAMARA or Alexa) with that status, in the API's own error shape.
pub const FAULTS_PATH: &str = "/sandbox/v1/faults";

/// What the next API requests should suffer (tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 500 with an ErrorInfo body.
    ServerError,
    /// 200 with a body that is not JSON.
    MalformedJson,
    /// Never answer.
    NoResponse,
    /// This status with an error body (`Retry-After: 1` on 429).
    Status(u16),
    /// 500 whose message repeats the request's bearer token, as a server's debug dump
    /// might: a client must not pass it on (into a report or a log).
    ServerErrorEchoingToken,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub media_session_id: String,
    pub number: String,
    pub incoming: bool,
    pub status: Option<SessionStatus>,
    /// The far end's negotiated direction (`sendonly` while we hold it).
    pub far_end_direction: Option<Direction>,
    /// The client's direction as the far end sees it (`recvonly` while the client holds).
    pub client_direction: Option<Direction>,
    pub far_end_rtp_sent: u64,
    pub far_end_rtp_received: u64,
    /// The DTMF digits the far end has received, in order.
    pub far_end_dtmf: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationView {
    pub registration_id: String,
    pub device_id: String,
    pub phone_number: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxStatus {
    /// API and token requests received so far.
    pub requests: u64,
    /// Access tokens the token endpoint has handed out.
    pub tokens_issued: u64,
    /// CloudEvents the sinks accepted, and those refused or not delivered.
    pub events_delivered: u64,
    pub events_failed: u64,
    pub registrations: Vec<RegistrationView>,
    pub sessions: Vec<SessionView>,
    pub subscriptions: usize,
    /// Where each subscription delivers its events.
    #[serde(default)]
    pub subscription_sinks: Vec<String>,
    /// Live Alexa calls.
    #[serde(default)]
    pub alexa_calls: Vec<AlexaCallView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlexaCallView {
    pub session_id: String,
    /// `alexa:<name>`
    pub device: String,
    pub device_called: bool,
    pub phase: crate::alexa::Phase,
    /// The client's direction as the device sees it (`recvonly` while the client holds).
    pub client_direction: Option<Direction>,
    /// Every message so far: `→X` from the client, `←X` to it.
    pub log: Vec<String>,
    /// The caller's name as the device shows it, when the client sent one.
    #[serde(default)]
    pub caller_name: Option<String>,
}

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    axum::Router::new()
        .route(STATUS_PATH, get(status_route))
        .route(CALL_ME_PATH, post(call_me_route))
        .route(FAULTS_PATH, post(faults_route))
}

async fn status_route(State(s): State<Arc<Sandbox>>) -> Json<SandboxStatus> {
    Json(status(&s).await)
}

pub async fn status(s: &Sandbox) -> SandboxStatus {
    let registrations = lock(&s.registrations)
        .values()
        .map(|r| RegistrationView {
            registration_id: r.id.clone(),
            device_id: r.device_id.clone(),
            phone_number: r.phone_number.clone(),
            expires_at: crate::clock::format(r.expires_at),
        })
        .collect();
    let sessions: Vec<Arc<Session>> = lock(&s.sessions).values().cloned().collect();
    let mut views = Vec::new();
    for session in sessions {
        let (media, dtmf) = match session.far_end.lock().await.as_ref() {
            Some(f) => (Some(f.media.clone()), lock(&f.dtmf).clone()),
            None => (None, String::new()),
        };
        let stats = match &media {
            Some(m) => Some(m.stats().await),
            None => None,
        };
        views.push(SessionView {
            media_session_id: session.id.clone(),
            number: session.number.clone(),
            incoming: session.origin == Origin::Incoming,
            status: session.status(),
            far_end_direction: media.as_ref().and_then(|m| m.direction()),
            client_direction: media
                .as_ref()
                .and_then(|m| m.direction())
                .map(Direction::reversed),
            far_end_rtp_sent: stats.as_ref().map_or(0, |s| s.rtp_sent),
            far_end_rtp_received: stats.as_ref().map_or(0, |s| s.rtp_received),
            far_end_dtmf: dtmf,
        });
    }
    let calls: Vec<Arc<crate::alexa::AlexaCall>> = lock(&s.alexa.calls).values().cloned().collect();
    let mut alexa_calls = Vec::new();
    for call in calls {
        let client_direction = call.client_direction().await;
        alexa_calls.push(AlexaCallView {
            session_id: call.id.clone(),
            device: format!("alexa:{}", call.device.name),
            device_called: call.device_called,
            phase: call.phase(),
            client_direction,
            log: lock(&call.log).clone(),
            caller_name: lock(&call.caller_name).clone(),
        });
    }
    // One lock: a second in the same expression would wait for the first forever.
    let subscription_sinks: Vec<String> = lock(&s.subscriptions)
        .values()
        .map(|r| r.subscription.sink.clone())
        .collect();
    SandboxStatus {
        alexa_calls,
        requests: s.requests.load(std::sync::atomic::Ordering::Relaxed),
        tokens_issued: s.tokens_issued.load(std::sync::atomic::Ordering::Relaxed),
        events_delivered: s.events_delivered.load(std::sync::atomic::Ordering::Relaxed),
        events_failed: s.events_failed.load(std::sync::atomic::Ordering::Relaxed),
        registrations,
        sessions: views,
        subscriptions: subscription_sinks.len(),
        subscription_sinks,
    }
}

#[derive(Debug, Default, Deserialize)]
struct CallMeRequest {
    from: Option<String>,
}

#[derive(Deserialize)]
struct FaultRequest {
    status: u16,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

async fn faults_route(State(s): State<Arc<Sandbox>>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<FaultRequest>(&body) {
        Ok(f) if (400..=599).contains(&f.status) => {
            s.inject_fault(FaultKind::Status(f.status), f.count);
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(f) => (
            StatusCode::BAD_REQUEST,
            format!("status {} is not an error status (400 to 599)", f.status),
        )
            .into_response(),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            format!("expected {{\"status\": 429, \"count\": 2}}: {e}"),
        )
            .into_response(),
    }
}

/// `{"from": "+15550100"}` calls over CAMARA; `{"from": "alexa:kitchen"}` has that Alexa
/// device call the newest client on the skill relay.
async fn call_me_route(State(s): State<Arc<Sandbox>>, body: axum::body::Bytes) -> Response {
    let req: CallMeRequest = serde_json::from_slice(&body).unwrap_or_default();
    if let Some(device) = req.from.as_deref().and_then(|f| f.strip_prefix("alexa:")) {
        return match crate::alexa::device::call_client(&s, device, None).await {
            Ok(id) => (StatusCode::CREATED, Json(serde_json::json!({"sessionId": id}))).into_response(),
            Err(e) => (StatusCode::CONFLICT, Json(serde_json::json!({"message": e}))).into_response(),
        };
    }
    match call_me(&s, req.from).await {
        Ok(id) => (
            StatusCode::CREATED,
            Json(serde_json::json!({"mediaSessionId": id})),
        )
            .into_response(),
        Err(e) => (StatusCode::CONFLICT, Json(serde_json::json!({"message": e}))).into_response(),
    }
}

/// Calls the newest registered client from `from` (the echo number by default).
pub async fn call_me(s: &Arc<Sandbox>, from: Option<String>) -> Result<String, String> {
    let reg = lock(&s.registrations)
        .values()
        .max_by_key(|r| r.created)
        .cloned()
        .ok_or("no client is registered with the sandbox")?;
    let from = from.unwrap_or_else(|| far_end::SANDBOX_CALLER.to_owned());
    call_registration(s, reg, from).await
}

/// Calls the client registered as `device_id` from `from` (a call back).
pub async fn call_device(s: &Arc<Sandbox>, device_id: &str, from: &str) -> Result<String, String> {
    let reg = lock(&s.registrations)
        .values()
        .filter(|r| r.device_id == device_id)
        .max_by_key(|r| r.created)
        .cloned()
        .ok_or("the client is no longer registered")?;
    call_registration(s, reg, from.to_owned()).await
}

/// A session-invitation from `from`, answered (when the client accepts) by the far end
/// that number is: its tone, or an echo. Works while the client is in another call: it
/// rings in beside it.
async fn call_registration(
    s: &Arc<Sandbox>,
    reg: crate::state::Registration,
    from: String,
) -> Result<String, String> {
    let far = FarEnd::calling_as(s, &from).await.map_err(|e| e.to_string())?;
    let offer = far.media.create_offer().await.map_err(|e| e.to_string())?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let info = MediaSessionInformation {
        originator_address: Some(format!("tel:{from}")),
        receiver_address: Some(format!("tel:{}", reg.phone_number)),
        status: Some(SessionStatus::Initial),
        offer: Some(WrtcSdpDescriptor::new(offer.clone())),
        media_session_id: Some(id.clone()),
        ..Default::default()
    };
    let (tx, rx) = oneshot::channel();
    let session = s.add_session(
        reg.device_id.clone(),
        from.clone(),
        Origin::Incoming,
        info,
        Some(tx),
    );
    tokio::spawn(far_end::run_incoming(s.clone(), session, far, rx));
    let invitation = EventData {
        originator_address: Some(format!("tel:{from}")),
        receiver_address: Some(format!("tel:{}", reg.phone_number)),
        status: Some(SessionStatus::Initial),
        offer: Some(WrtcSdpDescriptor::new(offer)),
        media_session_id: id.clone(),
        ..Default::default()
    };
    let to = crate::events::Target::session(&reg.device_id, &id);
    let kind = dialtone_core::signaling::camara::EventKind::SessionInvitation;
    crate::events::notify(s, &to, kind, &invitation).await;
    Ok(id)
}

impl Sandbox {
    /// Invalidates every access token issued so far (tests of the 401 path).
    pub fn revoke_tokens(&self) {
        lock(&self.tokens).clear();
    }

    pub fn inject_fault(&self, kind: FaultKind, count: u32) {
        *lock(&self.faults) = (count > 0).then_some((kind, count, None));
    }

    /// Faults only requests whose path contains `within` (one session's id, say).
    pub fn inject_fault_on(&self, kind: FaultKind, count: u32, within: &str) {
        *lock(&self.faults) = (count > 0).then(|| (kind, count, Some(within.to_owned())));
    }

    fn take_fault(&self, path: &str) -> Option<FaultKind> {
        let mut f = lock(&self.faults);
        let (kind, left, within) = f.clone()?;
        if within.as_deref().is_some_and(|w| !path.contains(w)) {
            return None;
        }
        *f = (left > 1).then_some((kind, left - 1, within));
        Some(kind)
    }
}

/// Middleware: injected faults hit the CAMARA API routes before any handler runs, so a
/// faulted request changes nothing on the sandbox.
/// In front of the control routes: the sandbox's control token as a bearer, compared in
/// constant time, or 401 in the APIs' error shape.
pub async fn only_with_control_token(State(s): State<Arc<Sandbox>>, req: Request, next: Next) -> Response {
    if dialtone_core::net::presents_bearer(req.headers(), &s.config.control_token) {
        return next.run(req).await;
    }
    crate::errors::ApiError::unauthenticated(
        "the sandbox's control routes want its control token as a bearer (`dialtone sandbox` prints it)",
    )
    .into_response()
}

pub async fn faults(State(s): State<Arc<Sandbox>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if [
        "/webrtc-",
        "/oauth2",
        crate::alexa::API_ROOT,
        crate::lwa::LWA_ROOT,
        crate::lex::LEX_ROOT,
    ]
    .iter()
    .any(|p| path.starts_with(p))
    {
        s.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    if !path.starts_with("/webrtc-") && !path.starts_with(crate::alexa::API_ROOT) {
        return next.run(req).await;
    }
    match s.take_fault(&path) {
        None => next.run(req).await,
        Some(FaultKind::ServerError) if path.starts_with(crate::alexa::API_ROOT) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(crate::alexa::amazon::error_body(500, "Internal server error (injected by the sandbox).")),
        )
            .into_response(),
        Some(FaultKind::ServerError) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({"status": 500, "code": "INTERNAL", "message": "Unknown server error (injected by the sandbox)."})),
        )
            .into_response(),
        Some(FaultKind::MalformedJson) => {
            (StatusCode::CREATED, [("content-type", "application/json")], "{\"mediaSessionId\": ").into_response()
        }
        Some(FaultKind::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = format!("{status} (injected by the sandbox)");
            // Alexa's errors are `{"code", "message"}` in Amazon's names.
            let body = Json(if path.starts_with(crate::alexa::API_ROOT) {
                crate::alexa::amazon::error_body(code, &message)
            } else {
                serde_json::json!({
                    "status": code,
                    "code": status.canonical_reason().unwrap_or("ERROR").to_ascii_uppercase().replace(' ', "_"),
                    "message": message,
                })
            });
            let mut r = (status, body).into_response();
            if code == 429 {
                r.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("1"));
            }
            r
        }
        Some(FaultKind::ServerErrorEchoingToken) => {
            let token = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_whitespace().nth(1))
                .unwrap_or("")
                .to_owned();
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({"status": 500, "code": "INTERNAL", "message": format!("debug dump: request had {token} attached (injected by the sandbox)")})),
            )
                .into_response()
        }
        Some(FaultKind::NoResponse) => {
            std::future::pending::<()>().await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}
