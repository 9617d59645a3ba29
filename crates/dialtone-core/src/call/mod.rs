//! Calls: the sans-IO state machine (`machine`) and the numbers it dials (`number`).
//! Hold and resume as the user sees them live in `machine.rs`; what they do on the wire
//! lives in `media/session.rs`.

pub mod address;
pub mod bot;
pub mod driver;
pub mod machine;
pub mod media_watch;
pub mod number;
pub mod quality;
mod types;

pub use address::Address;
pub use driver::{AudioFactory, CallDriver, CallEvent, CallHandle};
pub use machine::{
    CallError, CallMachine, CallState, Command, Effect, EndReason, Input, MediaOp, MediaResult, Signal,
    SignalOp,
};
pub use number::{NumberError, PhoneNumber, format_as_typed};
pub use quality::{Quality, QualityWarning};

#[cfg(test)]
mod bot_tests;
#[cfg(test)]
mod ice_restart_tests;
#[cfg(test)]
mod tests;
