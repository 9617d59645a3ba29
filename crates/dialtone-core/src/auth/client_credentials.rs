//! OAuth2 client credentials (RFC 6749 §4.4), cached and renewed at about 90 % of the
//! token's lifetime or on demand.

use super::TokenSource;
use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use std::time::{Duration, Instant};
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
}

struct Cached {
    token: String,
    renew_at: Instant,
}

pub struct ClientCredentials {
    client_id: String,
    client_secret: String,
    token_url: String,
    scopes: Vec<String>,
    http: oauth2::reqwest::Client,
    cached: Mutex<Option<Cached>>,
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
        let http = oauth2::reqwest::ClientBuilder::new()
            .redirect(oauth2::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .build()
            .map_err(|e| TokenError::Unreachable(e.to_string()))?;
        Ok(Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            token_url: token_url.to_owned(),
            scopes,
            http,
            cached: Mutex::new(None),
        })
    }

    async fn fetch(&self) -> Result<Cached, TokenError> {
        let url =
            TokenUrl::new(self.token_url.clone()).map_err(|_| TokenError::BadUrl(self.token_url.clone()))?;
        let client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.clone()))
            .set_token_uri(url);
        let response = client
            .exchange_client_credentials()
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                oauth2::RequestTokenError::ServerResponse(r) => TokenError::Refused(r.error().to_string()),
                oauth2::RequestTokenError::Request(e) => TokenError::Unreachable(e.to_string()),
                other => TokenError::Refused(other.to_string()),
            })?;
        let lifetime = response.expires_in().unwrap_or(Duration::from_secs(300));
        tracing::debug!(lifetime_s = lifetime.as_secs(), "new access token");
        Ok(Cached {
            token: response.access_token().secret().clone(),
            renew_at: Instant::now() + lifetime.mul_f64(0.9),
        })
    }
}

#[async_trait::async_trait]
impl TokenSource for ClientCredentials {
    async fn token(&self, refresh: bool) -> Result<String, TokenError> {
        let mut cached = self.cached.lock().await;
        if !refresh
            && let Some(c) = cached.as_ref()
            && Instant::now() < c.renew_at
        {
            return Ok(c.token.clone());
        }
        let fresh = self.fetch().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }
}
