//! Our event sink: a small HTTP server on loopback that the operator POSTs CloudEvents
//! to. It checks the bearer credential we handed out with the subscription.
//!
//! It serves HTTPS with a generated certificate (`net::LocalTls`); plain http only
//! towards an operator on this machine (the sandbox). A real operator must also be able
//! to reach the sink, which a desktop behind NAT rarely allows (see the README).

use super::wire::CloudEvent;
use crate::net::{LocalTls, TlsListener};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub const SINK_PATH: &str = "/dialtone/events";

struct SinkState {
    token: String,
    events: mpsc::Sender<CloudEvent>,
}

/// A running sink. Dropping it stops the server.
pub struct EventSink {
    url: String,
    token: String,
    server: JoinHandle<()>,
}

impl EventSink {
    /// Listens on `bind` (`127.0.0.1:0` for any free port), over HTTPS when `tls` is
    /// given; events arrive on the receiver.
    pub async fn start(
        bind: SocketAddr,
        tls: Option<&LocalTls>,
    ) -> std::io::Result<(EventSink, mpsc::Receiver<CloudEvent>)> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let token = format!("sink-{}", uuid::Uuid::new_v4().simple());
        let (tx, rx) = mpsc::channel(64);
        let state = Arc::new(SinkState {
            token: token.clone(),
            events: tx,
        });
        let app = Router::new().route(SINK_PATH, post(receive)).with_state(state);
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = match tls {
            Some(tls) => {
                let listener = TlsListener::new(listener, tls)?;
                tokio::spawn(async move {
                    if let Err(e) = axum::serve(listener, app).await {
                        tracing::warn!(error = %e, "event sink stopped");
                    }
                })
            }
            None => tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::warn!(error = %e, "event sink stopped");
                }
            }),
        };
        Ok((
            EventSink {
                url: format!("{scheme}://{addr}{SINK_PATH}"),
                token,
                server,
            },
            rx,
        ))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The credential the operator must present (our `sinkCredential.accessToken`).
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl Drop for EventSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn receive(State(s): State<Arc<SinkState>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let presented = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    if presented != Some(s.token.as_str()) {
        return StatusCode::UNAUTHORIZED;
    }
    let event: CloudEvent = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "the operator sent an event we cannot read");
            return StatusCode::BAD_REQUEST;
        }
    };
    if s.events.send(event).await.is_err() {
        // We are shutting down (say, the subscription-ended that our own DELETE caused):
        // the event was delivered, there is just nothing left to do with it.
        tracing::debug!("event after shutdown");
    }
    StatusCode::NO_CONTENT
}
