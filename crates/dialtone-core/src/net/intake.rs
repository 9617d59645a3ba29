//! An intake: a small HTTP server on loopback that a service POSTs JSON events to (a
//! CAMARA operator's CloudEvents, the Alexa skill relay's SPI events). It checks the
//! bearer credential we handed out and passes each event on.
//!
//! It serves HTTPS with a generated certificate (`net::LocalTls`); plain http only
//! towards a service on this machine (the sandbox). A real service must also be able
//! to reach it, which a desktop behind NAT rarely allows (see the README).

use super::{LocalTls, TlsListener};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

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
        let app = Router::new().route(path, post(receive::<T>)).with_state(state);
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

async fn receive<T: DeserializeOwned>(
    State(s): State<Arc<IntakeState<T>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
    let presented = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let log = |status: StatusCode| super::wire::incoming("notification", status.as_u16(), &body, &s.token);
    if presented != Some(s.token.as_str()) {
        log(StatusCode::UNAUTHORIZED);
        return reply(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "the sink credential of the subscription is missing or wrong",
        );
    }
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
