//! CAMARA WebRTC (registration, call handling, events).

pub mod wire;
