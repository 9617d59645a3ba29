//! OAuth2 client credentials (RFC 6749 §4.4) and OIDC discovery, and the bearer check
//! every API route makes: 401 UNAUTHENTICATED without a valid token, 403
//! PERMISSION_DENIED without the route's scope.

use crate::errors::{ApiError, ApiResult};
use crate::state::{Sandbox, Token, lock};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use dialtone_core::auth::{ClientCredentials, LwaClient, LwaEndpoints, LwaTokens, Secrets, TokenError};
use dialtone_core::signaling::alexa::{self, AlexaClient, AlexaConfig, AlexaProvider};
use dialtone_core::signaling::camara::wire::scopes;
use dialtone_core::signaling::camara::{
    CamaraClient, CamaraConfig, CamaraEndpoints, CamaraProvider, Dialect,
};
use dialtone_core::signaling::lex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

pub const TOKEN_PATH: &str = "/oauth2/token";

/// Every scope of every dialect: a token endpoint serves all API versions alike (a client
/// of another version then fails at the API, with a message that says so, not here).
fn all_scopes() -> Vec<String> {
    let mut v: Vec<String> = Dialect::ALL.iter().flat_map(|d| d.client_scopes()).collect();
    // And what a softphone does not ask for but the APIs define.
    v.push(scopes::REGISTRATION_READ.to_owned());
    v.extend(
        Dialect::ALL
            .iter()
            .filter(|d| d.updates_subscriptions())
            .map(|d| d.events_update_scope()),
    );
    v.sort();
    v.dedup();
    v
}

/// What a client needs to get tokens from the sandbox.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub token_url: String,
    /// The Alexa skill's Login with Amazon client.
    pub lwa_client_id: String,
    pub lwa_client_secret: String,
    /// The AWS access key of the Lex runtime.
    pub lex_access_key_id: String,
    pub lex_secret_access_key: String,
    /// The bearer of the sandbox's control routes (`/sandbox/v1/status`, ...).
    pub control_token: String,
}

impl std::fmt::Debug for SandboxCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::state::REDACTED;
        f.debug_struct("SandboxCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &REDACTED)
            .field("token_url", &self.token_url)
            .field("lwa_client_id", &self.lwa_client_id)
            .field("lwa_client_secret", &REDACTED)
            .field("lex_access_key_id", &self.lex_access_key_id)
            .field("lex_secret_access_key", &REDACTED)
            .field("control_token", &REDACTED)
            .finish()
    }
}

impl SandboxCredentials {
    /// What any sandbox at `root` accepts with its default settings (one started by
    /// `dialtone sandbox`, say).
    pub fn at(root: &str) -> Self {
        let defaults = crate::SandboxConfig::default();
        Self {
            client_id: defaults.client_id,
            client_secret: defaults.client_secret,
            token_url: format!("{}{TOKEN_PATH}", root.trim_end_matches('/')),
            lwa_client_id: defaults.lwa_client_id,
            lwa_client_secret: defaults.lwa_client_secret,
            lex_access_key_id: defaults.lex_access_key_id,
            lex_secret_access_key: defaults.lex_secret_access_key,
            control_token: defaults.control_token,
        }
    }

    /// A CAMARA client side with these credentials, reaching the APIs at `endpoints` (the
    /// sandbox itself, or a proxy in front of it): what the CLI, the app and the tests use.
    pub fn provider(
        &self,
        endpoints: CamaraEndpoints,
        dialect: Dialect,
        config: CamaraConfig,
        timeout: std::time::Duration,
    ) -> Result<CamaraProvider, TokenError> {
        let tokens = ClientCredentials::new(
            &self.client_id,
            &self.client_secret,
            &self.token_url,
            dialect.client_scopes(),
        )?;
        Ok(CamaraProvider::new(
            CamaraClient::new(endpoints, dialect, Arc::new(tokens), timeout),
            config,
        ))
    }

    /// A CAMARA client of the sandbox at `root` in `dialect`, or in the dialect it is found
    /// to speak when `None` (with a sentence on how it was found). In next, the client
    /// registers a client number no one holds.
    pub async fn camara_provider(
        &self,
        root: &str,
        dialect: Option<Dialect>,
        config: CamaraConfig,
        timeout: std::time::Duration,
    ) -> Result<(CamaraProvider, Option<String>), TokenError> {
        let (dialect, how) = match dialect {
            Some(d) => (d, None),
            None => {
                let found = dialtone_core::signaling::camara::detect::detect(root, timeout).await;
                (found.dialect, Some(format!("{}: {}", found.dialect, found.how)))
            }
        };
        let mut config = config;
        if dialect.registration_names_phone_number() && config.phone_number.is_none() {
            config.phone_number = Some(free_client_number(root, &self.control_token, timeout).await);
        }
        let provider = self.provider(CamaraEndpoints::under(root, dialect), dialect, config, timeout)?;
        Ok((provider, how))
    }

    /// The sandbox's Login with Amazon client at `root`.
    pub fn lwa_client(&self, root: &str) -> Result<LwaClient, TokenError> {
        let lwa = format!("{}{}", root.trim_end_matches('/'), crate::lwa::LWA_ROOT);
        LwaClient::new(
            &self.lwa_client_id,
            Some(&self.lwa_client_secret),
            LwaEndpoints::under(&lwa),
            alexa::CALLING_SCOPE,
        )
    }

    /// Signs in to the sandbox's Login with Amazon at `root` the way a person would in a
    /// browser (authorization code, PKCE, loopback redirect), the sandbox approving at
    /// once. Its refresh token is the sandbox's, gone when the sandbox stops: it is kept
    /// in memory, not in the OS keyring.
    pub async fn alexa_sign_in(&self, root: &str) -> Result<LwaTokens, TokenError> {
        let client = self.lwa_client(root)?;
        let sign_in = client.begin_sign_in().await?;
        let browser = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| TokenError::Unreachable(e.to_string()))?;
        let page = browser
            .get(&sign_in.url)
            .send()
            .await
            .map_err(|e| TokenError::Unreachable(e.to_string()))?;
        if !page.status().is_success() {
            let why = page.text().await.unwrap_or_default();
            return Err(TokenError::SignIn(why));
        }
        let grant = sign_in.finish(std::time::Duration::from_secs(10)).await?;
        let memory = Secrets::in_memory().map_err(|e| TokenError::Keyring(e.to_string()))?;
        let tokens = LwaTokens::new(client, memory, "sandbox");
        tokens.store(grant).await?;
        Ok(tokens)
    }

    /// A client of the sandbox's Alexa API at `root`, signed in.
    pub async fn alexa_client(
        &self,
        root: &str,
        timeout: std::time::Duration,
    ) -> Result<AlexaClient, TokenError> {
        let tokens = self.alexa_sign_in(root).await?;
        let api = format!("{}{}", root.trim_end_matches('/'), crate::alexa::API_ROOT);
        Ok(AlexaClient::new(&api, Arc::new(tokens), timeout))
    }

    /// An Alexa client side on the sandbox at `root`: its Alexa API and skill relay.
    pub async fn alexa_provider(
        &self,
        root: &str,
        timeout: std::time::Duration,
        options: alexa::AlexaOptions,
    ) -> Result<AlexaProvider, TokenError> {
        let relay = format!("{}{}", root.trim_end_matches('/'), crate::alexa::RELAY_ROOT);
        Ok(AlexaProvider::new(
            self.alexa_client(root, timeout).await?,
            AlexaConfig::new(relay).with_options(options),
        ))
    }
}

impl SandboxCredentials {
    /// How to reach the Lex runtime of the sandbox at `root`.
    pub fn lex_config(&self, root: &str, mode: lex::Mode) -> lex::LexConfig {
        lex::LexConfig {
            region: "us-east-1".into(),
            endpoint_url: Some(format!("{}{}", root.trim_end_matches('/'), crate::lex::LEX_ROOT)),
            access_key_id: self.lex_access_key_id.clone(),
            secret_access_key: self.lex_secret_access_key.clone(),
            mode,
            disable_playback: false,
            welcome: None,
        }
    }
}

impl Sandbox {
    pub fn credentials(&self) -> SandboxCredentials {
        SandboxCredentials {
            client_id: self.config.client_id.clone(),
            client_secret: self.config.client_secret.clone(),
            token_url: format!("{}{TOKEN_PATH}", self.base_url()),
            lwa_client_id: self.config.lwa_client_id.clone(),
            lwa_client_secret: self.config.lwa_client_secret.clone(),
            lex_access_key_id: self.config.lex_access_key_id.clone(),
            lex_secret_access_key: self.config.lex_secret_access_key.clone(),
            control_token: self.config.control_token.clone(),
        }
    }
}

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    axum::Router::new()
        .route(TOKEN_PATH, post(token))
        .route("/.well-known/openid-configuration", get(discovery))
}

async fn discovery(State(s): State<Arc<Sandbox>>) -> Json<serde_json::Value> {
    let base = s.base_url();
    Json(serde_json::json!({
        "issuer": base,
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": all_scopes(),
        "response_types_supported": ["token"],
    }))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(State(s): State<Arc<Sandbox>>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = body
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let (id, secret) = match basic_auth(&headers) {
        Some(pair) => pair,
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    if id != s.config.client_id || secret != s.config.client_secret {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "use client_credentials",
        );
    }
    let allowed = all_scopes();
    let granted: Vec<String> = match form.get("scope").filter(|s| !s.trim().is_empty()) {
        Some(requested) => {
            let unknown: Vec<&str> = requested
                .split_whitespace()
                .filter(|r| !allowed.iter().any(|a| a == r))
                .collect();
            if !unknown.is_empty() {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &unknown.join(" "));
            }
            requested.split_whitespace().map(str::to_owned).collect()
        }
        None => allowed,
    };
    let access_token = format!("sbx-{}", uuid::Uuid::new_v4().simple());
    let ttl = s.config.token_ttl;
    s.tokens_issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    lock(&s.tokens).insert(
        access_token.clone(),
        Token {
            scopes: granted.clone(),
            expires: Instant::now() + ttl,
        },
    );
    Json(serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl.as_secs().max(1),
        "scope": granted.join(" "),
    }))
    .into_response()
}

/// A client number (+15550190…199) no registration at the sandbox at `root` holds; the
/// first when the sandbox cannot say.
async fn free_client_number(root: &str, control_token: &str, timeout: std::time::Duration) -> String {
    let url = format!("{}{}", root.trim_end_matches('/'), crate::control::STATUS_PATH);
    let held: Vec<String> = match reqwest::Client::builder().no_proxy().timeout(timeout).build() {
        Ok(http) => match http.get(url).bearer_auth(control_token).send().await {
            Ok(r) => r
                .json::<crate::SandboxStatus>()
                .await
                .map(|s| s.registrations.into_iter().map(|r| r.phone_number).collect())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        },
        Err(_) => Vec::new(),
    };
    (0..10)
        .map(|d| format!("+1555019{d}"))
        .find(|n| !held.contains(n))
        .unwrap_or_else(|| "+15550190".into())
}

/// `application/x-www-form-urlencoded` decoding.
fn decode(s: &str) -> String {
    fn hex(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((decode(id), decode(secret)))
}

/// Checks the bearer token and the route's scope.
pub fn require(s: &Sandbox, headers: &HeaderMap, scope: &str) -> ApiResult<()> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .ok_or_else(|| {
            ApiError::unauthenticated(
                "Request not authenticated due to missing, invalid, or expired credentials.",
            )
        })?;
    let tokens = lock(&s.tokens);
    let t = tokens.get(token.trim()).ok_or_else(|| {
        ApiError::unauthenticated(
            "Request not authenticated due to missing, invalid, or expired credentials.",
        )
    })?;
    if Instant::now() >= t.expires {
        return Err(ApiError::unauthenticated("The access token has expired."));
    }
    if !t.scopes.iter().any(|s| s == scope) {
        return Err(ApiError::forbidden(format!(
            "Client does not have sufficient permissions to perform this action (needs scope {scope})."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::SandboxConfig;

    #[test]
    fn debug_output_of_the_config_and_credentials_names_no_secret() {
        let config = SandboxConfig::default().with_private_secrets();
        let credentials = super::SandboxCredentials {
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            token_url: "http://127.0.0.1:1/oauth2/token".into(),
            lwa_client_id: config.lwa_client_id.clone(),
            lwa_client_secret: config.lwa_client_secret.clone(),
            lex_access_key_id: config.lex_access_key_id.clone(),
            lex_secret_access_key: config.lex_secret_access_key.clone(),
            control_token: config.control_token.clone(),
        };
        for shown in [format!("{config:?}"), format!("{credentials:?}")] {
            for secret in [
                &config.client_secret,
                &config.lwa_client_secret,
                &config.lex_secret_access_key,
                &config.control_token,
            ] {
                assert!(!shown.contains(secret.as_str()), "{shown}");
            }
            assert!(shown.contains(&config.client_id), "the ids still show: {shown}");
        }
    }
}
