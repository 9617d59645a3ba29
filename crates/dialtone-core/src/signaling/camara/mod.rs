//! CAMARA WebRTC: registration, call handling, events.
//!
//! - `dialect`: what differs between r2.2, wip and next, in one table; `detect` finds
//!   which one an operator speaks;
//! - `wire`: the specs' JSON types;
//! - `client`: one method per operation, tokens, retries, error messages;
//! - `provider`: the call state machine's requests in CAMARA terms.

pub mod client;
pub mod detect;
pub mod provider;

pub use client::{CamaraClient, CamaraEndpoints, CamaraError};
// The wire types and the dialects, with no IO, fuzzed: dialtone-wire.
pub use dialtone_wire::camara::{Dialect, EventKind, dialect, wire};
pub use provider::{CamaraConfig, CamaraProvider};
