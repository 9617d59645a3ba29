//! Login with Amazon (LWA) for Alexa calling: the authorization code flow with PKCE
//! (RFC 7636) and a loopback redirect (RFC 8252 §7.3), then access tokens from the
//! refresh token, renewed at about 90 % of their lifetime. The refresh token lives in the
//! keyring only.

use super::client_credentials::{token_error, token_http};
use super::{SecretKind, Secrets, TokenError, TokenSource};
use axum::extract::{Query, State};
use axum::response::Html;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    RefreshToken, Scope, TokenResponse, TokenUrl,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, oneshot};

/// Where the loopback listener takes the browser's redirect.
pub const CALLBACK_PATH: &str = "/lwa/callback";

/// LWA's authorization and token endpoints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LwaEndpoints {
    pub authorize_url: String,
    pub token_url: String,
}

/// Paths of LWA's endpoints, which the sandbox serves under its own root.
pub const AUTHORIZE_PATH: &str = "/ap/oa";
pub const TOKEN_PATH: &str = "/auth/o2/token";

impl LwaEndpoints {
    /// Amazon's endpoints for the NA or EU Alexa region.
    pub fn amazon(region: crate::signaling::alexa::AlexaRegion) -> Self {
        use crate::signaling::alexa::AlexaRegion;
        let (authorize, token) = match region {
            AlexaRegion::Na => ("https://www.amazon.com", "https://api.amazon.com"),
            AlexaRegion::Eu => ("https://eu.account.amazon.com", "https://api.amazon.co.uk"),
        };
        Self {
            authorize_url: format!("{authorize}{AUTHORIZE_PATH}"),
            token_url: format!("{token}{TOKEN_PATH}"),
        }
    }

    /// Both endpoints under one root (the sandbox's `{root}/lwa`).
    pub fn under(root: &str) -> Self {
        let root = root.trim_end_matches('/');
        Self {
            authorize_url: format!("{root}{AUTHORIZE_PATH}"),
            token_url: format!("{root}{TOKEN_PATH}"),
        }
    }
}

/// A skill's LWA client: its id, its secret (LWA web clients have one), where LWA is.
#[derive(Clone)]
pub struct LwaClient {
    client_id: String,
    client_secret: Option<String>,
    endpoints: LwaEndpoints,
    scope: String,
    http: oauth2::reqwest::Client,
}

impl std::fmt::Debug for LwaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LwaClient")
            .field("client_id", &self.client_id)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

/// What a completed sign-in yields.
pub struct Grant {
    pub refresh_token: String,
    pub access_token: String,
    pub lifetime: Duration,
}

impl LwaClient {
    pub fn new(
        client_id: &str,
        client_secret: Option<&str>,
        endpoints: LwaEndpoints,
        scope: &str,
    ) -> Result<Self, TokenError> {
        for url in [&endpoints.authorize_url, &endpoints.token_url] {
            oauth2::url::Url::parse(url).map_err(|_| TokenError::BadUrl(url.clone()))?;
        }
        let http = token_http()?;
        Ok(Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.map(str::to_owned),
            endpoints,
            scope: scope.to_owned(),
            http,
        })
    }

    fn oauth(&self) -> Result<OAuth, TokenError> {
        let auth = AuthUrl::new(self.endpoints.authorize_url.clone())
            .map_err(|_| TokenError::BadUrl(self.endpoints.authorize_url.clone()))?;
        let token = TokenUrl::new(self.endpoints.token_url.clone())
            .map_err(|_| TokenError::BadUrl(self.endpoints.token_url.clone()))?;
        let client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(auth)
            .set_token_uri(token);
        // LWA takes the client's credentials in the body; without a secret, the id alone.
        let client = client.set_auth_type(oauth2::AuthType::RequestBody);
        Ok(match &self.client_secret {
            Some(s) => client.set_client_secret(ClientSecret::new(s.clone())),
            None => client,
        })
    }

    /// Starts a sign-in: listens on loopback for the redirect; open `url` in a browser,
    /// then [`SignIn::finish`].
    pub async fn begin_sign_in(&self) -> Result<SignIn, TokenError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| TokenError::SignIn(format!("cannot listen for the redirect: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| TokenError::SignIn(e.to_string()))?;
        let redirect = format!("http://{addr}{CALLBACK_PATH}");
        let redirect_url =
            RedirectUrl::new(redirect.clone()).map_err(|_| TokenError::BadUrl(redirect.clone()))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .oauth()?
            .set_redirect_uri(redirect_url.clone())
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new(self.scope.clone()))
            .set_pkce_challenge(challenge)
            .url();
        let (tx, rx) = oneshot::channel();
        let app = axum::Router::new()
            .route(CALLBACK_PATH, axum::routing::get(callback))
            .with_state(Arc::new(StdMutex::new(Some(tx))));
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "the sign-in listener stopped");
            }
        });
        Ok(SignIn {
            url: url.to_string(),
            client: self.clone(),
            state,
            verifier,
            redirect_url,
            redirect: rx,
            server,
        })
    }

    /// A new access token from `refresh_token`; also the refresh token LWA sent back,
    /// if it rotated it.
    async fn refresh(&self, refresh_token: &str) -> Result<(String, Duration, Option<String>), TokenError> {
        let token = RefreshToken::new(refresh_token.to_owned());
        let response = self
            .oauth()?
            .exchange_refresh_token(&token)
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        let lifetime = response.expires_in().unwrap_or(Duration::from_secs(3600));
        Ok((
            response.access_token().secret().clone(),
            lifetime,
            response.refresh_token().map(|r| r.secret().clone()),
        ))
    }
}

type OAuth = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

type Redirect = Result<(String, String), String>;

/// The browser's redirect: `?code&state`, or `?error&error_description`.
async fn callback(
    State(tx): State<Arc<StdMutex<Option<oneshot::Sender<Redirect>>>>>,
    Query(q): Query<HashMap<String, String>>,
) -> Html<&'static str> {
    let result = match (q.get("code"), q.get("state"), q.get("error")) {
        (Some(code), Some(state), None) => Ok((code.clone(), state.clone())),
        (_, _, Some(error)) => Err(format!(
            "Amazon said {error}: {}",
            q.get("error_description").map_or("", String::as_str)
        )),
        _ => Err("the redirect carried no code".into()),
    };
    let ok = result.is_ok();
    if let Some(tx) = tx
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
    {
        let _ = tx.send(result);
    }
    Html(if ok {
        "<!doctype html><title>Dialtone</title><p>Signed in. You can close this tab and return to Dialtone.</p>"
    } else {
        "<!doctype html><title>Dialtone</title><p>Sign-in failed. Return to Dialtone for details.</p>"
    })
}

/// A sign-in waiting for the browser.
pub struct SignIn {
    /// Open this in a browser.
    pub url: String,
    client: LwaClient,
    state: CsrfToken,
    verifier: oauth2::PkceCodeVerifier,
    redirect_url: RedirectUrl,
    redirect: oneshot::Receiver<Redirect>,
    server: tokio::task::JoinHandle<()>,
}

impl SignIn {
    /// Waits for the redirect (at most `within`), checks its state, and exchanges the
    /// code with the PKCE verifier.
    pub async fn finish(self, within: Duration) -> Result<Grant, TokenError> {
        let redirect = tokio::time::timeout(within, self.redirect).await;
        self.server.abort();
        let (code, state) = match redirect {
            Ok(Ok(Ok(r))) => r,
            Ok(Ok(Err(why))) => return Err(TokenError::SignIn(why)),
            Ok(Err(_)) => return Err(TokenError::SignIn("the sign-in listener stopped".into())),
            Err(_) => {
                return Err(TokenError::SignIn(format!(
                    "nobody signed in within {} s; start again and finish in the browser",
                    within.as_secs()
                )));
            }
        };
        if state != *self.state.secret() {
            return Err(TokenError::SignIn(
                "the redirect's state does not match this sign-in (a forged or stale redirect); start again"
                    .into(),
            ));
        }
        let response = self
            .client
            .oauth()?
            .set_redirect_uri(self.redirect_url)
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(self.verifier)
            .request_async(&self.client.http)
            .await
            .map_err(token_error)?;
        let refresh_token = response
            .refresh_token()
            .map(|r| r.secret().clone())
            .ok_or_else(|| TokenError::Refused("LWA sent no refresh token".into()))?;
        Ok(Grant {
            refresh_token,
            access_token: response.access_token().secret().clone(),
            lifetime: response.expires_in().unwrap_or(Duration::from_secs(3600)),
        })
    }
}

struct Access {
    token: String,
    renew_at: Instant,
}

/// Access tokens for an account whose refresh token is in the keyring.
pub struct LwaTokens {
    client: LwaClient,
    secrets: Secrets,
    account: String,
    access: Mutex<Option<Access>>,
}

impl LwaTokens {
    pub fn new(client: LwaClient, secrets: Secrets, account: &str) -> Self {
        Self {
            client,
            secrets,
            account: account.to_owned(),
            access: Mutex::new(None),
        }
    }

    /// Keeps a sign-in's refresh token in the keyring and its access token in memory.
    pub async fn store(&self, grant: Grant) -> Result<(), TokenError> {
        self.write_refresh_token(&grant.refresh_token).await?;
        *self.access.lock().await = Some(Access {
            token: grant.access_token,
            renew_at: Instant::now() + super::renew_after(Some(grant.lifetime), grant.lifetime),
        });
        Ok(())
    }

    async fn write_refresh_token(&self, token: &str) -> Result<(), TokenError> {
        let (secrets, account, token) = (self.secrets.clone(), self.account.clone(), token.to_owned());
        super::keyring(move || secrets.set(&account, SecretKind::RefreshToken, &token)).await
    }

    async fn read_refresh_token(&self) -> Result<String, TokenError> {
        let (secrets, account) = (self.secrets.clone(), self.account.clone());
        super::keyring(move || secrets.get(&account, SecretKind::RefreshToken))
            .await?
            .ok_or_else(|| TokenError::NotSignedIn(self.account.clone()))
    }
}

#[async_trait::async_trait]
impl TokenSource for LwaTokens {
    async fn token(&self, refresh: bool) -> Result<String, TokenError> {
        let mut access = self.access.lock().await;
        if !refresh && let Some(a) = access.as_ref().filter(|a| Instant::now() < a.renew_at) {
            return Ok(a.token.clone());
        }
        let refresh_token = self.read_refresh_token().await?;
        let (token, lifetime, rotated) = self.client.refresh(&refresh_token).await?;
        if let Some(r) = rotated.filter(|r| *r != refresh_token) {
            self.write_refresh_token(&r).await?;
        }
        tracing::debug!(lifetime_s = lifetime.as_secs(), "new LWA access token");
        *access = Some(Access {
            token: token.clone(),
            renew_at: Instant::now() + super::renew_after(Some(lifetime), lifetime),
        });
        Ok(token)
    }
}
