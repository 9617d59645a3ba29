//! Tokens: OAuth2 flows on the `oauth2` crate; secrets and cached tokens in the OS
//! keyring. Secrets never reach logs.

mod client_credentials;
pub mod lwa;
mod secrets;

pub use client_credentials::{ClientCredentials, TokenError};
pub use lwa::{LwaClient, LwaEndpoints, LwaTokens};
pub use secrets::{SERVICE as KEYRING_SERVICE, SecretError, SecretKind, Secrets};

/// Something that hands out a valid bearer token.
#[async_trait::async_trait]
pub trait TokenSource: Send + Sync {
    /// A token valid for a while yet. `refresh` forces a new one (after a 401).
    async fn token(&self, refresh: bool) -> Result<String, TokenError>;
}

/// The `apiAccessToken` of an Alexa skill request, as a skill passes it on to
/// StartCommunicationSession. It cannot be refreshed (Alexa sends a fresh one with each
/// skill request), so a refresh hands back the same token and a second 401 stands.
pub struct SkillToken(String);

impl SkillToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
}

impl std::fmt::Debug for SkillToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SkillToken(<redacted>)")
    }
}

#[async_trait::async_trait]
impl TokenSource for SkillToken {
    async fn token(&self, _refresh: bool) -> Result<String, TokenError> {
        Ok(self.0.clone())
    }
}
