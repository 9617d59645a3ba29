//! What goes into the call machine (commands, signals, media results) and what comes out
//! of it (effects, states, errors). `machine.rs` holds the rules that connect them.

use crate::Direction;
use crate::address::Address;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", content = "reason")]
pub enum CallState {
    Idle,
    Registering,
    Dialing,
    Ringing,
    Proceeding,
    Connected,
    Holding,
    Held,
    Resuming,
    Alerting,
    Answering,
    Ending,
    Ended(EndReason),
}

impl CallState {
    /// The state's name as the CLI and UI print it.
    /// Every state's name, in the order a call meets them.
    pub const NAMES: [&'static str; 13] = [
        "Idle",
        "Registering",
        "Dialing",
        "Ringing",
        "Proceeding",
        "Connected",
        "Holding",
        "Held",
        "Resuming",
        "Alerting",
        "Answering",
        "Ending",
        "Ended",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            CallState::Idle => "Idle",
            CallState::Registering => "Registering",
            CallState::Dialing => "Dialing",
            CallState::Ringing => "Ringing",
            CallState::Proceeding => "Proceeding",
            CallState::Connected => "Connected",
            CallState::Holding => "Holding",
            CallState::Held => "Held",
            CallState::Resuming => "Resuming",
            CallState::Alerting => "Alerting",
            CallState::Answering => "Answering",
            CallState::Ending => "Ending",
            CallState::Ended(_) => "Ended",
        }
    }

    /// A call exists (media may be set up) and has not ended.
    pub fn is_active(&self) -> bool {
        !matches!(
            self,
            CallState::Idle | CallState::Registering | CallState::Ended(_)
        )
    }

    /// Media is established: the states in which the call is "up".
    pub fn is_established(&self) -> bool {
        matches!(
            self,
            CallState::Connected | CallState::Holding | CallState::Held | CallState::Resuming
        )
    }
}

/// What the user may do now, as the machine that runs the call enforces it: the window
/// enables its controls from this, and never keeps rules of its own.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Allowed {
    pub dial: bool,
    pub answer: bool,
    pub decline: bool,
    pub hangup: bool,
    pub hold: bool,
    pub resume: bool,
    pub mute: bool,
    pub dtmf: bool,
    /// Typed text (bot calls).
    pub text: bool,
}

impl Allowed {
    pub fn permits(&self, c: &Command) -> bool {
        match c {
            // Registering is the line's business, not a control.
            Command::Register => false,
            Command::Dial(_) => self.dial,
            Command::Answer => self.answer,
            Command::Decline => self.decline,
            Command::Hangup => self.hangup,
            Command::Hold => self.hold,
            Command::Resume => self.resume,
            Command::Mute(_) => self.mute,
            Command::Dtmf(_) => self.dtmf,
            Command::Text(_) => self.text,
        }
    }
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallState::Ended(r) => write!(f, "Ended ({r})"),
            s => f.write_str(s.name()),
        }
    }
}

/// Why a call ended. The names follow CAMARA's session statuses where they exist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum EndReason {
    /// We hung up.
    Hangup,
    /// The far end hung up.
    Terminated,
    Busy,
    NoAnswer,
    Declined,
    NotReachable,
    /// The caller gave up before we answered.
    SessionCancelled,
    /// We declined an incoming call.
    Rejected,
    /// No audio arrived for the media timeout: we hung up.
    MediaTimeout,
    Failed(String),
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndReason::Failed(why) => write!(f, "Failed: {why}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// What the user asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Register with the network so calls can come in.
    Register,
    Dial(Address),
    Answer,
    Decline,
    Hangup,
    Hold,
    Resume,
    Mute(bool),
    Dtmf(String),
    /// Typed text, for bot calls.
    Text(String),
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Register => "register",
            Command::Dial(_) => "dial",
            Command::Answer => "answer",
            Command::Decline => "decline",
            Command::Hangup => "hang up",
            Command::Hold => "hold",
            Command::Resume => "resume",
            Command::Mute(true) => "mute",
            Command::Mute(false) => "unmute",
            Command::Dtmf(_) => "send DTMF",
            Command::Text(_) => "send text",
        }
    }
}

/// What signaling reports (a provider's events and the outcome of its requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    Registered,
    RegistrationFailed(String),
    /// The network ended our registration (expired, or ended by the operator).
    RegistrationLost(String),
    /// An incoming call.
    Invitation {
        from: String,
        offer: String,
    },
    Ringing,
    Proceeding,
    /// The far end accepted our call; its answer to our first offer (replacing an early
    /// one, if it gave one).
    Answered {
        answer: String,
    },
    /// The far end's answer before it accepts (early media); the call is not up yet.
    EarlyAnswer {
        answer: String,
    },
    /// The far end accepted our call with no new answer: the early one stands.
    Accepted,
    /// Our accept of an incoming call was taken by the network.
    AcceptConfirmed,
    /// The answer to our hold or resume offer.
    UpdateAnswered {
        answer: String,
    },
    /// The network refused our hold or resume.
    UpdateRejected(String),
    /// The far end re-offers (it holds or resumes us).
    RemoteOffer {
        offer: String,
    },
    /// The session is over (remote hang-up, busy, ... or our own hang-up confirmed).
    Ended(EndReason),
    /// A signaling request failed for good (after the provider's own retries).
    RequestFailed(String),
}

/// What the media layer reports back after an [`Effect::Media`] operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaResult {
    OfferCreated(String),
    AnswerCreated { answer: String, direction: Direction },
    AnswerApplied(Direction),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Command(Command),
    Signal(Signal),
    Media(MediaResult),
    /// No audio has arrived for the media timeout (`media_watch.rs`): hang up, and end
    /// with `MediaTimeout`.
    MediaTimeout,
    /// No audio for a while although the far end should be sending: the path may have
    /// changed or died, so restart ICE through the provider (a re-offer with new
    /// credentials and candidates).
    MediaStalled,
}

/// A media operation for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaOp {
    CreateOffer,
    AcceptOffer(String),
    AcceptAnswer(String),
    /// A final answer to our first offer, replacing the early one in effect.
    ReplaceAnswer(String),
    Hold,
    Resume,
    CancelOffer,
    /// A re-offer with new ICE credentials, keeping the direction.
    RestartIce,
    SetMuted(bool),
    SendDtmf(String),
    Close,
}

/// A signaling request for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalOp {
    Register,
    CreateSession {
        to: Address,
        offer: String,
    },
    /// Tell the caller we are alerting the user.
    Ringing,
    Accept {
        answer: String,
    },
    Decline,
    Hold {
        offer: String,
    },
    Resume {
        offer: String,
    },
    /// A re-offer that changes the transport, not the direction (an ICE restart);
    /// `held` says whether the call is on hold by us, which the operator keeps seeing.
    Renegotiate {
        offer: String,
        held: bool,
    },
    /// Answer a far-end re-offer.
    AnswerUpdate {
        answer: String,
    },
    Terminate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Media(MediaOp),
    Signal(SignalOp),
    State(CallState),
    /// The far end put us on hold (true) or took us off it (false).
    RemoteHold(bool),
    Muted(bool),
    /// Something went wrong without ending the call.
    Error(CallError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("cannot {command} while {state}")]
    IllegalCommand { command: &'static str, state: String },
    #[error("{what} failed: {why}; the call stays {state}")]
    Renegotiation {
        what: &'static str,
        why: String,
        state: String,
    },
    #[error("unexpected {input} while {state}; ignored")]
    Unexpected { input: String, state: String },
    #[error("the network ended our registration ({why}); {next}")]
    RegistrationLost { why: String, next: &'static str },
    /// Refused by the line (another call, a merge or a swap in the way); `code` is the
    /// line's (`LineError::code`).
    #[error("{why}")]
    Refused { code: &'static str, why: String },
}

impl CallError {
    /// A stable code for scripts (`{"event":"error","code":…}`).
    pub fn code(&self) -> &'static str {
        match self {
            CallError::IllegalCommand { .. } => "ILLEGAL_COMMAND",
            CallError::Renegotiation { .. } => "RENEGOTIATION_FAILED",
            CallError::Unexpected { .. } => "UNEXPECTED_INPUT",
            CallError::RegistrationLost { .. } => "REGISTRATION_LOST",
            CallError::Refused { code, .. } => code,
        }
    }
}
