//! Calls: the sans-IO logic lives in `dialtone-call` (re-exported here, so
//! `dialtone_core::call::…` paths name it); the driver that carries out its effects on a
//! media session and a signaling provider is `driver`.

pub mod driver;

pub use dialtone_call::{
    Address, Allowed, CallError, CallEvent, CallMachine, CallState, Command, Effect, EndReason, Input,
    MediaOp, MediaResult, NumberError, PhoneNumber, Quality, QualityWarning, Signal, SignalOp, address, bot,
    format_as_typed, machine, media_watch, number, quality,
};
pub use driver::{CallDriver, CallHandle};

#[cfg(test)]
mod driver_tests;
