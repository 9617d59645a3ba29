//! What Dialtone reads off the wire, with no IO. The engine (`dialtone-core`) re-exports
//! these modules where they used to live, so `dialtone_core::media::sdp` still works; they
//! live here so the fuzz targets (`fuzz/`) build in a minute instead of compiling webrtc-rs,
//! Tauri and the AWS SDK.
//!
//! - [`sdp`]: the SDP reading and rewriting the engine does on top of the stack;
//! - [`telephone_event`]: RFC 4733 telephone-event lines in the SDP we send;
//! - [`dtmf`]: RFC 4733 event payloads, sent and received;
//! - [`jitter`]: the adaptive jitter buffer;
//! - [`camara`], [`alexa`]: the APIs' message types, as their specs name them;
//! - [`transcript`]: the signaling transcript, with secrets taken out of what peers send.

pub mod alexa;
pub mod camara;
pub mod codec;
pub mod dtmf;
pub mod jitter;
pub mod sdp;
pub mod telephone_event;
pub mod transcript;

pub use codec::CodecName;
