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
