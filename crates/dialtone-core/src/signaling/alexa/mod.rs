//! Alexa calling: `Alexa.Comms.CallSignaling` (requests we POST, SPI events the skill
//! relays to us) and `StartCommunicationSession`.
//!
//! - `wire`: the flat CallSignaling messages;
//! - `session`: StartCommunicationSession, built and checked by the API's rules.

pub mod session;
pub mod wire;
