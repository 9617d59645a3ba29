//! Alexa's messages as the sandbox knows them: from its own JSON Schema files, written
//! from Amazon's tables (`schemas/alexa/`), never from dialtone-core's serde types, so a
//! misunderstanding in the client is not shared here. Every message is checked both
//! ways: what a client sends, and what the sandbox sends it.
//!
//! Messages are plain JSON values; the helpers below build and read them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::LazyLock;

pub const NAMESPACE: &str = "Alexa.Comms.CallSignaling";
/// The `version` of envelopes and responses.
pub const VERSION: &str = "1.0";

const CALL_SIGNALING: &str = include_str!("../../schemas/alexa/call-signaling.schema.json");
const SESSION: &str = include_str!("../../schemas/alexa/start-communication-session.schema.json");

/// The message names the CallSignaling schema defines.
pub const MESSAGES: [&str; 12] = [
    "InitiateInboundCall",
    "InitiateOutboundCall",
    "CallRinging",
    "CallInProgress",
    "CallAccepted",
    "CallEnded",
    "CallRingingAck",
    "CallInProgressAck",
    "CallAcceptedAck",
    "CallUpdate",
    "CallUpdateResponse",
    "CallUpdateAck",
];

/// Definitions beside the messages: envelopes, responses, StartCommunicationSession.
pub mod defs {
    pub const REQUEST_ENVELOPE: &str = "requestEnvelope";
    pub const SKILL_REQUEST: &str = "skillRequest";
    pub const RESPONSE: &str = "response";
    pub const SESSION_REQUEST: &str = "session/request";
    pub const SESSION_RESPONSE: &str = "session/response";
    pub const SESSION_ERROR: &str = "session/error";
}

type Validators = HashMap<String, jsonschema::Validator>;

static SCHEMAS: LazyLock<Result<Validators, String>> = LazyLock::new(compile_all);

/// One validator per definition: the file with `$ref` to that definition at its root.
fn compile_all() -> Result<Validators, String> {
    let mut all = HashMap::new();
    for (file, prefix) in [(CALL_SIGNALING, ""), (SESSION, "session/")] {
        let root: Value = serde_json::from_str(file).map_err(|e| e.to_string())?;
        let names: Vec<String> = root["$defs"]
            .as_object()
            .map(|d| d.keys().cloned().collect())
            .unwrap_or_default();
        for name in names {
            let mut schema = root.clone();
            schema["$ref"] = json!(format!("#/$defs/{name}"));
            let v = jsonschema::validator_for(&schema).map_err(|e| format!("{name}: {e}"))?;
            all.insert(format!("{prefix}{name}"), v);
        }
    }
    Ok(all)
}

/// Checks `v` against the definition `def`; the error names each failing place.
pub fn check(def: &str, v: &Value) -> Result<(), String> {
    let schemas = SCHEMAS
        .as_ref()
        .map_err(|e| format!("the sandbox's schema is broken: {e}"))?;
    let validator = schemas
        .get(def)
        .ok_or_else(|| format!("the sandbox has no schema for {def}"))?;
    let errors: Vec<String> = validator
        .iter_errors(v)
        .take(3)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{at}: {e}")
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{def} does not match Amazon's definition: {}",
            errors.join("; ")
        ))
    }
}

/// Checks a CallSignaling message; its short name (`CallRinging`) when it is valid.
pub fn check_message(v: &Value) -> Result<&'static str, String> {
    let full = v["type"].as_str().ok_or("the message has no type")?;
    let short = full
        .strip_prefix(NAMESPACE)
        .and_then(|r| r.strip_prefix('.'))
        .ok_or_else(|| format!("'{full}' is not an {NAMESPACE} message"))?;
    let name = MESSAGES
        .into_iter()
        .find(|n| *n == short)
        .ok_or_else(|| format!("unknown {NAMESPACE} message '{short}'"))?;
    check(name, v)?;
    Ok(name)
}

/// `{"type": "Alexa.Comms.CallSignaling.<name>", "sessionId": id}`
pub fn bare(name: &str, id: &str) -> Value {
    json!({"type": format!("{NAMESPACE}.{name}"), "sessionId": id})
}

/// `sdpDetails` of `kind` (`OFFER` or `ANSWER`).
pub fn with_sdp(mut m: Value, kind: &str, sdp: &str) -> Value {
    m["sdpDetails"] = json!({"type": kind, "value": sdp});
    m
}

pub fn with_renegotiation(mut m: Value, kind: &str) -> Value {
    m["renegotiationType"] = json!(kind);
    m
}

pub fn ended(id: &str, code: &str, message: &str) -> Value {
    let mut m = bare("CallEnded", id);
    m["callResult"] = json!({"code": code, "message": message});
    m
}

/// A `RAW_ADDRESS` participant.
pub fn raw_participant(value: &str, originator: bool) -> Value {
    json!({"id": {"type": "RAW_ADDRESS", "value": value}, "isOriginator": originator})
}

pub fn session_id(m: &Value) -> &str {
    m["sessionId"].as_str().unwrap_or_default()
}

/// The SDP a message carries, when it carries one.
pub fn sdp(m: &Value) -> Option<&str> {
    m["sdpDetails"]["value"].as_str().filter(|s| !s.trim().is_empty())
}

pub fn renegotiation(m: &Value) -> &str {
    m["renegotiationType"].as_str().unwrap_or("CALL_UPDATE")
}

/// A message as a call's log shows it: `→CallRinging` (from the client), `←CallUpdate
/// CALL_HOLD` (to it); renegotiations name their type.
pub fn log_entry(arrow: char, name: &str, m: &Value) -> String {
    match m["renegotiationType"].as_str() {
        Some(kind) => format!("{arrow}{name} {kind}"),
        None => format!("{arrow}{name}"),
    }
}

/// What every response of the signaling endpoint carries: `version` and the call.
pub fn response(id: &str) -> Value {
    json!({"version": VERSION, "response": {"sessionId": id}})
}

/// A request as it came: the flat message, or the reference's envelope around it.
pub fn unwrap_request(body: Value) -> Result<(Value, bool), String> {
    if body.get("request").is_some() {
        check(defs::REQUEST_ENVELOPE, &body)?;
        let mut body = body;
        return Ok((body["request"].take(), true));
    }
    Ok((body, false))
}

/// An Alexa error: `{"code", "message"}`, with StartCommunicationSession's names for the
/// statuses it documents (CallSignaling's table lost its names; the same are used).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmazonError {
    pub status: StatusCode,
    pub message: String,
}

pub type AmazonResult<T> = Result<T, AmazonError>;

impl AmazonError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn code(&self) -> &'static str {
        code_for(self.status.as_u16())
    }
}

/// The exception name for a status.
pub fn code_for(status: u16) -> &'static str {
    match status {
        400 => "InvalidInput",
        401 => "BadToken",
        403 => "AccessDenied",
        404 => "NotFound",
        409 => "Conflict",
        429 => "Throttling",
        _ => "InternalServerError",
    }
}

/// The body of an error with `status`.
pub fn error_body(status: u16, message: &str) -> Value {
    json!({"code": code_for(status), "message": message})
}

impl From<crate::errors::ApiError> for AmazonError {
    fn from(e: crate::errors::ApiError) -> Self {
        Self::new(e.status, e.message)
    }
}

impl IntoResponse for AmazonError {
    fn into_response(self) -> Response {
        let body = error_body(self.status.as_u16(), &self.message);
        (self.status, Json(body)).into_response()
    }
}

/// Parses a body as JSON, or Amazon's 400.
pub fn parse(body: &[u8]) -> AmazonResult<Value> {
    serde_json::from_slice(body)
        .map_err(|e| AmazonError::invalid(format!("the request body is not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_definition_compiles() {
        let all = SCHEMAS.as_ref().expect("schemas");
        for name in MESSAGES {
            assert!(all.contains_key(name), "{name}");
        }
        for def in [
            defs::REQUEST_ENVELOPE,
            defs::SKILL_REQUEST,
            defs::RESPONSE,
            defs::SESSION_REQUEST,
            defs::SESSION_RESPONSE,
            defs::SESSION_ERROR,
        ] {
            assert!(all.contains_key(def), "{def}");
        }
    }

    #[test]
    fn the_tables_required_fields_are_required_and_optional_ones_are_not() {
        assert_eq!(check_message(&bare("CallRinging", "s")), Ok("CallRinging"));
        assert!(check_message(&bare("CallRinging", "")).is_err());
        assert!(check_message(&bare("CallUpdate", "s")).is_err(), "no offer");
        let hold = with_renegotiation(with_sdp(bare("CallUpdate", "s"), "OFFER", "v=0"), "CALL_HOLD");
        assert_eq!(check_message(&hold), Ok("CallUpdate"));
        let wrong = with_renegotiation(with_sdp(bare("CallUpdate", "s"), "ANSWER", "v=0"), "CALL_HOLD");
        assert!(
            check_message(&wrong).is_err(),
            "an answer where the offer belongs"
        );
        let mut accepted = bare("CallAccepted", "s");
        assert!(check_message(&accepted).is_err(), "sdpDetails is required");
        accepted["sdpDetails"] = json!({});
        assert_eq!(check_message(&accepted), Ok("CallAccepted"), "its fields are not");
        assert!(check_message(&ended("s", "SUCCESS", "bye")).is_ok());
        assert!(check_message(&ended("s", "WHATEVER", "bye")).is_err());
        let mut inbound = with_sdp(bare("InitiateInboundCall", "s"), "OFFER", "v=0");
        inbound["participants"] = json!([
            {"id": {"type": "RAW_ADDRESS", "value": "a"}, "isOriginator": true},
            {"id": {"type": "RAW_ADDRESS", "value": "b"}}
        ]);
        assert!(check_message(&inbound).is_ok(), "isOriginator may be absent");
        inbound["customParams"] = json!({"callerName": 7});
        assert!(check_message(&inbound).is_err());
        assert!(
            check_message(&json!({"type": "Alexa.Comms.CallSignaling.Teleport", "sessionId": "s"})).is_err()
        );
    }

    #[test]
    fn an_enveloped_request_is_unwrapped_and_checked() {
        let m = bare("CallRinging", "s");
        let env = json!({"version": "1.0", "context": {}, "session": {}, "request": m.clone()});
        assert_eq!(unwrap_request(env), Ok((m.clone(), true)));
        assert!(unwrap_request(json!({"version": "1.0", "request": m.clone()})).is_err());
        assert_eq!(unwrap_request(m.clone()), Ok((m, false)));
        assert!(check(defs::RESPONSE, &response("s")).is_ok());
    }
}
