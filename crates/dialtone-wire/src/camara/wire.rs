//! CAMARA WebRTC wire types, named exactly as in `shared/specs/camara/` (webrtc-registration,
//! webrtc-call-handling, webrtc-events). One set serves the three dialects: a field only
//! some dialects have is optional, and `dialect.rs` says which one sends it.
//! Shared by the client and the sandbox, so both speak the same JSON.

use serde::{Deserialize, Serialize};

/// Scopes of the registration and call-handling APIs, the same in every dialect; the
/// events API's scopes depend on the dialect ([`super::Dialect::client_scopes`]).
pub mod scopes {
    pub const REGISTRATION_CREATE: &str = "webrtc-registration:sessions:create";
    pub const REGISTRATION_READ: &str = "webrtc-registration:sessions:read";
    pub const REGISTRATION_WRITE: &str = "webrtc-registration:sessions:write";
    pub const REGISTRATION_DELETE: &str = "webrtc-registration:sessions:delete";
    pub const SESSIONS_CREATE: &str = "webrtc-call-handling:sessions:create";
    pub const SESSIONS_READ: &str = "webrtc-call-handling:sessions:read";
    pub const SESSIONS_WRITE: &str = "webrtc-call-handling:sessions:write";
    pub const SESSIONS_DELETE: &str = "webrtc-call-handling:sessions:delete";
}

/// `ErrorInfo`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub status: u16,
    pub code: String,
    pub message: String,
}

// ---- webrtc-registration ----

/// `RegSessionRequest`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegSessionRequest {
    pub device_id: String,
    /// next only: the number a client-credentials token registers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_expire_time: Option<String>,
}

/// `RegSessionUpdate`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegSessionUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_expire_time: Option<String>,
}

/// `RegistrationInformation`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationInformation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reg_status: Option<String>,
}

/// `RegSessionResponse`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegSessionResponse {
    pub registration_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reg_info: Option<RegistrationInformation>,
}

// ---- webrtc-call-handling ----

/// `SessionStatus`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SessionStatus {
    Initial,
    InProgress,
    Ringing,
    Proceeding,
    Connected,
    Terminated,
    Hold,
    Resume,
    SessionCancelled,
    Declined,
    Failed,
    Waiting,
    NoAnswer,
    NotReachable,
    Busy,
}

impl SessionStatus {
    /// The session is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            SessionStatus::Terminated
                | SessionStatus::SessionCancelled
                | SessionStatus::Declined
                | SessionStatus::Failed
                | SessionStatus::NoAnswer
                | SessionStatus::NotReachable
                | SessionStatus::Busy
        )
    }
}

/// `WrtcSdpDescriptor`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrtcSdpDescriptor {
    pub sdp: String,
}

impl WrtcSdpDescriptor {
    pub fn new(sdp: impl Into<String>) -> Self {
        Self { sdp: sdp.into() }
    }
}

/// `callType`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallType {
    Regular,
    Emergency,
}

/// `LocationDetails` (PIDF-LO shaped); kept as JSON so every spec variant passes through.
pub type LocationDetails = serde_json::Value;

/// `MediaSessionInformation`, and with `mediaSessionId` the `MediaSessionResponse`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaSessionInformation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<SessionStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<WrtcSdpDescriptor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<WrtcSdpDescriptor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_type: Option<CallType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_details: Option<LocationDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_session_id: Option<String>,
    /// r2.2: the client's tag on a session it creates, echoed unaltered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_correlator: Option<String>,
}

/// `MediaSessionStatusChange` (body of PUT /sessions/{id}/status)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaSessionStatusChange {
    pub status: SessionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<WrtcSdpDescriptor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<WrtcSdpDescriptor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_details: Option<LocationDetails>,
}

// ---- webrtc-events ----

/// `WebrtcSubscriptionDetail`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebrtcSubscriptionDetail {
    /// wip and next key subscriptions by device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// r2.2 keys them by registration ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_id: Option<String>,
    /// ... and session-status also by session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// `Config`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    pub subscription_detail: WebrtcSubscriptionDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_expire_time: Option<String>,
}

/// `AccessTokenCredential` (`SinkCredential` with `credentialType: ACCESSTOKEN`)
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SinkCredential {
    pub credential_type: String,
    pub access_token: String,
    pub access_token_expires_utc: String,
    pub access_token_type: String,
}

/// The intake's credential never reaches a log through `{:?}`.
impl std::fmt::Debug for SinkCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkCredential")
            .field("credential_type", &self.credential_type)
            .field("access_token", &"<redacted>")
            .field("access_token_expires_utc", &self.access_token_expires_utc)
            .field("access_token_type", &self.access_token_type)
            .finish()
    }
}

/// `SubscriptionRequest`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionRequest {
    pub protocol: String,
    pub sink: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink_credential: Option<SinkCredential>,
    pub types: Vec<String>,
    pub config: Config,
}

/// `SubscriptionUpdateConfig` (wip, next)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionUpdateConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_expire_time: Option<String>,
}

/// `SubscriptionUpdateRequest` (wip, next; `additionalProperties: false` in every version
/// that has it)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionUpdateRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink_credential: Option<SinkCredential>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<SubscriptionUpdateConfig>,
}

/// `Subscription`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub protocol: String,
    pub sink: String,
    pub types: Vec<String>,
    pub config: Config,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `CloudEvent`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    pub id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub specversion: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datacontenttype: Option<String>,
    pub time: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// `MediaSession` (event data of session-invitation and session-status)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaSession {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<SessionStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<WrtcSdpDescriptor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<WrtcSdpDescriptor>,
    pub media_session_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<u64>,
}

/// `RegistrationEnds`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationEnds {
    pub registration_id: String,
    pub termination_reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_description: Option<String>,
}

/// `SubscriptionEnded`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionEnded {
    pub subscription_id: String,
    pub termination_reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sink_credential_never_shows_in_debug_output() {
        let c = SinkCredential {
            credential_type: "ACCESSTOKEN".into(),
            access_token: "intake-5ecret".into(),
            access_token_expires_utc: "2030-01-01T00:00:00Z".into(),
            access_token_type: "bearer".into(),
        };
        for shown in [format!("{c:?}"), format!("{c:#?}")] {
            assert!(!shown.contains("5ecret"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
        // On the wire it is still there: the service must present it.
        assert!(serde_json::to_string(&c).expect("json").contains("intake-5ecret"));
    }

    #[test]
    fn names_match_the_spec() {
        let s = MediaSessionInformation {
            originator_address: Some("tel:+15550199".into()),
            receiver_address: Some("tel:+15550100".into()),
            offer: Some(WrtcSdpDescriptor::new("v=0")),
            call_type: Some(CallType::Emergency),
            media_session_id: Some("m1".into()),
            status: Some(SessionStatus::InProgress),
            ..Default::default()
        };
        let v = serde_json::to_value(&s).expect("json");
        assert_eq!(
            v,
            serde_json::json!({
                "originatorAddress": "tel:+15550199",
                "receiverAddress": "tel:+15550100",
                "offer": {"sdp": "v=0"},
                "callType": "EMERGENCY",
                "mediaSessionId": "m1",
                "status": "InProgress"
            })
        );
        let r: RegSessionResponse =
            serde_json::from_str(r#"{"registrationId":"r","expiresAt":"2026-01-01T00:00:00Z"}"#)
                .expect("parse");
        assert_eq!(r.registration_id, "r");
        assert!(SessionStatus::Busy.is_final() && !SessionStatus::Hold.is_final());
    }
}
