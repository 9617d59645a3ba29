//! `Alexa.Comms.CallSignaling` on the wire. Each message is one object,
//! `{"type": "Alexa.Comms.CallSignaling.<Name>", "sessionId": …, …}`, the same shape for
//! what we POST and for the SPI events the skill relays to us (apis.md §1.2–1.4).
//!
//! Amazon's reference puts that object under `request` beside `version`, `context` and
//! `session`, and its responses under `response` beside `version`; Amazon's own sample
//! code sends the flat object. We read both ([`Inbound`], [`response_session_id`]) and
//! write the [`Form`] the account chooses, flat unless told otherwise. Reading is
//! tolerant of every field the reference marks optional; writing always fills them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The interface's namespace, the prefix of every `type`.
pub const NAMESPACE: &str = "Alexa.Comms.CallSignaling";
/// Where provider → Alexa requests go, under the API root.
pub const SIGNALING_PATH: &str = "/v1/communications/signaling";

/// The message names of the interface, requests and SPI events alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Name {
    InitiateInboundCall,
    InitiateOutboundCall,
    CallRinging,
    CallInProgress,
    CallAccepted,
    CallEnded,
    CallRingingAck,
    CallInProgressAck,
    CallAcceptedAck,
    CallUpdate,
    CallUpdateResponse,
    CallUpdateAck,
}

impl Name {
    pub const ALL: [Name; 12] = [
        Name::InitiateInboundCall,
        Name::InitiateOutboundCall,
        Name::CallRinging,
        Name::CallInProgress,
        Name::CallAccepted,
        Name::CallEnded,
        Name::CallRingingAck,
        Name::CallInProgressAck,
        Name::CallAcceptedAck,
        Name::CallUpdate,
        Name::CallUpdateResponse,
        Name::CallUpdateAck,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Name::InitiateInboundCall => "InitiateInboundCall",
            Name::InitiateOutboundCall => "InitiateOutboundCall",
            Name::CallRinging => "CallRinging",
            Name::CallInProgress => "CallInProgress",
            Name::CallAccepted => "CallAccepted",
            Name::CallEnded => "CallEnded",
            Name::CallRingingAck => "CallRingingAck",
            Name::CallInProgressAck => "CallInProgressAck",
            Name::CallAcceptedAck => "CallAcceptedAck",
            Name::CallUpdate => "CallUpdate",
            Name::CallUpdateResponse => "CallUpdateResponse",
            Name::CallUpdateAck => "CallUpdateAck",
        }
    }

    /// `Alexa.Comms.CallSignaling.<Name>`
    pub fn type_string(self) -> String {
        format!("{NAMESPACE}.{}", self.as_str())
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Name {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let short = s
            .strip_prefix(NAMESPACE)
            .and_then(|r| r.strip_prefix('.'))
            .ok_or_else(|| format!("'{s}' is not an {NAMESPACE} message"))?;
        Name::ALL
            .into_iter()
            .find(|n| n.as_str() == short)
            .ok_or_else(|| format!("unknown {NAMESPACE} message '{short}'"))
    }
}

impl From<Name> for String {
    fn from(n: Name) -> String {
        n.type_string()
    }
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.type_string())
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Name::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SdpType {
    Offer,
    Answer,
}

/// `{"type": "OFFER" | "ANSWER", "value": "<SDP>"}`. Both fields are optional in
/// CallAccepted (the answer may have come in CallInProgress), so both are read as
/// optional; we always write both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdpDetails {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SdpType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl SdpDetails {
    pub fn offer(sdp: impl Into<String>) -> Self {
        Self {
            kind: Some(SdpType::Offer),
            value: Some(sdp.into()),
        }
    }

    pub fn answer(sdp: impl Into<String>) -> Self {
        Self {
            kind: Some(SdpType::Answer),
            value: Some(sdp.into()),
        }
    }
}

/// InitiateInboundCall's optional custom parameters. The property's name is not
/// confirmed (apis.md §1.2): we write `customParams`, the only spelling seen in use, and
/// read `customParameters` too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_name: Option<String>,
}

/// Why a `CallUpdate` re-offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RenegotiationType {
    CallHold,
    CallResume,
    CallUpdate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdType {
    CommunicationProfileId,
    PhoneNumber,
    RawAddress,
}

/// `{"type": "PHONE_NUMBER", "value": "+15550100"}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantId {
    #[serde(rename = "type")]
    pub kind: IdType,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub id: ParticipantId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_originator: Option<bool>,
}

/// Why a call ended: `SUCCESS`, `INTERNAL_ERROR`, `DEVICE_BUSY`, `SESSION_TIMEOUT`,
/// `UNAUTHORIZED` (or `UNAUTHORISED`: the spelling is unconfirmed, both are read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallResult {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

pub mod result_codes {
    pub const SUCCESS: &str = "SUCCESS";
    pub const INTERNAL_ERROR: &str = "INTERNAL_ERROR";
    pub const DEVICE_BUSY: &str = "DEVICE_BUSY";
    pub const SESSION_TIMEOUT: &str = "SESSION_TIMEOUT";
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    pub const UNAUTHORISED: &str = "UNAUTHORISED";
}

/// One CallSignaling message: the fields each name carries are optional here and
/// required by [`Message::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[serde(rename = "type")]
    pub name: Name,
    pub session_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participants: Option<Vec<Participant>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_details: Option<SdpDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renegotiation_type: Option<RenegotiationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_result: Option<CallResult>,
    #[serde(
        default,
        rename = "customParams",
        alias = "customParameters",
        skip_serializing_if = "Option::is_none"
    )]
    pub custom_params: Option<CustomParams>,
}

impl Message {
    /// A message with only `type` and `sessionId` (the acks, CallRinging).
    pub fn bare(name: Name, session_id: &str) -> Self {
        Self {
            name,
            session_id: session_id.to_owned(),
            participants: None,
            sdp_details: None,
            renegotiation_type: None,
            call_result: None,
            custom_params: None,
        }
    }

    pub fn with_sdp(mut self, sdp: SdpDetails) -> Self {
        self.sdp_details = Some(sdp);
        self
    }

    pub fn with_renegotiation(mut self, kind: RenegotiationType) -> Self {
        self.renegotiation_type = Some(kind);
        self
    }

    pub fn ended(session_id: &str, code: &str, message: &str) -> Self {
        let mut m = Self::bare(Name::CallEnded, session_id);
        m.call_result = Some(CallResult {
            code: code.to_owned(),
            message: message.to_owned(),
        });
        m
    }

    /// The SDP this message carries, if any, once its type is checked: an `OFFER` where
    /// an `ANSWER` belongs is malformed; an SDP without a type is taken as `kind`.
    pub fn sdp_if_any(&self, kind: SdpType) -> Result<Option<&str>, String> {
        let Some(d) = &self.sdp_details else {
            return Ok(None);
        };
        match d.kind {
            Some(k) if k != kind => Err(format!(
                "{} carries an {k:?} where an {kind:?} belongs",
                self.name
            )),
            _ => Ok(d.value.as_deref().filter(|v| !v.trim().is_empty())),
        }
    }

    /// The SDP of the kind this message must carry, or why it is malformed.
    pub fn sdp(&self, kind: SdpType) -> Result<&str, String> {
        self.sdp_if_any(kind)?
            .ok_or_else(|| format!("{} carries no SDP", self.name))
    }

    /// InitiateInboundCall's caller name, when it has one.
    pub fn caller_name(&self) -> Option<&str> {
        self.custom_params.as_ref()?.caller_name.as_deref()
    }

    /// Checks that the fields this name requires are there and of the right kind.
    pub fn check(&self) -> Result<(), String> {
        if self.session_id.is_empty() {
            return Err(format!("{} has an empty sessionId", self.name));
        }
        match self.name {
            Name::InitiateInboundCall | Name::InitiateOutboundCall => {
                self.sdp(SdpType::Offer)?;
                let n = self.participants.as_ref().map_or(0, Vec::len);
                if n != 2 {
                    return Err(format!("{} needs two participants, not {n}", self.name));
                }
            }
            Name::CallUpdate => {
                self.sdp(SdpType::Offer)?;
                self.renegotiation()?;
            }
            Name::CallUpdateResponse => {
                self.sdp(SdpType::Answer)?;
                self.renegotiation()?;
            }
            // The answer comes in one of the two; either may be without it.
            Name::CallAccepted | Name::CallInProgress => {
                self.sdp_if_any(SdpType::Answer)?;
            }
            Name::CallEnded => {
                if self.call_result.is_none() {
                    return Err("CallEnded carries no callResult".into());
                }
            }
            Name::CallRinging
            | Name::CallRingingAck
            | Name::CallInProgressAck
            | Name::CallAcceptedAck
            | Name::CallUpdateAck => {}
        }
        Ok(())
    }

    fn renegotiation(&self) -> Result<RenegotiationType, String> {
        self.renegotiation_type
            .ok_or_else(|| format!("{} carries no renegotiationType", self.name))
    }
}

/// How we write a request: the flat object of Amazon's sample code, or the reference's
/// `{"version", "context", "session", "request"}` envelope around it. The one place the
/// choice is made; reading takes either.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    #[default]
    Flat,
    Enveloped,
}

/// The envelope's `version`.
pub const ENVELOPE_VERSION: &str = "1.0";

impl Form {
    /// `m` as this form writes it. What `context` and `session` hold for a provider's
    /// request is not documented: they go out empty.
    pub fn encode(self, m: &Message) -> serde_json::Value {
        let flat = serde_json::to_value(m).unwrap_or_default();
        match self {
            Form::Flat => flat,
            Form::Enveloped => serde_json::json!({
                "version": ENVELOPE_VERSION,
                "context": {},
                "session": {},
                "request": flat,
            }),
        }
    }
}

/// A message as it reached us, flat or enveloped (an Alexa skill request forwarded whole,
/// whose `request` carries the message beside `requestId`, `timestamp`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub message: Message,
    pub form: Form,
}

impl<'de> Deserialize<'de> for Inbound {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = serde_json::Value::deserialize(d)?;
        let form = match v.get("request") {
            Some(r) if r.is_object() => Form::Enveloped,
            Some(_) => return Err(serde::de::Error::custom("`request` is not an object")),
            None => Form::Flat,
        };
        let body = match form {
            Form::Enveloped => v["request"].take(),
            Form::Flat => v,
        };
        let message = serde_json::from_value(body).map_err(serde::de::Error::custom)?;
        Ok(Inbound { message, form })
    }
}

/// The call id a response body names: `{"sessionId"}` flat, or under `response` in the
/// reference's form. None when the body is empty or names none (the sample code reads
/// no success body, so an empty one is as good).
pub fn response_session_id(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let id = v
        .get("response")
        .and_then(|r| r.get("sessionId"))
        .or_else(|| v.get("sessionId"))?;
    id.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_hold_is_a_flat_call_update_with_the_offer() {
        let m = Message::bare(Name::CallUpdate, "483920.11")
            .with_renegotiation(RenegotiationType::CallHold)
            .with_sdp(SdpDetails::offer("v=0\r\na=recvonly\r\n"));
        assert_eq!(
            serde_json::to_value(&m).expect("json"),
            json!({
                "type": "Alexa.Comms.CallSignaling.CallUpdate",
                "sessionId": "483920.11",
                "renegotiationType": "CALL_HOLD",
                "sdpDetails": {"type": "OFFER", "value": "v=0\r\na=recvonly\r\n"}
            })
        );
        assert_eq!(m.check(), Ok(()));
    }

    #[test]
    fn every_name_round_trips_through_its_type_string() {
        for n in Name::ALL {
            let v = serde_json::to_value(Message::bare(n, "s")).expect("json");
            let back: Message = serde_json::from_value(v).expect("parse");
            assert_eq!(back.name, n);
        }
    }

    #[test]
    fn an_inbound_call_names_both_participants() {
        let m: Message = serde_json::from_value(json!({
            "type": "Alexa.Comms.CallSignaling.InitiateInboundCall",
            "sessionId": "1",
            "participants": [
                {"id": {"type": "RAW_ADDRESS", "value": "frontdesk-01"}, "isOriginator": true},
                {"id": {"type": "RAW_ADDRESS", "value": "room-204"}, "isOriginator": false}
            ],
            "sdpDetails": {"type": "OFFER", "value": "v=0\r\n"}
        }))
        .expect("parse");
        assert_eq!(m.check(), Ok(()));
        let p = m.participants.as_deref().unwrap_or_default();
        assert_eq!(p[0].id.kind, IdType::RawAddress);
        assert_eq!(p[0].is_originator, Some(true));
    }

    #[test]
    fn malformed_messages_say_what_is_wrong() {
        let other_namespace =
            serde_json::from_value::<Message>(json!({"type": "Alexa.Other.X", "sessionId": "1"}));
        assert!(other_namespace.is_err());
        let unknown = serde_json::from_value::<Message>(
            json!({"type": "Alexa.Comms.CallSignaling.CallTeleport", "sessionId": "1"}),
        );
        assert!(
            unknown
                .expect_err("unknown name")
                .to_string()
                .contains("CallTeleport")
        );
        let answer_as_offer = Message::bare(Name::CallUpdate, "1")
            .with_renegotiation(RenegotiationType::CallResume)
            .with_sdp(SdpDetails::answer("v=0"));
        assert!(answer_as_offer.check().is_err());
        let no_reason = Message::bare(Name::CallUpdateResponse, "1").with_sdp(SdpDetails::answer("v=0"));
        assert_eq!(
            no_reason.check(),
            Err("CallUpdateResponse carries no renegotiationType".into())
        );
        assert!(Message::bare(Name::CallEnded, "1").check().is_err());
        assert!(Message::bare(Name::CallRingingAck, "").check().is_err());
    }

    #[test]
    fn a_call_accepted_without_sdp_and_an_untyped_answer_are_read() {
        let bare: Message = serde_json::from_value(json!({
            "type": "Alexa.Comms.CallSignaling.CallAccepted", "sessionId": "1", "sdpDetails": {}
        }))
        .expect("parse");
        assert_eq!(bare.check(), Ok(()));
        assert_eq!(bare.sdp_if_any(SdpType::Answer), Ok(None));
        let untyped: Message = serde_json::from_value(json!({
            "type": "Alexa.Comms.CallSignaling.CallAccepted", "sessionId": "1", "sdpDetails": {"value": "v=0"}
        }))
        .expect("parse");
        assert_eq!(untyped.sdp(SdpType::Answer), Ok("v=0"));
        let early: Message = serde_json::from_value(json!({
            "type": "Alexa.Comms.CallSignaling.CallInProgress", "sessionId": "1",
            "sdpDetails": {"type": "OFFER", "value": "v=0"}
        }))
        .expect("parse");
        assert!(early.check().is_err(), "an offer where the answer belongs");
    }

    #[test]
    fn both_forms_are_read_and_the_chosen_one_is_written() {
        let flat = json!({"type": "Alexa.Comms.CallSignaling.CallRinging", "sessionId": "s"});
        let enveloped = json!({
            "version": "1.0",
            "context": {"System": {"apiAccessToken": "x"}},
            "session": {"sessionId": "amzn1.echo-api.session.1"},
            "request": {"type": "Alexa.Comms.CallSignaling.CallRinging", "sessionId": "s",
                        "requestId": "amzn1.echo-api.request.1", "timestamp": "2026-11-29T00:00:00Z"}
        });
        let a: Inbound = serde_json::from_value(flat.clone()).expect("flat");
        let b: Inbound = serde_json::from_value(enveloped).expect("enveloped");
        assert_eq!((a.form, b.form), (Form::Flat, Form::Enveloped));
        assert_eq!(a.message, b.message);
        let m = Message::bare(Name::CallRinging, "s");
        assert_eq!(Form::Flat.encode(&m), flat);
        let out = Form::Enveloped.encode(&m);
        assert_eq!(out["version"], "1.0");
        assert_eq!(out["request"], flat);
        assert!(out["context"].is_object() && out["session"].is_object());
    }

    #[test]
    fn a_response_names_its_call_flat_or_enveloped() {
        assert_eq!(response_session_id(br#"{"sessionId":"a"}"#), Some("a".into()));
        assert_eq!(
            response_session_id(br#"{"version":"1.0","response":{"sessionId":"b"}}"#),
            Some("b".into())
        );
        assert_eq!(response_session_id(b""), None);
        assert_eq!(response_session_id(b"{}"), None);
    }

    #[test]
    fn the_caller_name_travels_as_custom_params_and_is_read_under_either_name() {
        let mut m = Message::bare(Name::InitiateInboundCall, "1");
        m.custom_params = Some(CustomParams {
            caller_name: Some("Front desk".into()),
        });
        let v = serde_json::to_value(&m).expect("json");
        assert_eq!(v["customParams"], json!({"callerName": "Front desk"}));
        let other: Message = serde_json::from_value(json!({
            "type": "Alexa.Comms.CallSignaling.InitiateInboundCall", "sessionId": "1",
            "customParameters": {"callerName": "Lobby"}
        }))
        .expect("parse");
        assert_eq!(other.caller_name(), Some("Lobby"));
    }
}
