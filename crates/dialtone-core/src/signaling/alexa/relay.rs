//! The skill relay: the skill is only a proxy (apis.md §1.1), so SPI events reach a
//! desktop through a relay that forwards each event's `request` object (a flat
//! [`Message`](super::wire::Message)) to an intake the client registered. Dialtone's own
//! contract, served by the sandbox; the registration is made with the LWA token.

use serde::{Deserialize, Serialize};

/// Where registrations go, under the relay's root.
pub const ENDPOINTS_PATH: &str = "/v1/relay/endpoints";

/// `POST {relay}/v1/relay/endpoints`
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayRegistration {
    /// Our intake's URL.
    pub endpoint: String,
    /// The bearer credential the relay presents to the intake.
    pub access_token: String,
    /// PEM of the intake's certificate when it is self-signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

/// The intake's credential never reaches a log through `{:?}`.
impl std::fmt::Debug for RelayRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayRegistration")
            .field("endpoint", &self.endpoint)
            .field("access_token", &"<redacted>")
            .field("certificate", &self.certificate.as_ref().map(|_| "<pem>"))
            .finish()
    }
}

/// The relay's answer: the registration, and the address calls reach us at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayRegistered {
    pub registration_id: String,
    /// Our own address, as `RAW_ADDRESS` in participants.
    pub address: String,
    /// The phone number that StartCommunicationSession reaches us at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_credential_never_shows_in_debug_output() {
        let r = RelayRegistration {
            endpoint: "https://127.0.0.1:1/spi".into(),
            access_token: "intake-5ecret".into(),
            certificate: None,
        };
        for shown in [format!("{r:?}"), format!("{r:#?}")] {
            assert!(!shown.contains("5ecret"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
        assert!(serde_json::to_string(&r).expect("json").contains("intake-5ecret"));
    }
}
