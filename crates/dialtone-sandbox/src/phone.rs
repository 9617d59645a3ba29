//! The browser phone: `/phone` is a page (plain HTML and JS, nothing from outside) that
//! registers with the sandbox over the same CAMARA APIs as any client and calls or takes
//! calls with the browser's own WebRTC stack. A page cannot host an event sink, so it
//! reads its events from a sandbox-only server-sent-event stream instead.

use crate::state::Sandbox;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures_util::Stream;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast;

pub const PHONE_PATH: &str = "/phone";
pub const EVENTS_PATH: &str = "/sandbox/v1/phone/events";

const PAGE: &str = include_str!("phone.html");

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    axum::Router::new()
        .route(PHONE_PATH, get(page))
        .route(EVENTS_PATH, get(events))
}

/// The page, with the sandbox's endpoints and its (public, sandbox-only) client
/// credentials: the page gets a token like any client.
async fn page(State(s): State<Arc<Sandbox>>) -> Response {
    let dialect = s.dialect();
    // next: a client-credentials client names the number it registers.
    let number = dialect
        .registration_names_phone_number()
        .then(|| s.allocate_number());
    let config = serde_json::json!({
        "token": crate::auth::TOKEN_PATH,
        "clientId": s.config.client_id,
        "clientSecret": s.config.client_secret,
        "registration": dialect.registration_base(),
        "calls": dialect.call_handling_base(),
        "subscriptions": dialect.events_base(),
        "events": EVENTS_PATH,
        "phoneNumber": number,
    });
    // `</` cannot close the script element from inside a JSON string.
    let config = config.to_string().replace("</", "<\\/");
    let html = PAGE.replace("/*CONFIG*/{}", &config);
    (
        [
            ("content-security-policy", "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'; media-src 'self' blob:"),
            ("cache-control", "no-store"),
        ],
        Html(html),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Who {
    device_id: String,
}

/// Every CloudEvent for one device, as it is sent to sinks.
async fn events(
    State(s): State<Arc<Sandbox>>,
    Query(who): Query<Who>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = s.streams.subscribe();
    let stream = futures_util::stream::unfold((rx, who.device_id), |(mut rx, device)| async move {
        loop {
            match rx.recv().await {
                Ok((to, json)) if to == device => {
                    return Some((Ok(Event::default().data(json)), (rx, device)));
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
