//! Signaling, one module per API. A provider carries out the call state machine's
//! requests ([`SignalOp`]) in its API's terms and reports what happens as [`Signal`]s.

pub mod alexa;
pub mod camara;
pub mod lex;
mod sessions;

pub(crate) use sessions::{NetworkSession, Sessions};

use crate::call::{CallId, CallIds, Signal, SignalOp};
use tokio::sync::mpsc;

#[derive(Debug, thiserror::Error)]
pub enum SignalingError {
    #[error(transparent)]
    Camara(#[from] camara::CamaraError),
    #[error(transparent)]
    Alexa(#[from] alexa::AlexaError),
    #[error("{0}")]
    State(String),
    #[error("the event sink could not start: {0}")]
    Sink(String),
    #[error("{0}")]
    Unsupported(String),
}

impl SignalingError {
    /// A stable code for JSON output.
    pub fn code(&self) -> String {
        match self {
            SignalingError::Camara(e) => e.code(),
            SignalingError::Alexa(e) => e.code(),
            SignalingError::State(_) => "STATE".into(),
            SignalingError::Sink(_) => "SINK".into(),
            SignalingError::Unsupported(_) => "UNSUPPORTED".into(),
        }
    }
}

/// Options of the next outgoing call that only some providers understand.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    pub emergency: bool,
    /// PIDF-LO shaped location (CAMARA `locationDetails`).
    pub location: Option<serde_json::Value>,
}

/// Where a provider sends what the network says, each signal addressed to a call on the
/// line (or to [`crate::call::LINE`] for the registration).
#[derive(Debug, Clone)]
pub struct SignalSender {
    tx: mpsc::Sender<(CallId, Signal)>,
    ids: CallIds,
}

impl SignalSender {
    pub async fn send(&self, call: CallId, s: Signal) {
        // The driver gone means the line is closing: nobody is left to tell.
        let _ = self.tx.send((call, s)).await;
    }

    /// An id for a call that rings in, from the line's shared counter.
    pub fn new_call(&self) -> CallId {
        self.ids.next()
    }
}

/// The driver's end: the signals, and the counter its switchboard numbers calls from.
#[derive(Debug)]
pub struct SignalReceiver {
    pub signals: mpsc::Receiver<(CallId, Signal)>,
    pub ids: CallIds,
}

pub fn signal_channel() -> (SignalSender, SignalReceiver) {
    let (tx, signals) = mpsc::channel(64);
    let ids = CallIds::default();
    (
        SignalSender { tx, ids: ids.clone() },
        SignalReceiver { signals, ids },
    )
}

#[async_trait::async_trait]
pub trait SignalingProvider: Send + Sync + 'static {
    /// Carries out one request for `call`. What follows from it (the far end's answer,
    /// its events) arrives later on the signal channel; an `Err` means the request itself
    /// failed.
    async fn request(&self, call: CallId, op: SignalOp) -> Result<(), SignalingError>;
    /// The channel of signals from the network. Taken once, by the call driver.
    fn take_signals(&self) -> Option<SignalReceiver>;
    /// Applies to the next `CreateSession`.
    fn set_call_options(&self, _options: CallOptions) {}
    /// The number the network gave us, once registered.
    fn own_number(&self) -> Option<String> {
        None
    }
    /// Unregisters and stops background work.
    async fn shutdown(&self);
}
