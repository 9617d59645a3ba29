//! An emulated Alexa: the `Alexa.Comms.CallSignaling` endpoint (state-checked: a request
//! out of order gets a 400, an unknown sessionId a 404), the skill relay that delivers
//! SPI events to a client's intake, and Alexa devices that are real WebRTC peers.
//!
//! - `amazon`: the messages as Amazon's tables define them (the sandbox's own JSON Schema
//!   files), checked both ways, and Amazon's error bodies;
//! - `signaling`: what the client POSTs, checked against each call's phase;
//! - `relay`: intake registrations, and delivering SPI events to them;
//! - `device`: the devices (`alexa:<name>`) and their side of both flows and of hold;
//! - `session`: StartCommunicationSession, which has a device call a Dialtone client.
//!
//! Everything lives under `/alexa`: the API root is `{sandbox}/alexa`, the relay's
//! root `{sandbox}/alexa/relay`.

pub mod amazon;
pub mod device;
pub mod relay;
pub mod session;
pub mod signaling;

use crate::far_end::FarEnd;
use crate::state::{Sandbox, lock};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

pub use relay::RelayEndpoint;

/// Under the sandbox's root.
pub const API_ROOT: &str = "/alexa";
pub const RELAY_ROOT: &str = "/alexa/relay";

/// Where a call is, as Alexa keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// The offer is out (InitiateInboundCall or InitiateOutboundCall).
    Offered,
    Ringing,
    InProgress,
    Connected,
}

/// One Alexa call.
pub struct AlexaCall {
    pub id: String,
    /// The device (`kitchen` for `alexa:kitchen`) and its documented quirks.
    pub device: device::Device,
    /// The device called the client.
    pub device_called: bool,
    pub relay: RelayEndpoint,
    pub phase: Mutex<Phase>,
    /// The request the device waits for from the client (an ack or CallUpdateResponse).
    pub awaiting: Mutex<Option<(&'static str, oneshot::Sender<serde_json::Value>)>>,
    /// Every message of the call in order: `→X` client to Alexa, `←X` Alexa to client.
    pub log: Mutex<Vec<String>>,
    pub far_end: tokio::sync::Mutex<Option<FarEnd>>,
    pub ended: tokio::sync::Notify,
    /// The name the device shows for the caller (InitiateInboundCall's custom parameters).
    pub caller_name: Mutex<Option<String>>,
    /// The client's answer in effect, when the device placed the call.
    pub client_answer: Mutex<Option<String>>,
}

impl AlexaCall {
    pub fn new(
        id: &str,
        device: device::Device,
        device_called: bool,
        relay: RelayEndpoint,
        far_end: Option<FarEnd>,
    ) -> Self {
        Self {
            id: id.to_owned(),
            device,
            device_called,
            relay,
            phase: Mutex::new(Phase::Offered),
            awaiting: Mutex::default(),
            log: Mutex::default(),
            far_end: tokio::sync::Mutex::new(far_end),
            ended: tokio::sync::Notify::new(),
            caller_name: Mutex::default(),
            client_answer: Mutex::default(),
        }
    }

    pub fn phase(&self) -> Phase {
        *lock(&self.phase)
    }

    pub fn set_phase(&self, p: Phase) {
        *lock(&self.phase) = p;
    }

    pub fn record(&self, entry: String) {
        lock(&self.log).push(entry);
    }

    /// The device's media, while it is on the call.
    pub async fn device_media(&self) -> Option<Arc<dialtone_core::media::MediaSession>> {
        self.far_end.lock().await.as_ref().map(|f| f.media.clone())
    }

    /// The client's direction as the device sees it (`recvonly` while the client holds).
    pub async fn client_direction(&self) -> Option<dialtone_core::media::Direction> {
        self.device_media()
            .await?
            .direction()
            .map(dialtone_core::media::Direction::reversed)
    }

    /// Arms the wait for the client's `name` before the message that asks for it goes out.
    pub fn expect(&self, name: &'static str) -> oneshot::Receiver<serde_json::Value> {
        let (tx, rx) = oneshot::channel();
        *lock(&self.awaiting) = Some((name, tx));
        rx
    }
}

#[derive(Default)]
pub struct AlexaState {
    pub calls: Mutex<HashMap<String, Arc<AlexaCall>>>,
    pub relays: Mutex<HashMap<String, RelayEndpoint>>,
    /// Every call's log, kept after it ends (tests read the whole conversation).
    pub logs: Mutex<HashMap<String, Vec<String>>>,
    /// CallSignaling requests taken so far: flat, and in the reference's envelope.
    pub forms: Mutex<(u64, u64)>,
}

impl AlexaState {
    pub fn call(&self, id: &str) -> Option<Arc<AlexaCall>> {
        lock(&self.calls).get(id).cloned()
    }
}

/// Ends a call on Alexa's side: forgets it, keeps its log, stops the device's media.
pub async fn end_call(s: &Sandbox, id: &str) {
    let Some(call) = lock(&s.alexa.calls).remove(id) else {
        return;
    };
    lock(&s.alexa.logs).insert(id.to_owned(), lock(&call.log).clone());
    if let Some(far) = call.far_end.lock().await.take() {
        far.close().await;
    }
    call.ended.notify_waiters();
}

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    signaling::routes()
        .merge(relay::routes())
        .merge(session::routes())
}
