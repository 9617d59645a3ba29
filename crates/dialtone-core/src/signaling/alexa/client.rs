//! The Alexa HTTP client: CallSignaling requests and StartCommunicationSession, with the
//! LWA bearer token (fetched again once after a 401) and one wait on 429
//! (`net::api`). Amazon's error table is not confirmed (apis.md §1.3), so what each
//! status means to a person lives here, in [`explain`], and nowhere else.

use super::relay::{ENDPOINTS_PATH, RelayRegistered, RelayRegistration};
use super::session::{SESSION_PATH, StartSessionRequest, StartSessionResponse};
use super::wire::{Form, Message, Name, SIGNALING_PATH, response_session_id};
use crate::auth::{TokenError, TokenSource};
use crate::net::api::{ApiCaller, Transport};
use reqwest::Method;
use std::sync::Arc;
use std::time::Duration;

/// Alexa's regional API roots (apis.md §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AlexaRegion {
    Na,
    Eu,
}

impl AlexaRegion {
    pub fn api_root(self) -> &'static str {
        match self {
            AlexaRegion::Na => "https://api.amazonalexa.com",
            AlexaRegion::Eu => "https://api.eu.amazonalexa.com",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AlexaError {
    #[error("{operation} failed: {explanation} (HTTP {status} {code}: {message})")]
    Api {
        operation: String,
        status: u16,
        /// The body's `code`, or the exception Amazon names for the status.
        code: String,
        message: String,
        explanation: &'static str,
    },
    #[error("{operation} failed: Alexa did not answer within {} s; check the network", .timeout.as_secs_f64())]
    Timeout { operation: String, timeout: Duration },
    #[error(
        "{operation} failed: Alexa could not be reached ({detail}); check the account's API URL and the network"
    )]
    Unreachable { operation: String, detail: String },
    #[error("{operation} failed: Alexa's answer could not be read ({detail})")]
    Malformed { operation: String, detail: String },
    #[error("{0}")]
    Token(#[from] TokenError),
}

impl AlexaError {
    pub fn status(&self) -> Option<u16> {
        match self {
            AlexaError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A stable code for JSON output: the exception name where Amazon names one.
    pub fn code(&self) -> String {
        match self {
            AlexaError::Api { code, .. } => code.clone(),
            AlexaError::Timeout { .. } => "TIMEOUT".into(),
            AlexaError::Unreachable { .. } => "UNREACHABLE".into(),
            AlexaError::Malformed { .. } => "MALFORMED_RESPONSE".into(),
            AlexaError::Token(_) => "TOKEN".into(),
        }
    }
}

/// StartCommunicationSession's exception names (issue 5); CallSignaling reuses them.
pub fn exception(status: u16) -> &'static str {
    match status {
        400 => "InvalidInput",
        401 => "BadToken",
        403 => "AccessDenied",
        404 => "NotFound",
        409 => "Conflict",
        429 => "Throttling",
        500..=599 => "InternalServerError",
        _ => "Error",
    }
}

/// What an Alexa error status means for the person at the phone.
pub fn explain(status: u16) -> &'static str {
    match status {
        400 => {
            "Alexa rejected the request as invalid (a malformed message, or one out of order for the call)"
        }
        401 => "Alexa did not accept our token even after a refresh; sign in to Amazon again",
        403 => "the Amazon account does not allow this (the skill lacks the calling permission)",
        404 => "Alexa does not know this call or device (it may have ended)",
        409 => "Alexa refused it because the call changed meanwhile; try again",
        429 => "Alexa is limiting requests; wait a moment and try again",
        500..=599 => "Alexa's service failed; try again later",
        _ => "Alexa refused the request",
    }
}

pub struct AlexaClient {
    api_root: String,
    api: ApiCaller,
    form: Form,
}

impl AlexaClient {
    pub fn new(api_root: &str, tokens: Arc<dyn TokenSource>, timeout: Duration) -> Self {
        Self {
            api_root: api_root.trim_end_matches('/').to_owned(),
            api: ApiCaller::new(tokens, timeout),
            form: Form::default(),
        }
    }

    /// Writes CallSignaling requests in `form` (flat unless told otherwise).
    pub fn with_form(mut self, form: Form) -> Self {
        self.form = form;
        self
    }

    pub fn api_root(&self) -> &str {
        &self.api_root
    }

    /// POSTs one CallSignaling request. Any 2xx is success; a body that names a call
    /// must name this one.
    pub async fn signal(&self, message: &Message) -> Result<(), AlexaError> {
        let operation = operation_of(message);
        let body = serde_json::to_vec(&self.form.encode(message)).unwrap_or_default();
        let url = format!("{}{SIGNALING_PATH}", self.api_root);
        let reply = self
            .call(operation.clone(), Method::POST, &url, Some(body))
            .await?;
        match response_session_id(&reply) {
            Some(id) if id != message.session_id => Err(AlexaError::Malformed {
                operation,
                detail: format!("the response is about call {id}, not {}", message.session_id),
            }),
            _ => Ok(()),
        }
    }

    /// Registers our intake with the skill relay at `relay` (its root URL).
    pub async fn register_relay(
        &self,
        relay: &str,
        registration: &RelayRegistration,
    ) -> Result<RelayRegistered, AlexaError> {
        let operation = "registering with the skill relay".to_owned();
        let url = format!("{}{ENDPOINTS_PATH}", relay.trim_end_matches('/'));
        let body = serde_json::to_vec(registration).unwrap_or_default();
        let bytes = self
            .call(operation.clone(), Method::POST, &url, Some(body))
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| AlexaError::Malformed {
            operation,
            detail: e.to_string(),
        })
    }

    pub async fn unregister_relay(&self, relay: &str, id: &str) -> Result<(), AlexaError> {
        let url = format!(
            "{}{ENDPOINTS_PATH}/{}",
            relay.trim_end_matches('/'),
            crate::net::path_segment(id)
        );
        self.call("leaving the skill relay".into(), Method::DELETE, &url, None)
            .await
            .map(|_| ())
    }

    /// Starts a session; the `sessionId` Alexa gave it.
    pub async fn start_session(&self, request: &StartSessionRequest) -> Result<String, AlexaError> {
        let operation = "starting the communication session".to_owned();
        let body = serde_json::to_vec(request).unwrap_or_default();
        let url = format!("{}{SESSION_PATH}", self.api_root);
        let bytes = self
            .call(operation.clone(), Method::POST, &url, Some(body))
            .await?;
        serde_json::from_slice::<StartSessionResponse>(&bytes)
            .map(|r| r.session_id)
            .map_err(|e| AlexaError::Malformed {
                operation,
                detail: e.to_string(),
            })
    }

    async fn call(
        &self,
        operation: String,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<bytes::Bytes, AlexaError> {
        let reply = self
            .api
            .send("alexa", method, url, &[], body)
            .await
            .map_err(|e| match e {
                Transport::Timeout(timeout) => AlexaError::Timeout {
                    operation: operation.clone(),
                    timeout,
                },
                Transport::Unreachable(detail) => AlexaError::Unreachable {
                    operation: operation.clone(),
                    detail,
                },
                Transport::Unreadable(detail) => AlexaError::Malformed {
                    operation: operation.clone(),
                    detail,
                },
                Transport::Token(t) => AlexaError::Token(t),
            })?;
        if reply.status.is_success() {
            return Ok(reply.body);
        }
        let status = reply.status.as_u16();
        let (code, message) = error_body(&reply.body);
        Err(AlexaError::Api {
            operation,
            status,
            code: code.unwrap_or_else(|| exception(status).to_owned()),
            message,
            explanation: explain(status),
        })
    }
}

/// What a request does, as the person at the phone would say it.
fn operation_of(m: &Message) -> String {
    use super::wire::RenegotiationType as R;
    match (m.name, m.renegotiation_type) {
        (Name::InitiateInboundCall, _) => "placing the call".into(),
        (Name::CallRinging, _) => "telling the caller we are ringing".into(),
        (Name::CallInProgress | Name::CallAccepted, _) => "answering the call".into(),
        (Name::CallEnded, _) => "ending the call".into(),
        (Name::CallUpdate, Some(R::CallHold)) => "putting the call on hold".into(),
        (Name::CallUpdate, Some(R::CallResume)) => "resuming the call".into(),
        (Name::CallUpdate, _) => "updating the call".into(),
        (Name::CallUpdateResponse, _) => "answering the far end's update".into(),
        (name, _) => format!("sending {name}"),
    }
}

/// An error body's `code` and `message` (`{"code", "message"}`, Amazon's shape), or the
/// start of the body when it has no message.
fn error_body(body: &[u8]) -> (Option<String>, String) {
    #[derive(serde::Deserialize)]
    struct Body {
        code: Option<String>,
        message: Option<String>,
    }
    let parsed = serde_json::from_slice::<Body>(body).ok();
    let code = parsed
        .as_ref()
        .and_then(|b| b.code.clone())
        .filter(|c| !c.is_empty());
    let message = parsed
        .and_then(|b| b.message)
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_gives_its_code_and_message() {
        assert_eq!(
            error_body(br#"{"code":"Throttling","message":"slow down"}"#),
            (Some("Throttling".into()), "slow down".into())
        );
        assert_eq!(error_body(br#"{"message":"m"}"#), (None, "m".into()));
        assert_eq!(error_body(b"oops"), (None, "oops".into()));
    }
}
