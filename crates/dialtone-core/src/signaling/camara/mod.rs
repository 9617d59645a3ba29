//! CAMARA WebRTC: registration, call handling, events.
//!
//! - `wire`: the specs' JSON types;
//! - `client`: one method per operation, tokens, retries, error messages;
//! - `provider`: the call state machine's requests in CAMARA terms.

pub mod client;
pub mod provider;
pub mod wire;

pub use client::{CamaraClient, CamaraEndpoints, CamaraError};
pub use provider::{CamaraConfig, CamaraProvider};
