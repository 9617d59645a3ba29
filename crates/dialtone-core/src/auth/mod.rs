//! Tokens: OAuth2 flows on the `oauth2` crate; secrets and cached tokens in the OS
//! keyring. Secrets never reach logs.

mod client_credentials;
pub mod lwa;
mod secrets;

pub use client_credentials::{ClientCredentials, TokenError};
pub use lwa::{LwaClient, LwaEndpoints, LwaTokens};
pub use secrets::{SERVICE as KEYRING_SERVICE, SecretError, SecretKind, Secrets};

use std::time::Duration;

/// The longest a token is used before it is renewed, whatever `expires_in` a server sends:
/// an `expires_in` of 10^19 s must not overflow a clock (and a day-old token is stale
/// anyway).
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// When to renew a token: at 90% of the lifetime the server gave (`default` if it gave
/// none), capped at [`MAX_TOKEN_LIFETIME`].
pub(crate) fn renew_after(lifetime: Option<Duration>, default: Duration) -> Duration {
    lifetime.unwrap_or(default).min(MAX_TOKEN_LIFETIME).mul_f64(0.9)
}

/// How long a keyring call may take: a locked keyring may be waiting for a password
/// prompt nobody sees, and a call must not wait with it forever.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs a (blocking) keyring call off the runtime, for at most [`KEYRING_TIMEOUT`].
pub(crate) async fn keyring<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, TokenError> {
    keyring_within(KEYRING_TIMEOUT, f).await
}

async fn keyring_within<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, TokenError> {
    match tokio::time::timeout(limit, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(r)) => r.map_err(|e| TokenError::Keyring(e.to_string())),
        Ok(Err(e)) => Err(TokenError::Keyring(e.to_string())),
        Err(_) => Err(TokenError::Keyring(format!(
            "the OS keyring did not answer within {} s: unlock it (or check that a Secret Service runs) and try again",
            limit.as_secs_f64()
        ))),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_absurd_token_lifetime_is_capped_not_a_panic() {
        let huge = renew_after(Some(Duration::from_secs(u64::MAX)), Duration::from_secs(300));
        assert_eq!(huge, MAX_TOKEN_LIFETIME.mul_f64(0.9));
        let _ = std::time::Instant::now() + huge;
        assert_eq!(
            renew_after(None, Duration::from_secs(100)),
            Duration::from_secs(90)
        );
        assert_eq!(
            renew_after(Some(Duration::ZERO), Duration::from_secs(100)),
            Duration::ZERO
        );
    }

    #[tokio::test]
    async fn a_keyring_that_does_not_answer_is_an_error_not_a_hang() {
        let slow = keyring_within(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_millis(400));
            Ok(())
        })
        .await;
        let Err(TokenError::Keyring(why)) = slow else {
            panic!("a keyring that hangs was waited for: {slow:?}");
        };
        assert!(why.contains("did not answer"), "{why}");
        assert_eq!(
            keyring_within(Duration::from_secs(1), || Ok(7)).await.ok(),
            Some(7)
        );
    }
}
