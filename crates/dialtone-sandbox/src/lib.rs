//! The sandbox network: a local CAMARA WebRTC operator on 127.0.0.1, faithful to the
//! specs in `shared/specs/camara/` (r2.2, wip or next: `SandboxConfig::camara`, and
//! CAMARA Commonalities in `commons`), with far ends that are real WebRTC
//! peers on Dialtone's own media engine. With no account configured, the app and the CLI
//! call into it, so a demo works on a fresh machine.
//!
//! - `auth`: OAuth2 client-credentials token endpoint, OIDC discovery, bearer checks;
//! - `registration`, `calls`, `events`: the three CAMARA APIs;
//! - `far_end`: the numbers and how each behaves (the directory is [`far_end::DIRECTORY`]);
//! - `relay`: calls between registered clients (+15550190…199);
//! - `phone`: the browser phone at `/phone`, and its event stream;
//! - `control`: status for QA, "call me", and fault injection for tests.

pub mod alexa;
mod auth;
mod calls;
mod clock;
mod commons;
mod control;
mod errors;
mod events;
pub mod far_end;
pub mod lex;
pub mod lwa;
mod phone;
mod registration;
mod relay;
mod state;

pub use auth::SandboxCredentials;
pub use control::{AlexaCallView, FaultKind, STATUS_PATH, SandboxStatus, SessionView};
pub use state::SandboxConfig;

use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// A running sandbox. Dropping it stops the server and every far end.
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<state::Sandbox>,
    server: JoinHandle<()>,
}

impl Sandbox {
    /// Starts on `listen` (use `127.0.0.1:0` for a free port).
    pub async fn start(listen: SocketAddr, config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        // Event streams interleave small frames both ways (20 ms audio up, replies down):
        // with Nagle, a reply waits for the ACK riding on the caller's next audio frame.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
        let state = Arc::new(state::Sandbox::new(addr, config).map_err(std::io::Error::other)?);
        let app = router(state.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        tracing::info!(%addr, "sandbox listening");
        Ok(Sandbox { addr, state, server })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The CAMARA version it speaks.
    pub fn camara(&self) -> dialtone_core::signaling::camara::Dialect {
        self.state.dialect()
    }

    /// `http://127.0.0.1:<port>`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The client id and secret the sandbox accepts.
    pub fn credentials(&self) -> SandboxCredentials {
        self.state.credentials()
    }

    /// Registrations and sessions as the far ends see them.
    pub async fn status(&self) -> SandboxStatus {
        control::status(&self.state).await
    }

    /// Sends a session-invitation to the newest registration (the sandbox calls you).
    pub async fn call_me(&self, from: Option<String>) -> Result<String, String> {
        control::call_me(&self.state, from).await
    }

    /// The last `d` of what the far end of session `id` heard (tone far ends), with
    /// its rate: what a test checks the far end hears of us (and, merged, of the others).
    pub async fn far_end_heard(&self, id: &str, d: std::time::Duration) -> Option<(u32, Vec<i16>)> {
        let session = self.state.session(id)?;
        let far = session.far_end.lock().await;
        far.as_ref()?.heard.as_ref().map(|h| h.tail(d))
    }

    /// Makes the next `count` API requests fail as `kind` (tests).
    pub fn inject_fault(&self, kind: FaultKind, count: u32) {
        self.state.inject_fault(kind, count);
    }

    /// The same, only on requests whose path contains `within` (a session id).
    pub fn inject_fault_on(&self, kind: FaultKind, count: u32, within: &str) {
        self.state.inject_fault_on(kind, count, within);
    }

    /// Invalidates every access token issued so far: the next request gets a 401.
    /// Ends every registration as the network would (registration-ends, NETWORK_TERMINATED).
    pub async fn end_registrations(&self) {
        let ids: Vec<String> = state::lock(&self.state.registrations).keys().cloned().collect();
        for id in ids {
            registration::end(&self.state, &id, "NETWORK_TERMINATED", "ended by the sandbox").await;
        }
    }

    pub fn revoke_tokens(&self) {
        self.state.revoke_tokens();
    }

    /// An Alexa device calls the newest client registered with the skill relay
    /// (InitiateOutboundCall); the sessionId.
    pub async fn alexa_call_me(&self, device: &str) -> Result<String, String> {
        alexa::device::call_client(&self.state, device, None).await
    }

    /// The device of Alexa call `session` holds (true) or resumes the client.
    pub async fn alexa_hold(&self, session: &str, hold: bool) -> Result<(), String> {
        let call = self.state.alexa.call(session).ok_or("no such Alexa call")?;
        alexa::device::renegotiate(&call, hold).await
    }

    /// The device of Alexa call `session` hangs up (CallEnded SUCCESS).
    pub async fn alexa_hang_up(&self, session: &str) -> Result<(), String> {
        let call = self.state.alexa.call(session).ok_or("no such Alexa call")?;
        let code = alexa::device::result_codes::SUCCESS;
        alexa::device::hang_up(&self.state, &call, code, "Call ended by user").await;
        Ok(())
    }

    /// Delivers any SPI event to the newest client on the skill relay (tests of what a
    /// client does with events that do not fit). False when it was not taken.
    pub async fn alexa_deliver(&self, m: &serde_json::Value) -> bool {
        match alexa::relay::find(&self.state, None) {
            Some(r) => alexa::relay::post_to(&r, m).await,
            None => false,
        }
    }

    /// CallSignaling requests taken so far: (flat, enveloped).
    pub fn alexa_request_forms(&self) -> (u64, u64) {
        *state::lock(&self.state.alexa.forms)
    }

    /// Every message of Alexa call `session`, in order (`→X` from the client, `←X` to it).
    pub fn alexa_log(&self, session: &str) -> Vec<String> {
        if let Some(call) = self.state.alexa.call(session) {
            return state::lock(&call.log).clone();
        }
        state::lock(&self.state.alexa.logs)
            .get(session)
            .cloned()
            .unwrap_or_default()
    }

    /// The intake URLs the clients registered with the skill relay.
    pub fn alexa_intakes(&self) -> Vec<String> {
        state::lock(&self.state.alexa.relays)
            .values()
            .map(|r| r.url.clone())
            .collect()
    }

    /// The phone numbers of the clients on the skill relay.
    pub fn alexa_numbers(&self) -> Vec<String> {
        state::lock(&self.state.alexa.relays)
            .values()
            .map(|r| r.phone_number.clone())
            .collect()
    }

    /// The sessionIds of Alexa calls, live or ended.
    pub fn alexa_sessions(&self) -> Vec<String> {
        let mut ids: Vec<String> = state::lock(&self.state.alexa.calls).keys().cloned().collect();
        ids.extend(state::lock(&self.state.alexa.logs).keys().cloned());
        ids
    }

    /// The direction the device of Alexa call `session` sees from the client
    /// (`recvonly` while the client holds).
    pub async fn alexa_client_direction(&self, session: &str) -> Option<dialtone_core::media::Direction> {
        self.state.alexa.call(session)?.client_direction().await
    }

    /// What the Lex runtime saw of each conversation, oldest first.
    pub fn lex_conversations(&self) -> Vec<lex::LexConversationView> {
        self.state.lex.views()
    }

    /// The next StartConversation fails with `exception` (such as ThrottlingException),
    /// as its HTTP answer or as an exception frame after the ConfigurationEvent.
    pub fn lex_fault(&self, exception: &str, strike: lex::Strike) {
        *state::lock(&self.state.lex.fault) = Some((exception.to_owned(), strike));
    }

    pub async fn stop(self) {
        self.state.shutdown().await;
        self.server.abort();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn router(state: Arc<state::Sandbox>) -> Router {
    let dialect = state.dialect();
    Router::new()
        .merge(auth::routes())
        .merge(registration::routes(dialect))
        .merge(calls::routes(dialect))
        .merge(events::routes(dialect))
        .merge(
            control::routes().route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                control::only_with_control_token,
            )),
        )
        .merge(phone::routes())
        .merge(alexa::routes())
        .merge(lwa::routes())
        .merge(lex::routes())
        .fallback(commons::unknown_path)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            control::faults,
        ))
        .layer(axum::middleware::from_fn(commons::correlator))
        .with_state(state)
}
