//! `Alexa.Comms.CallSignaling` on the wire: one flat JSON object per message,
//! `{"type": "Alexa.Comms.CallSignaling.<Name>", "sessionId": …, …}`, the same shape for
//! what we POST and for the SPI events the skill relays to us (apis.md §1.2–1.4).

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

/// `{"type": "OFFER" | "ANSWER", "value": "<SDP>"}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdpDetails {
    #[serde(rename = "type")]
    pub kind: SdpType,
    pub value: String,
}

impl SdpDetails {
    pub fn offer(sdp: impl Into<String>) -> Self {
        Self {
            kind: SdpType::Offer,
            value: sdp.into(),
        }
    }

    pub fn answer(sdp: impl Into<String>) -> Self {
        Self {
            kind: SdpType::Answer,
            value: sdp.into(),
        }
    }
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

    /// The SDP of the kind this message must carry, or why it is malformed.
    pub fn sdp(&self, kind: SdpType) -> Result<&str, String> {
        match &self.sdp_details {
            Some(d) if d.kind == kind => Ok(&d.value),
            Some(d) => Err(format!(
                "{} carries an {:?} where an {kind:?} belongs",
                self.name, d.kind
            )),
            None => Err(format!("{} carries no sdpDetails", self.name)),
        }
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
            Name::CallAccepted => {
                self.sdp(SdpType::Answer)?;
            }
            Name::CallInProgress => {
                if self.sdp_details.is_some() {
                    self.sdp(SdpType::Answer)?;
                }
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
}
