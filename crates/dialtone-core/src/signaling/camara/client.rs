//! The CAMARA HTTP client: one method per operation, a bearer token on every request
//! (fetched again once after a 401), `Retry-After` honoured on 429, a timeout on
//! everything, and every spec error code turned into a sentence a person understands.

use super::Dialect;
use super::wire::*;
use crate::auth::{TokenError, TokenSource};
use crate::net::api::{ApiCaller, Transport};
use crate::net::path_segment;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// Where each API lives. Real operators and the sandbox serve them under their base
/// paths; a mock server (Prism) serves each spec at its root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CamaraEndpoints {
    pub registration: String,
    pub call_handling: String,
    pub events: String,
}

impl CamaraEndpoints {
    /// `root` + the dialect's base paths (`/webrtc-registration/v0.3`, ...).
    pub fn under(root: &str, dialect: Dialect) -> Self {
        let root = root.trim_end_matches('/');
        Self {
            registration: format!("{root}{}", dialect.registration_base()),
            call_handling: format!("{root}{}", dialect.call_handling_base()),
            events: format!("{root}{}", dialect.events_base()),
        }
    }

    /// All three APIs on this machine (then a plain-http event sink is acceptable).
    pub fn all_loopback(&self) -> bool {
        [&self.registration, &self.call_handling, &self.events]
            .iter()
            .all(|u| crate::net::is_loopback_url(u))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CamaraError {
    #[error("{operation} failed: {explanation} (HTTP {status} {code}: {message})")]
    Api {
        operation: &'static str,
        status: u16,
        code: String,
        message: String,
        explanation: &'static str,
    },
    #[error("{operation} failed: the server did not answer within {} s; check the network or the operator's status", .timeout.as_secs_f64())]
    Timeout {
        operation: &'static str,
        timeout: Duration,
    },
    #[error(
        "{operation} failed: the server could not be reached ({detail}); check the account's URLs and the network"
    )]
    Unreachable { operation: &'static str, detail: String },
    #[error("{operation} failed: the server's answer could not be read ({detail})")]
    Malformed { operation: &'static str, detail: String },
    #[error(
        "{operation} failed: the operator answered like {theirs}, not {ours} ({detail}); add the account again with --camara {}",
        .theirs.name()
    )]
    Dialect {
        operation: &'static str,
        ours: Dialect,
        theirs: Dialect,
        detail: String,
    },
    #[error("{0}")]
    Token(#[from] TokenError),
}

impl CamaraError {
    pub fn status(&self) -> Option<u16> {
        match self {
            CamaraError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A stable code for JSON output.
    pub fn code(&self) -> String {
        match self {
            CamaraError::Api { code, .. } => code.clone(),
            CamaraError::Timeout { .. } => "TIMEOUT".into(),
            CamaraError::Unreachable { .. } => "UNREACHABLE".into(),
            CamaraError::Malformed { .. } => "MALFORMED_RESPONSE".into(),
            CamaraError::Dialect { .. } => "DIALECT_MISMATCH".into(),
            CamaraError::Token(_) => "TOKEN".into(),
        }
    }
}

/// What each error code of the three specs means for the person at the phone.
pub fn explain(status: u16, code: &str) -> &'static str {
    match (status, code) {
        (400, "OUT_OF_RANGE") => "a value is outside what the operator allows",
        (400, "EMERGENCY_ADDRESS_MISSING") => "the operator needs an emergency address for this registration",
        (400, "INVALID_PROTOCOL") => "the operator does not deliver events over this protocol",
        (400, "INVALID_CREDENTIAL") => "the operator refused the credential for our event sink",
        (400, "INVALID_TOKEN") => "the operator refused the token for our event sink",
        (400, "INVALID_SINK") => "the operator refused the address of our event sink",
        (400, _) => "the operator rejected the request as invalid",
        (401, _) => "the operator did not accept our credentials; check the account's client id and secret",
        (403, "INVALID_TOKEN_CONTEXT") => "the token does not fit this request (wrong device or number)",
        (403, "MAX_REGISTRATION_PER_USER") => {
            "this user already has the most registrations the operator allows"
        }
        (403, "MAX_REGISTRATION_PER_MSISDN") => {
            "this number already has the most registrations the operator allows"
        }
        (403, "MAX_DEVICES_PER_USER") => "this user already has the most devices the operator allows",
        (403, "SUBSCRIPTION_MISMATCH") => {
            "the operator does not allow this kind of event subscription for the account"
        }
        (403, _) => "the account is not allowed to do this (a missing permission or scope)",
        (404, _) => {
            "the operator does not know this registration, session or subscription (it may have ended)"
        }
        (409, "ALREADY_EXISTS") => "it already exists on the operator's side",
        (409, _) => "the operator refused it because of a conflicting change; try again",
        (422, "MISSING_IDENTIFIER") => {
            "the operator needs the phone number to register; add the account again with --phone-number"
        }
        (422, "UNNECESSARY_IDENTIFIER") => {
            "the operator takes the phone number from the token; add the account again without --phone-number"
        }
        (422, "MULTIEVENT_SUBSCRIPTION_NOT_SUPPORTED") => {
            "the operator takes one event type per subscription"
        }
        (422, _) => "the operator cannot apply this request to this device or number",
        (429, _) => "the operator is limiting requests; wait a moment and try again",
        (501, "CALLTYPE_EMERGENCY_NOT_SUPPORTED") => {
            "this operator does not support emergency calls through this API; call emergency services another way"
        }
        (501, _) => "the operator has not implemented this",
        (500..=599, _) => "the operator's server failed; try again later",
        _ => "the operator refused the request",
    }
}

pub struct CamaraClient {
    endpoints: CamaraEndpoints,
    dialect: Dialect,
    api: ApiCaller,
}

impl std::fmt::Debug for CamaraClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CamaraClient")
            .field("endpoints", &self.endpoints)
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

impl CamaraClient {
    pub fn new(
        endpoints: CamaraEndpoints,
        dialect: Dialect,
        tokens: Arc<dyn TokenSource>,
        timeout: Duration,
    ) -> Self {
        Self {
            endpoints,
            dialect,
            api: ApiCaller::new(tokens, timeout),
        }
    }

    pub fn endpoints(&self) -> &CamaraEndpoints {
        &self.endpoints
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A refusal that another dialect would explain (a path the operator does not serve,
    /// a subscription key it does not take) becomes one error naming that dialect, when
    /// the operator's paths say which it speaks.
    async fn name_the_mismatch(&self, e: CamaraError) -> CamaraError {
        let CamaraError::Api {
            operation,
            status,
            ref code,
            ref message,
            ..
        } = e
        else {
            return e;
        };
        let first_steps = matches!(
            operation,
            "registering the device" | "subscribing to events" | "placing the call"
        );
        let suspicious = status == 404 && code == "NOT_FOUND"
            || status == 405
            || status == 400
                && ["registrationId", "deviceId", "phoneNumber"]
                    .iter()
                    .any(|k| message.contains(k))
            || status == 422 && code == "MISSING_IDENTIFIER";
        if !first_steps || !suspicious {
            return e;
        }
        let root = super::detect::api_root(&self.endpoints.registration);
        let found = super::detect::detect(&root, self.api.timeout()).await;
        let theirs = found.dialect;
        if theirs == self.dialect || !found.certain {
            return e;
        }
        CamaraError::Dialect {
            operation,
            ours: self.dialect,
            theirs,
            detail: format!("HTTP {status} {code}: {message}; {}", found.how),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        url: String,
        headers: &[(&str, &str)],
        body: Option<&(dyn erased::Body + Sync)>,
    ) -> Result<Option<T>, CamaraError> {
        let correlator = uuid::Uuid::new_v4().to_string();
        // Logged with the request, so a trace on the operator's side can be matched to ours.
        tracing::debug!(operation, %method, %url, x_correlator = %correlator, "CAMARA request");
        let mut all = vec![("x-correlator", correlator.as_str())];
        all.extend_from_slice(headers);
        let reply = self
            .api
            .send(operation, method, &url, &all, body.map(|b| b.to_json()))
            .await
            .map_err(|e| match e {
                Transport::Timeout(timeout) => CamaraError::Timeout { operation, timeout },
                Transport::Unreachable(detail) => CamaraError::Unreachable { operation, detail },
                Transport::Unreadable(detail) => CamaraError::Malformed { operation, detail },
                Transport::Token(t) => CamaraError::Token(t),
            })?;
        let (status, bytes) = (reply.status, reply.body);
        if status.is_success() {
            if bytes.is_empty() || status == StatusCode::NO_CONTENT {
                return Ok(None);
            }
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| CamaraError::Malformed {
                    operation,
                    detail: e.to_string(),
                });
        }
        let info: ErrorInfo = serde_json::from_slice(&bytes).unwrap_or(ErrorInfo {
            status: status.as_u16(),
            code: status
                .canonical_reason()
                .unwrap_or("ERROR")
                .to_ascii_uppercase()
                .replace(' ', "_"),
            message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        });
        let e = CamaraError::Api {
            operation,
            status: status.as_u16(),
            explanation: explain(status.as_u16(), &info.code),
            code: info.code,
            message: info.message,
        };
        Err(self.name_the_mismatch(e).await)
    }

    fn required<T>(operation: &'static str, v: Option<T>) -> Result<T, CamaraError> {
        v.ok_or(CamaraError::Malformed {
            operation,
            detail: "the answer was empty".into(),
        })
    }

    /// POST registration: 200 in r2.2, 201 later; either is taken from any operator.
    pub async fn register(&self, req: &RegSessionRequest) -> Result<RegSessionResponse, CamaraError> {
        let op = "registering the device";
        let url = format!("{}/sessions", self.endpoints.registration);
        Self::required(op, self.call(op, Method::POST, url, &[], Some(req)).await?)
    }

    /// `GET /sessions?deviceId=`: the device's active registrations (the spec's way to
    /// find one whose id was lost, e.g. after a crash).
    pub async fn registrations_of_device(
        &self,
        device_id: &str,
    ) -> Result<Vec<RegSessionResponse>, CamaraError> {
        let op = "listing the device's registrations";
        let mut url = url::Url::parse(&format!("{}/sessions", self.endpoints.registration)).map_err(|e| {
            CamaraError::Malformed {
                operation: op,
                detail: e.to_string(),
            }
        })?;
        url.query_pairs_mut().append_pair("deviceId", device_id);
        Ok(self
            .call(op, Method::GET, url.into(), &[], None)
            .await?
            .unwrap_or_default())
    }

    pub async fn refresh_registration(&self, id: &str) -> Result<Option<RegSessionResponse>, CamaraError> {
        let op = "refreshing the registration";
        let url = format!("{}/sessions/{}", self.endpoints.registration, path_segment(id));
        self.call(op, Method::PUT, url, &[], Some(&RegSessionUpdate::default()))
            .await
    }

    pub async fn unregister(&self, id: &str) -> Result<(), CamaraError> {
        let op = "removing the registration";
        let url = format!("{}/sessions/{}", self.endpoints.registration, path_segment(id));
        self.call::<serde_json::Value>(op, Method::DELETE, url, &[], None)
            .await
            .map(|_| ())
    }

    pub async fn subscribe(&self, req: &SubscriptionRequest) -> Result<Subscription, CamaraError> {
        let op = "subscribing to events";
        let url = format!("{}/subscriptions", self.endpoints.events);
        Self::required(op, self.call(op, Method::POST, url, &[], Some(req)).await?)
    }

    pub async fn unsubscribe(&self, id: &str) -> Result<(), CamaraError> {
        let op = "ending an event subscription";
        let url = format!("{}/subscriptions/{}", self.endpoints.events, path_segment(id));
        self.call::<serde_json::Value>(op, Method::DELETE, url, &[], None)
            .await
            .map(|_| ())
    }

    pub async fn create_session(
        &self,
        registration_id: &str,
        req: &MediaSessionInformation,
    ) -> Result<MediaSessionInformation, CamaraError> {
        let op = "placing the call";
        let url = format!("{}/sessions", self.endpoints.call_handling);
        let s: MediaSessionInformation = Self::required(
            op,
            self.call(
                op,
                Method::POST,
                url,
                &[("registrationId", registration_id)],
                Some(req),
            )
            .await?,
        )?;
        if s.media_session_id.is_none() {
            return Err(CamaraError::Malformed {
                operation: op,
                detail: "no mediaSessionId in the answer".into(),
            });
        }
        Ok(s)
    }

    pub async fn get_session(&self, id: &str) -> Result<MediaSessionInformation, CamaraError> {
        let op = "reading the session";
        let url = format!("{}/sessions/{}", self.endpoints.call_handling, path_segment(id));
        Self::required(op, self.call(op, Method::GET, url, &[], None).await?)
    }

    pub async fn update_status(
        &self,
        id: &str,
        change: &MediaSessionStatusChange,
    ) -> Result<Option<MediaSessionInformation>, CamaraError> {
        let op = match change.status {
            SessionStatus::Hold => "putting the call on hold",
            SessionStatus::Resume => "resuming the call",
            SessionStatus::Connected => "answering the call",
            _ => "updating the session",
        };
        let url = format!(
            "{}/sessions/{}/status",
            self.endpoints.call_handling,
            path_segment(id)
        );
        self.call(op, Method::PUT, url, &[], Some(change)).await
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), CamaraError> {
        let op = "ending the session";
        let url = format!("{}/sessions/{}", self.endpoints.call_handling, path_segment(id));
        self.call::<serde_json::Value>(op, Method::DELETE, url, &[], None)
            .await
            .map(|_| ())
    }
}

/// Lets one `call` take any serialisable body without being generic over it.
mod erased {
    pub trait Body {
        fn to_json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Body for T {
        fn to_json(&self) -> Vec<u8> {
            serde_json::to_vec(self).unwrap_or_default()
        }
    }
}
