//! The media engine: one WebRTC audio session per call, on webrtc-rs 0.21.
//!
//! - `session`: offer/answer, hold/resume, ICE restart (start here);
//! - `pipeline`: the send, receive and playout tasks;
//! - `codec`, `jitter`, `dtmf`, `rtp_stream`, `sdp`: the parts they are built from.

pub mod analysis;
pub mod capture;
pub mod codec;
mod config;
pub mod direction;
mod dtls_guard;
pub mod engine;
mod error;
pub mod impair;
pub mod io;
mod loss_adapt;
pub mod mix;
pub mod payload_filter;
mod pipeline;
mod playout_phase;
mod rtcp_tap;
pub mod rtp_stream;
mod send_gate;
mod session;
pub mod socket;
pub mod stats;

// Read off the wire, so fuzzed: they live in dialtone-wire, with no IO.
use dialtone_wire::telephone_event;
pub use dialtone_wire::{dtmf, jitter, sdp};

pub use codec::CodecName;
pub use config::MediaConfig;
pub use direction::Direction;
pub use engine::{EngineFactory, MediaEngine, WebrtcEngines};
pub use error::MediaError;
pub use io::{AudioSink, AudioSource};
pub use pipeline::RxHeader;
pub use session::{MediaEvent, MediaSession, OfferKind};
pub use stats::MediaStats;
