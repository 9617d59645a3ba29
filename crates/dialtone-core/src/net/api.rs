//! One authorised JSON request to a service, as every API client sends it: a bearer
//! token (fetched again once after a 401), `Retry-After` honoured once on 429, and a
//! timeout on everything. What the status and body mean is left to each API's client.

use crate::auth::{TokenError, TokenSource};
use bytes::Bytes;
use reqwest::{Method, StatusCode};
use std::sync::Arc;
use std::time::Duration;

/// The longest `Retry-After` we wait out before retrying a 429.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// A request that got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum Transport {
    #[error("no answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("the answer could not be read: {0}")]
    Unreadable(String),
    #[error("{0}")]
    Token(#[from] TokenError),
}

/// The final status and body (after the one retry a 401 or 429 earns).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

pub struct ApiCaller {
    tokens: Arc<dyn TokenSource>,
    /// No redirects, no proxy; a client that could not be built is kept as the reason,
    /// and every request says it (a default client would follow redirects and proxies).
    http: Result<reqwest::Client, String>,
    timeout: Duration,
}

impl ApiCaller {
    pub fn new(tokens: Arc<dyn TokenSource>, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| e.to_string());
        Self {
            tokens,
            http,
            timeout,
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `body` (JSON) with `headers`; `operation` names it in the logs.
    pub async fn send(
        &self,
        operation: &'static str,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<Reply, Transport> {
        let mut refreshed = false;
        let mut throttled = false;
        loop {
            let http = match &self.http {
                Ok(h) => h,
                Err(why) => {
                    return Err(Transport::Unreachable(format!(
                        "no HTTP client could be set up: {why}"
                    )));
                }
            };
            let token = self.tokens.token(refreshed).await?;
            super::wire::request(operation, method.as_str(), url, body.as_deref(), &token);
            let mut req = http
                .request(method.clone(), url)
                .bearer_auth(&token)
                .timeout(self.timeout);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            if let Some(b) = &body {
                req = req.header("content-type", "application/json").body(b.clone());
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let error = if e.is_timeout() {
                        Transport::Timeout(self.timeout)
                    } else {
                        Transport::Unreachable(e.to_string())
                    };
                    super::wire::no_response(operation, &error.to_string());
                    return Err(error);
                }
            };
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS {
                super::wire::response(operation, status.as_u16(), b"", &token);
            }
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                tracing::info!(operation, "401: fetching a new token and retrying once");
                refreshed = true;
                continue;
            }
            if status == StatusCode::TOO_MANY_REQUESTS && !throttled {
                let wait = retry_after(resp.headers());
                tracing::info!(
                    operation,
                    wait_ms = wait.as_millis() as u64,
                    "429: waiting, then retrying"
                );
                tokio::time::sleep(wait).await;
                throttled = true;
                continue;
            }
            let reply = match tokio::time::timeout(self.timeout, resp.bytes()).await {
                Ok(Ok(body)) => Ok(Reply { status, body }),
                Ok(Err(e)) => Err(Transport::Unreadable(e.to_string())),
                Err(_) => Err(Transport::Timeout(self.timeout)),
            };
            match &reply {
                Ok(r) => super::wire::response(operation, status.as_u16(), &r.body, &token),
                Err(e) => super::wire::no_response(operation, &e.to_string()),
            }
            return reply;
        }
    }
}

/// The `Retry-After` seconds within reason, 1 s when absent or unreadable.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(1), Duration::from_secs)
        .min(MAX_RETRY_AFTER)
}
