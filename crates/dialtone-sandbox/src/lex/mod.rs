//! An emulated Amazon Lex V2 runtime: StartConversation over the event-stream framing the
//! SDK speaks (`frames`), its checks (SigV4 Authorization shape, ids, conflicts), and
//! one demo bot (`demo_bot`, `lex:DEMOBOT001`) with spoken prompts. The runtime's root is
//! `{sandbox}/lex`: point the SDK's endpoint URL there.
//!
//! - `conversation`: the HTTP side and the loop of one conversation;
//! - `demo_bot`: what the bot says and does;
//! - `frames`: reading the client's signed frames, writing events and exceptions.

mod conversation;
pub mod demo_bot;
pub mod frames;

use crate::state::lock;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub const LEX_ROOT: &str = "/lex";

/// How often the bot sends a HeartbeatEvent.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(2);

/// Where an injected exception strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strike {
    /// As the HTTP answer to StartConversation.
    Http,
    /// As an exception frame once the conversation has started.
    Stream,
}

/// What the sandbox saw of one conversation, for tests and QA.
#[derive(Debug, Clone, Default)]
pub struct LexConversationView {
    pub session_id: String,
    pub bot_id: String,
    /// `AUDIO` or `TEXT`.
    pub mode: String,
    /// Every client event but audio, in order (`ConfigurationEvent`, `DTMFInputEvent:1`,
    /// `TextInputEvent:book a room`, `PlaybackCompletionEvent`, `DisconnectionEvent`, `End`).
    pub received: Vec<String>,
    /// The ConfigurationEvent as sent.
    pub configuration: Option<serde_json::Value>,
    /// AudioInputEvents: how many, and each distinct chunk size in bytes.
    pub audio_events: u64,
    pub chunk_sizes: Vec<usize>,
    pub audio_content_types: Vec<String>,
    /// The caller's audio as received (8 kHz), at most the last 60 s.
    pub audio: Vec<i16>,
    /// What the bot sent, audio collapsed (`AudioResponseEvent` once per prompt).
    pub sent: Vec<String>,
    /// When each barge-in (PlaybackInterruptionEvent) left the sandbox.
    pub interruptions: Vec<Instant>,
    pub ended: bool,
}

#[derive(Default)]
pub struct LexState {
    pub conversations: Mutex<Vec<Arc<Mutex<LexConversationView>>>>,
    /// The next conversations fail with this exception.
    pub fault: Mutex<Option<(String, Strike)>>,
    /// Sessions in a conversation now.
    live: Mutex<HashSet<String>>,
}

impl LexState {
    pub fn views(&self) -> Vec<LexConversationView> {
        lock(&self.conversations)
            .iter()
            .map(|c| lock(c).clone())
            .collect()
    }
}

pub fn routes() -> axum::Router<Arc<crate::state::Sandbox>> {
    conversation::routes()
}

/// The shape of a Lex error answer (restJson1): status, `x-amzn-ErrorType`, `{message}`.
pub fn status_of(exception: &str) -> u16 {
    match exception {
        "AccessDeniedException" => 403,
        "ThrottlingException" => 429,
        "ValidationException" => 400,
        "ResourceNotFoundException" => 404,
        "ConflictException" => 409,
        "BadGatewayException" => 502,
        "DependencyFailedException" => 424,
        _ => 500,
    }
}
