//! Calls: the sans-IO logic lives in `dialtone-call` (re-exported here, so
//! `dialtone_core::call::…` paths name it); the driver that carries out its effects on a
//! media session and a signaling provider is `driver`.

pub mod driver;
pub(crate) mod handle;
mod leg;

pub use dialtone_call::{
    Address, Allowed, CallError, CallEvent, CallId, CallIds, CallMachine, CallState, Command, Effect,
    EndReason, Input, LINE, LineAllowed, LineCall, LineCommand, LineEffect, LineError, LineEvent, MediaOp,
    MediaResult, NumberError, PhoneNumber, Quality, QualityWarning, Signal, SignalOp, Switchboard, address,
    bot, format_as_typed, machine, media_watch, number, quality,
};
pub use driver::CallDriver;
pub use handle::CallHandle;
pub(crate) use handle::{Control, DriverEnds};

#[cfg(test)]
mod driver_tests;
