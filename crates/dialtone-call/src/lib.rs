//! Dialtone's call logic, sans-IO in the str0m style: the call and bot machines take
//! commands, signals, media results and time, and hand back effects for a driver to carry
//! out. Nothing here does IO; `tests/no_io.rs` fails if an IO crate enters the tree.
//!
//! Hold and resume as the user sees them live in `machine.rs`; the driver that carries
//! them out is `dialtone_core::call::driver`, the SDP in `dialtone_core::media::session`.

pub mod address;
pub mod bot;
pub mod direction;
pub mod dtmf;
mod event;
pub mod lex;
pub mod machine;
pub mod media_watch;
pub mod number;
pub mod quality;
pub mod switchboard;
mod types;

pub use address::Address;
pub use direction::Direction;
pub use event::{CallEvent, LineCall, LineEvent, MAX_CALLER_CHARS, MAX_TEXT_CHARS, bounded_text};
pub use machine::{
    Allowed, CallError, CallMachine, CallState, Command, Effect, EndReason, Input, MediaOp, MediaResult,
    Signal, SignalOp,
};
pub use number::{NumberError, PhoneNumber, format_as_typed};
pub use quality::{Quality, QualityWarning};
pub use switchboard::{
    CallId, CallIds, LINE, LineAllowed, LineCommand, LineEffect, LineError, MAX_CALLS, Switchboard,
};

#[cfg(test)]
mod bot_tests;
#[cfg(test)]
mod ice_restart_tests;
#[cfg(test)]
mod switchboard_tests;
#[cfg(test)]
mod tests;
