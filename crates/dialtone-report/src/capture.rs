//! The transcript's tap: a `tracing` layer that keeps what `dialtone_core::net::wire`
//! says (requests, answers, incoming messages, SDPs), with when it was said.

use crate::model::Message;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{Filtered, Targets};
use tracing_subscriber::layer::Context;

/// The most messages a tap keeps; later ones are counted, not kept (a call that restarts
/// ICE all night must not grow without bound).
pub const MAX_MESSAGES: usize = 5000;

/// Cheap to clone: the clones share what was captured.
#[derive(Clone, Default)]
pub struct WireTap {
    inner: Arc<Mutex<Captured>>,
}

#[derive(Default)]
struct Captured {
    messages: Vec<(Instant, Message)>,
    dropped: usize,
}

impl WireTap {
    /// The process's tap: one per process, as the logging it is part of.
    pub fn global() -> &'static WireTap {
        static TAP: std::sync::OnceLock<WireTap> = std::sync::OnceLock::new();
        TAP.get_or_init(WireTap::default)
    }

    /// The layer to install, listening to `target` (`dialtone_core::net::wire::TARGET`)
    /// only, whatever the other layers log.
    pub fn layer<S>(&self, target: &str) -> Filtered<WireTap, Targets, S>
    where
        S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        self.clone()
            .with_filter(Targets::new().with_target(target, tracing::Level::INFO))
    }

    /// Everything captured so far (and how many were not kept), leaving the tap empty.
    pub fn take(&self) -> (Vec<(Instant, Message)>, usize) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (std::mem::take(&mut c.messages), std::mem::take(&mut c.dropped))
    }

    /// A copy of everything captured so far, leaving it in place (a reader besides the
    /// report, such as the preflight).
    pub fn messages(&self) -> Vec<(Instant, Message)> {
        let c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        c.messages.clone()
    }

    /// A copy of what was said at `from` or later, about `call` or about no call in
    /// particular (a line that carries several calls, one report each).
    pub fn since(&self, from: Instant, call: u32) -> Vec<(Instant, Message)> {
        let c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        c.messages
            .iter()
            .filter(|(at, m)| *at >= from && m.call.is_none_or(|c| c == call))
            .cloned()
            .collect()
    }

    /// Forgets what was said before `at` (a long-lived line keeps only what a report may
    /// still need).
    pub fn forget_before(&self, at: Instant) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        c.messages.retain(|(t, _)| *t >= at);
    }

    /// Keeps one message (what the layer does with each event; tests call it directly).
    pub fn push(&self, at: Instant, m: Message) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if c.messages.len() < MAX_MESSAGES {
            c.messages.push((at, m));
        } else {
            c.dropped += 1;
        }
    }
}

impl<S: Subscriber> Layer<S> for WireTap {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut v = Fields(Message::default());
        event.record(&mut v);
        self.push(Instant::now(), v.0);
    }
}

struct Fields(Message);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        let m = &mut self.0;
        match field.name() {
            "kind" => m.kind = value.to_owned(),
            "operation" => m.operation = value.to_owned(),
            "method" => m.method = Some(value.to_owned()),
            "url" => m.url = Some(value.to_owned()),
            "error" => m.error = Some(value.to_owned()),
            "why" if !value.is_empty() => m.why = Some(value.to_owned()),
            "body" => m.body = value.to_owned(),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "status" => self.0.status = u16::try_from(value).ok(),
            "call" => self.0.call = u32::try_from(value).ok(),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(v) = u64::try_from(value) {
            self.record_u64(field, v);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // `%` fields (the bodies) arrive as Debug of a Display: their text.
        self.record_str(field, &format!("{value:?}"));
    }
}
