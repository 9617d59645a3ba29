//! OAuth2 client credentials (RFC 6749 §4.4), cached and renewed at about 90 % of the
//! token's lifetime or on demand. With a keyring attached, the token is cached there
//! too, so the next run does not ask the token server again.

use super::{SecretKind, Secrets, TokenSource};
use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token URL '{0}' is not valid")]
    BadUrl(String),
    #[error(
        "the token server refused the client credentials: {0}. Check the client id and secret of the account"
    )]
    Refused(String),
    #[error("the token server could not be reached: {0}")]
    Unreachable(String),
    #[error("the sign-in did not complete: {0}")]
    SignIn(String),
    #[error("the account '{0}' is not signed in; sign in to Amazon first (dialtone accounts sign-in {0})")]
    NotSignedIn(String),
    #[error("the keyring could not keep the sign-in: {0}")]
    Keyring(String),
}

/// `renew_at_ms` is wall-clock time so that a cached token means the same after a restart.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Cached {
    token: String,
    renew_at_ms: u64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Cached {
    fn fresh(&self) -> bool {
        now_ms() < self.renew_at_ms
    }
}

/// The HTTP client for token endpoints: no redirects, no proxy, a 10 s timeout.
pub(super) fn token_http() -> Result<oauth2::reqwest::Client, TokenError> {
    oauth2::reqwest::ClientBuilder::new()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .map_err(|e| TokenError::Unreachable(e.to_string()))
}

/// A token endpoint's refusal or silence, as a [`TokenError`].
pub(super) fn token_error<E: std::error::Error + 'static>(
    e: oauth2::RequestTokenError<E, oauth2::basic::BasicErrorResponse>,
) -> TokenError {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => TokenError::Refused(r.error().to_string()),
        oauth2::RequestTokenError::Request(e) => TokenError::Unreachable(e.to_string()),
        other => TokenError::Refused(other.to_string()),
    }
}

pub struct ClientCredentials {
    client_id: String,
    client_secret: String,
    token_url: String,
    scopes: Vec<String>,
    http: oauth2::reqwest::Client,
    cached: Mutex<Option<Cached>>,
    keyring: Option<(Secrets, String)>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    pub fn new(
        client_id: &str,
        client_secret: &str,
        token_url: &str,
        scopes: Vec<String>,
    ) -> Result<Self, TokenError> {
        TokenUrl::new(token_url.to_owned()).map_err(|_| TokenError::BadUrl(token_url.to_owned()))?;
        let http = token_http()?;
        Ok(Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            token_url: token_url.to_owned(),
            scopes,
            http,
            cached: Mutex::new(None),
            keyring: None,
        })
    }

    /// Keeps the token in the keyring under `account` as well.
    pub fn cached_in(mut self, secrets: Secrets, account: &str) -> Self {
        self.keyring = Some((secrets, account.to_owned()));
        self
    }

    async fn read_keyring(&self) -> Option<Cached> {
        let (secrets, account) = self.keyring.clone()?;
        match super::keyring(move || secrets.get(&account, SecretKind::AccessToken)).await {
            Ok(Some(json)) => serde_json::from_str::<Cached>(&json).ok().filter(Cached::fresh),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the cached token");
                None
            }
        }
    }

    async fn write_keyring(&self, cached: &Cached) {
        let Some((secrets, account)) = self.keyring.clone() else {
            return;
        };
        let Ok(json) = serde_json::to_string(cached) else {
            return;
        };
        if let Err(e) = super::keyring(move || secrets.set(&account, SecretKind::AccessToken, &json)).await {
            tracing::warn!(error = %e, "cannot cache the token in the keyring");
        }
    }

    async fn fetch(&self) -> Result<Cached, TokenError> {
        let url =
            TokenUrl::new(self.token_url.clone()).map_err(|_| TokenError::BadUrl(self.token_url.clone()))?;
        let client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.clone()))
            .set_token_uri(url);
        const OP: &str = "fetching a token";
        crate::net::wire::request(OP, "POST", &self.token_url, None, "");
        let response = client
            .exchange_client_credentials()
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .request_async(&self.http)
            .await
            .map_err(token_error);
        // The token itself never reaches the transcript: only that one came.
        match &response {
            Ok(_) => crate::net::wire::response(OP, 200, b"(an access token)", ""),
            Err(e) => crate::net::wire::no_response(OP, &e.to_string()),
        }
        let response = response?;
        let renew = super::renew_after(response.expires_in(), Duration::from_secs(300));
        tracing::debug!(renew_after_s = renew.as_secs(), "new access token");
        Ok(Cached {
            token: response.access_token().secret().clone(),
            renew_at_ms: now_ms().saturating_add(u64::try_from(renew.as_millis()).unwrap_or(u64::MAX)),
        })
    }
}

#[async_trait::async_trait]
impl TokenSource for ClientCredentials {
    async fn token(&self, refresh: bool) -> Result<String, TokenError> {
        let mut cached = self.cached.lock().await;
        if !refresh {
            if cached.is_none() {
                *cached = self.read_keyring().await;
            }
            if let Some(c) = cached.as_ref().filter(|c| c.fresh()) {
                return Ok(c.token.clone());
            }
        }
        let fresh = self.fetch().await?;
        self.write_keyring(&fresh).await;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring_with(cached: Option<Cached>) -> Secrets {
        let s = Secrets::with_store(keyring_core::mock::Store::new().expect("mock"));
        if let Some(c) = cached {
            let json = serde_json::to_string(&c).expect("json");
            s.set("op", SecretKind::AccessToken, &json).expect("set");
        }
        s
    }

    /// Port 9 on loopback: nothing listens, so any token request fails.
    fn unreachable(secrets: Secrets) -> ClientCredentials {
        ClientCredentials::new("cid", "secret", "http://127.0.0.1:9/token", vec![])
            .expect("client")
            .cached_in(secrets, "op")
    }

    #[tokio::test]
    async fn a_fresh_token_in_the_keyring_is_used_without_asking_the_server() {
        let secrets = keyring_with(Some(Cached {
            token: "from-keyring".into(),
            renew_at_ms: now_ms() + 60_000,
        }));
        let token = unreachable(secrets).token(false).await.expect("cached");
        assert_eq!(token, "from-keyring");
    }

    #[tokio::test]
    async fn a_stale_or_refused_token_goes_back_to_the_server() {
        let secrets = keyring_with(Some(Cached {
            token: "stale".into(),
            renew_at_ms: now_ms().saturating_sub(1),
        }));
        let e = unreachable(secrets.clone())
            .token(false)
            .await
            .expect_err("must fetch");
        assert!(matches!(e, TokenError::Unreachable(_)), "{e}");
        let fresh = keyring_with(Some(Cached {
            token: "revoked".into(),
            renew_at_ms: now_ms() + 60_000,
        }));
        let e = unreachable(fresh)
            .token(true)
            .await
            .expect_err("refresh must fetch");
        assert!(matches!(e, TokenError::Unreachable(_)), "{e}");
    }
}
