//! What the switchboard is asked (`LineCommand`), what it hands back (`LineEffect`), what
//! it lets the user do (`LineAllowed`) and how it refuses (`LineError`).

use super::{CallId, MAX_CALLS};
use crate::address::Address;
use crate::bot::BotEffect;
use crate::machine::{CallError, Effect};

/// What the user asks of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineCommand {
    /// Register so calls can come in (a listener).
    Register,
    /// Places a new call, holding the active one first.
    Dial(Address),
    /// Answers a ringing call, holding the active one first.
    Answer(CallId),
    Decline(CallId),
    Hangup(CallId),
    /// Holds a call; on a leg of a merged call, holds every leg.
    Hold(CallId),
    /// Resumes a held call; with another call active this is a swap.
    Resume(CallId),
    /// Joins a held call to the active call (or the merged call): each far end hears us
    /// and the others.
    Merge(CallId),
    /// Ends the mixing: the first leg stays active, the others are held.
    Split,
    /// Mute applies to us in every call.
    Mute(bool),
    /// Tones go to the one active call.
    Dtmf(String),
    /// Typed text goes to the active call (a bot conversation).
    Text(String),
}

/// What the user may do with the line (beside what each call's machine allows).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LineAllowed {
    /// Place a call (another one too: the active call is held first).
    pub dial: bool,
    /// Split a merged call.
    pub split: bool,
}

/// What the line hands back for the driver to carry out or report, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum LineEffect {
    /// An effect of one call's machine.
    Call(CallId, Effect),
    /// An effect of one bot conversation's machine.
    Bot(CallId, BotEffect),
    /// Register the line (asked for by no call: a listener, or after the network ended
    /// the registration between calls).
    Register,
    /// A new call appeared (dialled or ringing in); its effects follow.
    Added(CallId),
    /// The call ended and left the line.
    Removed(CallId),
    /// The call-waiting tone in the active call's audio starts (true) or stops.
    WaitingTone(bool),
    /// Mix these calls' audio, each far end hearing us and the others but not itself;
    /// empty: no mixing.
    Mix(Vec<CallId>),
    /// Something failed without ending a call (each call's own errors come as `Call`).
    Error(LineError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("there is no call {0} on the line")]
    NoSuchCall(CallId),
    #[error("the line already carries {MAX_CALLS} calls; hang one up first")]
    Full,
    #[error("a call from {from} was declined: the line already carries {MAX_CALLS} calls")]
    DeclinedFull { from: String },
    #[error("cannot {what} now: {why}")]
    Busy { what: &'static str, why: String },
    #[error("call {call}: {error}")]
    Call { call: CallId, error: CallError },
    /// About the line itself (its registration).
    #[error(transparent)]
    Line(CallError),
    #[error("call {held} could not be held, so {then}; call {held} stays active")]
    HoldFailed { held: CallId, then: String },
    #[error("swap to call {to} failed; resuming call {back} again")]
    SwapFailed { to: CallId, back: CallId },
    #[error("call {0} could not be resumed to merge it; it stays on hold")]
    MergeFailed(CallId),
    #[error("this line reaches no Lex bots; add a Lex account (Settings) or use the built-in sandbox")]
    NoBots,
}

/// A line's refusal in the single-call terms (`CallHandle::command`).
impl From<LineError> for CallError {
    fn from(e: LineError) -> Self {
        match e {
            LineError::Call { error, .. } | LineError::Line(error) => error,
            other => CallError::Refused {
                code: other.code(),
                why: other.to_string(),
            },
        }
    }
}

impl LineError {
    /// A stable code for scripts (`{"event":"error","code":…}`).
    pub fn code(&self) -> &'static str {
        match self {
            LineError::NoSuchCall(_) => "NO_SUCH_CALL",
            LineError::Full => "LINE_FULL",
            LineError::DeclinedFull { .. } => "DECLINED_LINE_FULL",
            LineError::Busy { .. } => "LINE_BUSY",
            LineError::Call { error, .. } | LineError::Line(error) => error.code(),
            LineError::HoldFailed { .. } => "HOLD_FAILED",
            LineError::SwapFailed { .. } => "SWAP_FAILED",
            LineError::MergeFailed(_) => "MERGE_FAILED",
            LineError::NoBots => "NO_BOTS",
        }
    }
}
