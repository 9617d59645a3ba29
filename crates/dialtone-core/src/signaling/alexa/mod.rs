//! Alexa calling: `Alexa.Comms.CallSignaling` (requests we POST, SPI events the skill
//! relays to us) and `StartCommunicationSession`.
//!
//! - `wire`: the flat CallSignaling messages;
//! - `client`: the HTTP requests, and what each error status means;
//! - `relay`: how SPI events reach the desktop (the skill relay's contract);
//! - `provider`: the call state machine's requests in CallSignaling terms, hold/resume;
//! - `spi`: the SPI events from the relay, as signals and acks;
//! - `session`: StartCommunicationSession, built and checked by the API's rules.

pub mod client;
pub mod provider;
pub mod relay;
pub mod session;
mod spi;
// The message types, with no IO, fuzzed: dialtone-wire.
pub use dialtone_wire::alexa as wire;

/// The LWA scope calls need (the skill's `amazon_communication::calling` permission).
pub const CALLING_SCOPE: &str = "amazon_communication::calling";

pub use client::{AlexaClient, AlexaError, AlexaRegion};
pub use provider::{AlexaConfig, AlexaOptions, AlexaProvider};
