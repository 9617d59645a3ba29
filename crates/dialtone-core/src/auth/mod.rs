//! Tokens: OAuth2 flows on the `oauth2` crate. Secrets never reach logs.

mod client_credentials;

pub use client_credentials::{ClientCredentials, TokenError};

/// Something that hands out a valid bearer token.
#[async_trait::async_trait]
pub trait TokenSource: Send + Sync {
    /// A token valid for a while yet. `refresh` forces a new one (after a 401).
    async fn token(&self, refresh: bool) -> Result<String, TokenError>;
}
