//! CAMARA WebRTC's wire types and the differences between its versions.

pub mod dialect;
pub mod wire;

pub use dialect::{Dialect, EventKind};
