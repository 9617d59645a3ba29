//! `StartCommunicationSession` (`POST /v1/communications/session`): the request, built
//! and checked locally by the API's rules before anything is sent (apis.md §2).

use super::wire::{IdType, ParticipantId};
use crate::call::PhoneNumber;
use serde::{Deserialize, Serialize};

pub const SESSION_PATH: &str = "/v1/communications/session";
/// The provider a PHONE_NUMBER callee must name.
pub const PHONE_PROVIDER_ID: &str = "amzn1.alexa.csp.id.82bb98bc-384a-11ed-a261-0242ac120002";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionParticipant {
    pub id: ParticipantId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication_provider_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_originator: Option<bool>,
}

/// Optional, as is its one field (the reference: "Required: No").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_session_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartSessionRequest {
    pub participants: Vec<SessionParticipant>,
    /// We always send one (AWS strongly recommends a unique id per session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_context: Option<ClientContext>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartSessionResponse {
    pub session_id: String,
}

/// A rule of the API that a request breaks; each says which and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionRuleError {
    #[error("a session has exactly two participants, not {0}")]
    ParticipantCount(usize),
    #[error("exactly one participant is the originator (isOriginator: true), not {0}")]
    OriginatorCount(usize),
    #[error("the originator needs an endpointId (the Alexa device), of 1 to 512 characters; it has {0}")]
    EndpointId(usize),
    #[error("the other participant needs a communicationProviderId of 1 to 128 characters; it has {0}")]
    ProviderIdLength(usize),
    #[error("a PHONE_NUMBER callee must name the provider {PHONE_PROVIDER_ID}, not '{0}'")]
    PhoneProvider(String),
    #[error("participant {index}'s id must be of type PHONE_NUMBER, not {kind:?}")]
    IdType { index: usize, kind: IdType },
    #[error("participant {index}'s number '{value}' is not E.164 of 1 to 128 characters: {why}")]
    IdValue {
        index: usize,
        value: String,
        why: String,
    },
    #[error("clientContext.clientSessionId must have 1 to 100 characters; it has {0}")]
    ClientSessionId(usize),
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

impl StartSessionRequest {
    /// A call from the Alexa device `endpoint_id` (whose number is `from`) to `to`
    /// through the phone provider, with a fresh client session id.
    pub fn phone_call(endpoint_id: &str, from: &PhoneNumber, to: &PhoneNumber) -> Self {
        Self::from_parts(endpoint_id, from.as_e164(), to.as_e164(), None)
    }

    /// The same, with the values exactly as given (so [`validate`](Self::validate) can
    /// say what is wrong with them) and a fresh UUID unless `client_session_id` is given.
    pub fn from_parts(endpoint_id: &str, from: &str, to: &str, client_session_id: Option<&str>) -> Self {
        let phone = |n: &str| ParticipantId {
            kind: IdType::PhoneNumber,
            value: n.to_owned(),
        };
        Self {
            participants: vec![
                SessionParticipant {
                    id: phone(from),
                    endpoint_id: Some(endpoint_id.to_owned()),
                    communication_provider_id: None,
                    is_originator: Some(true),
                },
                SessionParticipant {
                    id: phone(to),
                    endpoint_id: None,
                    communication_provider_id: Some(PHONE_PROVIDER_ID.to_owned()),
                    is_originator: None,
                },
            ],
            client_context: Some(ClientContext {
                client_session_id: Some(
                    client_session_id.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned),
                ),
            }),
        }
    }

    /// `clientContext.clientSessionId`, when there is one.
    pub fn client_session_id(&self) -> Option<&str> {
        self.client_context.as_ref()?.client_session_id.as_deref()
    }

    /// Every rule of the API, checked in the order a person would fix them.
    pub fn validate(&self) -> Result<(), SessionRuleError> {
        let n = self.participants.len();
        if n != 2 {
            return Err(SessionRuleError::ParticipantCount(n));
        }
        let originators = self
            .participants
            .iter()
            .filter(|p| p.is_originator == Some(true))
            .count();
        if originators != 1 {
            return Err(SessionRuleError::OriginatorCount(originators));
        }
        for (index, p) in self.participants.iter().enumerate() {
            if p.id.kind != IdType::PhoneNumber {
                return Err(SessionRuleError::IdType {
                    index,
                    kind: p.id.kind,
                });
            }
            let bad = |why: String| SessionRuleError::IdValue {
                index,
                value: p.id.value.clone(),
                why,
            };
            if !(1..=128).contains(&chars(&p.id.value)) {
                return Err(bad("its length is out of range".into()));
            }
            // E.164 exactly as sent: no spaces, dashes or tel: prefix.
            match PhoneNumber::parse(&p.id.value) {
                Ok(parsed) if parsed.as_e164() == p.id.value => {}
                Ok(parsed) => return Err(bad(format!("write it as {parsed}"))),
                Err(e) => return Err(bad(e.to_string())),
            }
            if p.is_originator == Some(true) {
                let len = p.endpoint_id.as_deref().map_or(0, chars);
                if !(1..=512).contains(&len) {
                    return Err(SessionRuleError::EndpointId(len));
                }
            } else {
                let provider = p.communication_provider_id.as_deref().unwrap_or("");
                let len = chars(provider);
                if !(1..=128).contains(&len) {
                    return Err(SessionRuleError::ProviderIdLength(len));
                }
                if provider != PHONE_PROVIDER_ID {
                    return Err(SessionRuleError::PhoneProvider(provider.to_owned()));
                }
            }
        }
        if let Some(id) = self.client_session_id() {
            let len = chars(id);
            if !(1..=100).contains(&len) {
                return Err(SessionRuleError::ClientSessionId(len));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn number(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).expect("number")
    }

    fn good() -> StartSessionRequest {
        StartSessionRequest::phone_call(
            "amzn1.ask.device.ABC",
            &number("+12045551111"),
            &number("+16073331111"),
        )
    }

    #[test]
    fn a_phone_call_request_has_the_documented_shape() {
        let r = good();
        assert_eq!(r.validate(), Ok(()));
        let v = serde_json::to_value(&r).expect("json");
        assert_eq!(
            v["participants"],
            json!([
                {"id": {"type": "PHONE_NUMBER", "value": "+12045551111"}, "endpointId": "amzn1.ask.device.ABC", "isOriginator": true},
                {"id": {"type": "PHONE_NUMBER", "value": "+16073331111"}, "communicationProviderId": PHONE_PROVIDER_ID}
            ])
        );
        let id = v["clientContext"]["clientSessionId"].as_str().expect("id");
        assert_eq!(id.len(), 36, "a UUID");
        assert_ne!(Some(id), good().client_session_id(), "fresh per session");
    }

    /// Each rule broken once, alone, and refused with its own reason.
    #[test]
    fn every_rule_broken_once_is_refused_with_its_reason() {
        type Break = fn(&mut StartSessionRequest);
        let cases: [(&str, Break, SessionRuleError); 12] = [
            (
                "three participants",
                |r| r.participants.push(r.participants[1].clone()),
                SessionRuleError::ParticipantCount(3),
            ),
            (
                "one participant",
                |r| {
                    r.participants.pop();
                },
                SessionRuleError::ParticipantCount(1),
            ),
            (
                "no originator",
                |r| r.participants[0].is_originator = None,
                SessionRuleError::OriginatorCount(0),
            ),
            (
                "two originators",
                |r| r.participants[1].is_originator = Some(true),
                SessionRuleError::OriginatorCount(2),
            ),
            (
                "no endpointId",
                |r| r.participants[0].endpoint_id = None,
                SessionRuleError::EndpointId(0),
            ),
            (
                "endpointId too long",
                |r| r.participants[0].endpoint_id = Some("d".repeat(513)),
                SessionRuleError::EndpointId(513),
            ),
            (
                "no provider",
                |r| r.participants[1].communication_provider_id = None,
                SessionRuleError::ProviderIdLength(0),
            ),
            (
                "provider too long",
                |r| r.participants[1].communication_provider_id = Some("p".repeat(129)),
                SessionRuleError::ProviderIdLength(129),
            ),
            (
                "another provider",
                |r| r.participants[1].communication_provider_id = Some("amzn1.comms.csp.id.x".into()),
                SessionRuleError::PhoneProvider("amzn1.comms.csp.id.x".into()),
            ),
            (
                "a raw address",
                |r| r.participants[1].id.kind = IdType::RawAddress,
                SessionRuleError::IdType {
                    index: 1,
                    kind: IdType::RawAddress,
                },
            ),
            (
                "empty session id",
                |r| {
                    r.client_context = Some(ClientContext {
                        client_session_id: Some(String::new()),
                    })
                },
                SessionRuleError::ClientSessionId(0),
            ),
            (
                "long session id",
                |r| {
                    r.client_context = Some(ClientContext {
                        client_session_id: Some("s".repeat(101)),
                    })
                },
                SessionRuleError::ClientSessionId(101),
            ),
        ];
        for (what, break_it, want) in cases {
            let mut r = good();
            break_it(&mut r);
            assert_eq!(r.validate(), Err(want), "{what}");
        }
        let mut r = good();
        r.client_context = None;
        assert_eq!(r.validate(), Ok(()), "clientContext is optional");
        r.participants[1].id.value = "+1 607 333 1111".into();
        assert!(
            matches!(r.validate(), Err(SessionRuleError::IdValue { index: 1, ref why, .. }) if why.contains("+16073331111")),
            "a formatted number is refused with its E.164 form"
        );
        r.participants[1].id.value = "6073331111".into();
        assert!(matches!(
            r.validate(),
            Err(SessionRuleError::IdValue { index: 1, .. })
        ));
        r.participants[1].id.value = String::new();
        assert!(matches!(
            r.validate(),
            Err(SessionRuleError::IdValue { index: 1, .. })
        ));
    }
}
