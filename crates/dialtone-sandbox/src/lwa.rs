//! Login with Amazon, as the sandbox's Alexa needs it: the authorization endpoint
//! approves at once (no person to ask) and redirects to the client's loopback URL with a
//! code; the token endpoint exchanges the code when the PKCE verifier matches (S256
//! only) and renews access tokens from refresh tokens. Only these tokens carry the
//! calling scope the Alexa routes require.

use crate::alexa::signaling::CALLING_SCOPE;
use crate::state::{Sandbox, Token, lock};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use dialtone_core::auth::lwa::{AUTHORIZE_PATH, TOKEN_PATH};
use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// LWA's endpoints live under this root in the sandbox.
pub const LWA_ROOT: &str = "/lwa";

struct PendingCode {
    challenge: String,
    redirect_uri: String,
    expires: Instant,
}

#[derive(Default)]
pub struct LwaState {
    codes: Mutex<HashMap<String, PendingCode>>,
    refresh_tokens: Mutex<HashMap<String, String>>,
}

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    axum::Router::new()
        .route(&format!("{LWA_ROOT}{AUTHORIZE_PATH}"), get(authorize))
        .route(&format!("{LWA_ROOT}{TOKEN_PATH}"), post(token))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn authorize(State(s): State<Arc<Sandbox>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    if get("client_id") != s.config.lwa_client_id {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "unknown client_id");
    }
    let redirect_uri = get("redirect_uri");
    // A redirect we cannot trust is never followed: say so here instead.
    if !crate::commons::loopback_http(redirect_uri) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri must be a loopback http://127.0.0.1:<port>/ URL",
        );
    }
    let back = |params: &[(&str, &str)]| {
        let mut url = reqwest::Url::parse(redirect_uri).ok();
        if let Some(u) = url.as_mut() {
            u.query_pairs_mut().extend_pairs(params);
        }
        Redirect::to(url.map(String::from).unwrap_or_default().as_str()).into_response()
    };
    let state = get("state");
    if get("response_type") != "code" {
        return back(&[("error", "unsupported_response_type"), ("state", state)]);
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").is_empty() {
        return back(&[
            ("error", "invalid_request"),
            ("error_description", "PKCE with S256 is required"),
            ("state", state),
        ]);
    }
    if !get("scope").split_whitespace().any(|sc| sc == CALLING_SCOPE) {
        return back(&[
            ("error", "invalid_scope"),
            ("error_description", "ask for amazon_communication::calling"),
            ("state", state),
        ]);
    }
    let code = format!("ANcode{}", uuid::Uuid::new_v4().simple());
    lock(&s.lwa.codes).insert(
        code.clone(),
        PendingCode {
            challenge: get("code_challenge").to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            expires: Instant::now() + Duration::from_secs(300),
        },
    );
    back(&[("code", &code), ("state", state)])
}

async fn token(State(s): State<Arc<Sandbox>>, body: String) -> Response {
    let form: HashMap<String, String> = reqwest::Url::parse(&format!("http://x/?{body}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if get("client_id") != s.config.lwa_client_id || get("client_secret") != s.config.lwa_client_secret {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    }
    let refresh_token = match get("grant_type") {
        "authorization_code" => {
            let Some(pending) = lock(&s.lwa.codes).remove(get("code")) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown or used code");
            };
            let verifier = PkceCodeVerifier::new(get("code_verifier").to_owned());
            let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
            if Instant::now() > pending.expires
                || pending.redirect_uri != get("redirect_uri")
                || challenge.as_str() != pending.challenge
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the code expired, or the redirect_uri or code_verifier does not match",
                );
            }
            let token = format!("Atzr|{}", uuid::Uuid::new_v4().simple());
            lock(&s.lwa.refresh_tokens).insert(token.clone(), s.config.lwa_client_id.clone());
            token
        }
        "refresh_token" => {
            let token = get("refresh_token").to_owned();
            if !lock(&s.lwa.refresh_tokens).contains_key(&token) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown refresh token");
            }
            token
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "use authorization_code or refresh_token",
            );
        }
    };
    let access_token = format!("Atza|{}", uuid::Uuid::new_v4().simple());
    let ttl = s.config.token_ttl;
    s.tokens_issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    lock(&s.tokens).insert(
        access_token.clone(),
        Token {
            scopes: vec![CALLING_SCOPE.to_owned()],
            expires: Instant::now() + ttl,
        },
    );
    Json(serde_json::json!({
        "access_token": access_token,
        "refresh_token": refresh_token,
        "token_type": "bearer",
        "expires_in": ttl.as_secs().max(1),
    }))
    .into_response()
}
