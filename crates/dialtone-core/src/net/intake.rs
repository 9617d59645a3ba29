//! An intake: a small HTTP server on loopback that a service POSTs JSON events to (a
//! CAMARA operator's CloudEvents, the Alexa skill relay's SPI events). It checks the
//! bearer credential we handed out and passes each event on.
//!
//! It serves HTTPS with a generated certificate (`net::LocalTls`); plain http only
//! towards a service on this machine (the sandbox). A real service must also be able
//! to reach it, which a desktop behind NAT rarely allows (see the README).

use super::{LocalTls, TlsListener};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// The largest event we read. CloudEvents and SPI events are a few KiB; axum's default
/// (2 MiB) would let anyone who can reach the port make us buffer 2 MiB per request.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// Requests handled at once; more wait for a slot. A service sends one event at a time.
const MAX_CONCURRENT: usize = 16;
/// A request that has not finished by then is answered 408 and dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

struct IntakeState<T> {
    token: String,
    events: mpsc::Sender<T>,
}

/// A running intake. Dropping it stops the server.
pub struct Intake {
    url: String,
    token: String,
    server: JoinHandle<()>,
}

impl Intake {
    /// Listens on `bind` (`127.0.0.1:0` for any free port) at `path`, over HTTPS when
    /// `tls` is given; events arrive on the receiver.
    pub async fn start<T: DeserializeOwned + Send + 'static>(
        bind: SocketAddr,
        path: &str,
        tls: Option<&LocalTls>,
    ) -> std::io::Result<(Intake, mpsc::Receiver<T>)> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let token = format!("intake-{}", uuid::Uuid::new_v4().simple());
        let (tx, rx) = mpsc::channel(64);
        let state = Arc::new(IntakeState {
            token: token.clone(),
            events: tx,
        });
        let app = Router::new()
            .route(path, post(receive::<T>))
            .with_state(state)
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            ))
            .layer(GlobalConcurrencyLimitLayer::new(MAX_CONCURRENT));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = match tls {
            Some(tls) => {
                let listener = TlsListener::new(listener, tls)?;
                tokio::spawn(async move {
                    if let Err(e) = axum::serve(listener, app).await {
                        tracing::warn!(error = %e, "intake stopped");
                    }
                })
            }
            None => tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::warn!(error = %e, "intake stopped");
                }
            }),
        };
        Ok((
            Intake {
                url: format!("{scheme}://{addr}{path}"),
                token,
                server,
            },
            rx,
        ))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bearer credential the service must present.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl Drop for Intake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Whether the request's `Authorization` is `Bearer <token>`, compared in constant time.
pub fn presents_bearer(headers: &axum::http::HeaderMap, token: &str) -> bool {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .is_some_and(|p| bool::from(p.as_bytes().ct_eq(token.as_bytes())))
}

async fn receive<T: DeserializeOwned>(State(s): State<Arc<IntakeState<T>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    // Answered as CAMARA's notification callback says: 204, or an `ErrorInfo`, with the
    // sender's x-correlator echoed.
    let correlator = headers.get("x-correlator").cloned();
    let reply = |status: StatusCode, code: &str, message: &str| {
        let mut r = if status == StatusCode::NO_CONTENT {
            status.into_response()
        } else {
            let body = serde_json::json!({"status": status.as_u16(), "code": code, "message": message});
            (status, axum::Json(body)).into_response()
        };
        if let Some(c) = &correlator {
            r.headers_mut().insert("x-correlator", c.clone());
        }
        r
    };
    // The credential first; the body is read only for a sender that has it, and only up to
    // MAX_EVENT_BYTES.
    if !presents_bearer(&headers, &s.token) {
        super::wire::incoming("notification", StatusCode::UNAUTHORIZED.as_u16(), &[], &s.token);
        return reply(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "the sink credential of the subscription is missing or wrong",
        );
    }
    let body = match axum::body::to_bytes(body, MAX_EVENT_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, limit = MAX_EVENT_BYTES, "an event too large or cut off");
            super::wire::incoming(
                "notification",
                StatusCode::PAYLOAD_TOO_LARGE.as_u16(),
                &[],
                &s.token,
            );
            return reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                "INVALID_ARGUMENT",
                "the event is larger than this sink reads (64 KiB)",
            );
        }
    };
    let log = |status: StatusCode| super::wire::incoming("notification", status.as_u16(), &body, &s.token);
    let event: T = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "an event we cannot read");
            log(StatusCode::BAD_REQUEST);
            return reply(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                "the event could not be read",
            );
        }
    };
    log(StatusCode::NO_CONTENT);
    if s.events.send(event).await.is_err() {
        // We are shutting down (say, the subscription-ended that our own DELETE caused):
        // the event was delivered, there is just nothing left to do with it.
        tracing::debug!("event after shutdown");
    }
    reply(StatusCode::NO_CONTENT, "", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn post(url: &str, bearer: Option<&str>, body: Vec<u8>) -> u16 {
        let mut req = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        req.send().await.expect("the intake answers").status().as_u16()
    }

    #[tokio::test]
    async fn only_the_sink_credential_gets_an_event_in_and_only_a_small_one() {
        let bind: SocketAddr = "127.0.0.1:0".parse().expect("addr");
        let (intake, mut rx) = Intake::start::<serde_json::Value>(bind, "/events", None)
            .await
            .expect("intake");
        let event = br#"{"type":"org.camaraproject.webrtc-events.v0.session-status"}"#.to_vec();
        // No credential, someone else's of the same length, one a byte short: refused.
        let same_length = "x".repeat(intake.token().len());
        let short = &intake.token()[..intake.token().len() - 1];
        assert_eq!(post(intake.url(), None, event.clone()).await, 401);
        assert_eq!(post(intake.url(), Some(&same_length), event.clone()).await, 401);
        assert_eq!(post(intake.url(), Some(short), event.clone()).await, 401);
        assert!(rx.try_recv().is_err(), "nothing got through");
        // The credential with an event larger than the limit: refused unread.
        let big = format!("{{\"pad\":\"{}\"}}", "a".repeat(MAX_EVENT_BYTES)).into_bytes();
        assert_eq!(post(intake.url(), Some(intake.token()), big).await, 413);
        assert!(rx.try_recv().is_err());
        // Garbled JSON: a 400, nothing passed on.
        assert_eq!(
            post(intake.url(), Some(intake.token()), b"{nope".to_vec()).await,
            400
        );
        // The credential and a real event: delivered.
        assert_eq!(post(intake.url(), Some(intake.token()), event).await, 204);
        let got = rx.recv().await.expect("the event");
        assert_eq!(got["type"], "org.camaraproject.webrtc-events.v0.session-status");
    }
}
