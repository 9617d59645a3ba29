//! The call state machine, sans-IO in the str0m style: inputs are user commands,
//! signaling events, media results and time; outputs are effects for the driver to carry
//! out (signaling requests, media operations) and state changes to report.
//!
//! ```text
//! outgoing: Idle → Registering → Dialing → Ringing/Proceeding → Connected
//! incoming: Idle → Alerting → Answering → Connected
//! hold:     Connected → Holding → Held → Resuming → Connected
//! end:      any active state → Ending → Ended(reason)
//! ```
//! SDP passes through as data: the machine decides *when* the media layer offers or
//! answers and *where* the result goes, never what it says.

use crate::address::Address;
pub use crate::types::*;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long an outgoing call may ring before we give up, if the network never says.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a hold or resume may wait for its answer before it is abandoned.
pub const UPDATE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an incoming call rings before it is declined as missed: a caller's cancel
/// that never arrives must not leave the line ringing, and the line busy, for ever.
pub const ALERTING_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    /// We are answering a far-end re-offer.
    RemoteUpdate,
    /// Our ICE-restart re-offer is out; the state stays what the user sees.
    IceRestart,
}

/// How the far end's answer to our first offer is coming along. Some networks answer
/// early (Alexa's CallInProgress: early media) and confirm or replace that answer when
/// the call is accepted; the call is Connected once it is accepted and every answer
/// given so far is applied.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Answering {
    /// Answers handed to the media layer and not yet applied.
    in_flight: u8,
    /// An answer is in effect (early media may flow).
    applied: bool,
    /// The far end accepted the call.
    accepted: bool,
}

/// One call, from dial (or invitation) to its end.
#[derive(Debug)]
pub struct CallMachine {
    state: CallState,
    answering: Answering,
    registered: bool,
    target: Option<Address>,
    incoming_offer: Option<String>,
    /// A far-end re-offer that arrived while our own hold/resume was in flight.
    deferred_offer: Option<String>,
    pending: Pending,
    /// How a hang-up we started ends, when not `Hangup`.
    end_as: Option<EndReason>,
    remote_hold: bool,
    muted: bool,
    deadline: Option<Instant>,
    effects: VecDeque<Effect>,
}

impl Default for CallMachine {
    fn default() -> Self {
        Self::new(false)
    }
}

impl CallMachine {
    /// `registered`: whether the provider already holds a registration (a listener
    /// registers first; a one-off dial registers on the way).
    pub fn new(registered: bool) -> Self {
        Self {
            state: CallState::Idle,
            answering: Answering::default(),
            registered,
            target: None,
            incoming_offer: None,
            deferred_offer: None,
            end_as: None,
            pending: Pending::None,
            remote_hold: false,
            muted: false,
            deadline: None,
            effects: VecDeque::new(),
        }
    }

    pub fn state(&self) -> &CallState {
        &self.state
    }

    /// What a phone call allows in `state` (`handle` refuses the rest; tests.rs checks
    /// that the two agree in every state).
    pub fn allowed(state: &CallState) -> Allowed {
        use CallState as S;
        let up = state.is_established();
        Allowed {
            dial: matches!(state, S::Idle | S::Ended(_)),
            answer: *state == S::Alerting,
            decline: *state == S::Alerting,
            hangup: !matches!(state, S::Idle | S::Ending | S::Ended(_)),
            hold: *state == S::Connected,
            resume: *state == S::Held,
            mute: up,
            dtmf: *state == S::Connected,
            text: false,
        }
    }

    pub fn is_remote_hold(&self) -> bool {
        self.remote_hold
    }

    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// The next effect to carry out, in order.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// When [`CallMachine::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    fn go(&mut self, state: CallState) {
        if self.state != state {
            self.state = state.clone();
            self.effects.push_back(Effect::State(state));
        }
    }

    fn media(&mut self, op: MediaOp) {
        self.effects.push_back(Effect::Media(op));
    }

    fn signal(&mut self, op: SignalOp) {
        self.effects.push_back(Effect::Signal(op));
    }

    /// An answer to our first offer: the first applies, a later one replaces it.
    fn apply_first_answer(&mut self, answer: String) {
        let a = &mut self.answering;
        let op = if a.applied || a.in_flight > 0 {
            MediaOp::ReplaceAnswer(answer)
        } else {
            MediaOp::AcceptAnswer(answer)
        };
        a.in_flight = a.in_flight.saturating_add(1);
        self.media(op);
    }

    fn illegal(&self, command: &Command) -> CallError {
        CallError::IllegalCommand {
            command: command.name(),
            state: self.state.to_string(),
        }
    }

    fn end(&mut self, reason: EndReason) {
        self.end_as = None;
        if matches!(self.state, CallState::Ended(_)) {
            return;
        }
        // Ending already closed the media when the hang-up began.
        if self.state.is_active() && self.state != CallState::Ending {
            self.media(MediaOp::Close);
        }
        self.deadline = None;
        self.go(CallState::Ended(reason));
    }

    /// Feeds one input. A command that is illegal in the current state is refused with
    /// an error and changes nothing.
    pub fn handle(&mut self, input: Input, now: Instant) -> Result<(), CallError> {
        match input {
            Input::Command(c) => self.command(c, now),
            Input::Signal(s) => {
                self.signal_event(s, now);
                Ok(())
            }
            Input::Media(m) => {
                self.media_result(m);
                Ok(())
            }
            Input::MediaStalled => {
                if matches!(self.state, CallState::Connected | CallState::Held)
                    && self.pending == Pending::None
                {
                    self.pending = Pending::IceRestart;
                    self.media(MediaOp::RestartIce);
                    self.deadline = Some(now + UPDATE_TIMEOUT);
                }
                Ok(())
            }
            Input::MediaTimeout => {
                if self.state.is_established() {
                    self.end_as = Some(EndReason::MediaTimeout);
                    self.signal(SignalOp::Terminate);
                    self.media(MediaOp::Close);
                    self.deadline = None;
                    self.go(CallState::Ending);
                }
                Ok(())
            }
        }
    }

    /// Time passes: abandons a call setup or a renegotiation that took too long.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(deadline) = self.deadline else { return };
        if now < deadline {
            return;
        }
        self.deadline = None;
        if self.pending == Pending::IceRestart {
            self.ice_restart_failed(format!("no answer within {} s", UPDATE_TIMEOUT.as_secs()));
            return;
        }
        match self.state {
            CallState::Holding | CallState::Resuming => {
                let what = if self.state == CallState::Holding {
                    "hold"
                } else {
                    "resume"
                };
                self.media(MediaOp::CancelOffer);
                let back = if self.state == CallState::Holding {
                    CallState::Connected
                } else {
                    CallState::Held
                };
                self.go(back);
                self.effects.push_back(Effect::Error(CallError::Renegotiation {
                    what,
                    why: format!("no answer within {} s", UPDATE_TIMEOUT.as_secs()),
                    state: self.state.to_string(),
                }));
            }
            CallState::Alerting => {
                self.incoming_offer = None;
                self.signal(SignalOp::Decline);
                self.end(EndReason::NoAnswer);
            }
            CallState::Registering
            | CallState::Dialing
            | CallState::Ringing
            | CallState::Proceeding
            | CallState::Answering => {
                self.signal(SignalOp::Terminate);
                self.end(EndReason::Failed(format!(
                    "the call was not set up within {} s",
                    SETUP_TIMEOUT.as_secs()
                )));
            }
            _ => {}
        }
    }

    fn command(&mut self, c: Command, now: Instant) -> Result<(), CallError> {
        use CallState as S;
        match (&self.state, &c) {
            (S::Idle, Command::Register) if !self.registered => {
                self.go(S::Registering);
                self.signal(SignalOp::Register);
                self.deadline = Some(now + SETUP_TIMEOUT);
            }
            (S::Idle | S::Ended(_), Command::Dial(to)) => {
                self.target = Some(to.clone());
                self.answering = Answering::default();
                self.remote_hold = false;
                self.muted = false;
                self.deadline = Some(now + SETUP_TIMEOUT);
                if self.registered {
                    self.go(S::Dialing);
                    self.media(MediaOp::CreateOffer);
                } else {
                    self.go(S::Registering);
                    self.signal(SignalOp::Register);
                }
            }
            (S::Alerting, Command::Answer) => {
                let offer = self.incoming_offer.take().ok_or_else(|| self.illegal(&c))?;
                self.go(S::Answering);
                self.media(MediaOp::AcceptOffer(offer));
                self.deadline = Some(now + SETUP_TIMEOUT);
            }
            (S::Alerting, Command::Decline) => {
                self.incoming_offer = None;
                self.signal(SignalOp::Decline);
                self.end(EndReason::Rejected);
            }
            (S::Registering, Command::Hangup) => {
                self.target = None;
                self.end(EndReason::Hangup);
            }
            (s, Command::Hangup) if s.is_active() && *s != S::Ending => {
                self.signal(SignalOp::Terminate);
                self.media(MediaOp::Close);
                self.deadline = None;
                self.go(S::Ending);
            }
            (S::Connected, Command::Hold) if self.pending == Pending::None => {
                self.go(S::Holding);
                self.media(MediaOp::Hold);
                self.deadline = Some(now + UPDATE_TIMEOUT);
            }
            (S::Held, Command::Resume) if self.pending == Pending::None => {
                self.go(S::Resuming);
                self.media(MediaOp::Resume);
                self.deadline = Some(now + UPDATE_TIMEOUT);
            }
            (s, Command::Mute(on)) if s.is_established() => {
                let on = *on;
                if self.muted != on {
                    self.muted = on;
                    self.media(MediaOp::SetMuted(on));
                    self.effects.push_back(Effect::Muted(on));
                }
            }
            (S::Connected, Command::Dtmf(digits)) if !self.remote_hold => {
                crate::dtmf::validate_digits(digits).map_err(|e| CallError::IllegalCommand {
                    command: "send DTMF",
                    state: format!("{} ({e})", self.state),
                })?;
                self.media(MediaOp::SendDtmf(digits.clone()));
            }
            (s, Command::Text(_)) => {
                return Err(CallError::IllegalCommand {
                    command: "send text",
                    state: format!("{s} (typed text goes to bot calls, lex:<botId>)"),
                });
            }
            _ => return Err(self.illegal(&c)),
        }
        Ok(())
    }

    fn unexpected(&mut self, input: String) {
        tracing::debug!(%input, state = %self.state, "input ignored");
        self.effects.push_back(Effect::Error(CallError::Unexpected {
            input,
            state: self.state.to_string(),
        }));
    }

    fn signal_event(&mut self, s: Signal, now: Instant) {
        use CallState as S;
        match (self.state.clone(), s) {
            (S::Registering, Signal::Registered) => {
                self.registered = true;
                if self.target.is_some() {
                    self.go(S::Dialing);
                    self.media(MediaOp::CreateOffer);
                } else {
                    self.deadline = None;
                    self.go(S::Idle);
                }
            }
            (S::Registering, Signal::RegistrationFailed(why)) => {
                self.end(EndReason::Failed(format!("registration failed: {why}")));
            }
            (_, Signal::Registered) => self.registered = true,
            // Between calls: register again at once, so incoming calls keep reaching us.
            (S::Idle | S::Ended(_), Signal::RegistrationLost(why)) => {
                self.registered = false;
                self.effects.push_back(Effect::Error(CallError::RegistrationLost {
                    why,
                    next: "registering again",
                }));
                self.target = None;
                self.go(S::Registering);
                self.signal(SignalOp::Register);
                self.deadline = Some(now + SETUP_TIMEOUT);
            }
            // During a call the session may well live on; register again before the next one.
            (_, Signal::RegistrationLost(why)) => {
                self.registered = false;
                self.effects.push_back(Effect::Error(CallError::RegistrationLost {
                    why,
                    next: "the call goes on, and the next call registers again",
                }));
            }
            (S::Idle | S::Ended(_), Signal::Invitation { from, offer }) => {
                tracing::info!(%from, "incoming call");
                self.incoming_offer = Some(offer);
                self.remote_hold = false;
                self.muted = false;
                self.go(S::Alerting);
                self.signal(SignalOp::Ringing);
                self.deadline = Some(now + ALERTING_TIMEOUT);
            }
            (S::Dialing | S::Proceeding, Signal::Ringing) => self.go(S::Ringing),
            (S::Dialing, Signal::Proceeding) => self.go(S::Proceeding),
            // Repeats (polling sees the same progress again) change nothing.
            (S::Ringing, Signal::Proceeding | Signal::Ringing) | (S::Proceeding, Signal::Proceeding) => {}
            (S::Dialing | S::Ringing | S::Proceeding, Signal::EarlyAnswer { answer }) => {
                if self.state == S::Dialing {
                    self.go(S::Proceeding);
                }
                self.apply_first_answer(answer);
            }
            (S::Dialing | S::Ringing | S::Proceeding, Signal::Answered { answer }) => {
                self.answering.accepted = true;
                self.apply_first_answer(answer);
            }
            (S::Dialing | S::Ringing | S::Proceeding, Signal::Accepted) => {
                self.answering.accepted = true;
                if self.answering.in_flight == 0 {
                    if self.answering.applied {
                        self.deadline = None;
                        self.go(S::Connected);
                    } else {
                        self.signal(SignalOp::Terminate);
                        self.end(EndReason::Failed(
                            "the far end accepted the call but never sent an SDP answer".into(),
                        ));
                    }
                }
            }
            (S::Answering, Signal::AcceptConfirmed) => {
                self.deadline = None;
                self.go(S::Connected);
            }
            (S::Holding | S::Resuming, Signal::UpdateAnswered { answer }) => {
                self.media(MediaOp::AcceptAnswer(answer));
            }
            (S::Holding | S::Resuming, Signal::UpdateRejected(why)) => {
                self.renegotiation_failed(why);
            }
            (S::Connected | S::Held, Signal::UpdateAnswered { answer })
                if self.pending == Pending::IceRestart =>
            {
                self.media(MediaOp::AcceptAnswer(answer));
            }
            (S::Connected | S::Held, Signal::UpdateRejected(why) | Signal::RequestFailed(why))
                if self.pending == Pending::IceRestart =>
            {
                self.ice_restart_failed(why);
            }
            (S::Connected | S::Held, Signal::RemoteOffer { offer })
                if self.pending == Pending::IceRestart =>
            {
                // Glare: finish our restart first, then answer theirs.
                self.deferred_offer = Some(offer);
            }
            (S::Connected | S::Held, Signal::RemoteOffer { offer }) if self.pending == Pending::None => {
                self.pending = Pending::RemoteUpdate;
                self.media(MediaOp::AcceptOffer(offer));
            }
            (S::Holding | S::Resuming, Signal::RemoteOffer { offer }) => {
                // Glare: finish our own renegotiation first, then answer theirs.
                self.deferred_offer = Some(offer);
            }
            (S::Ending, Signal::Ended(_)) => {
                let reason = self.end_as.take().unwrap_or(EndReason::Hangup);
                self.end(reason);
            }
            (s, Signal::Ended(reason)) if s.is_active() => self.end(reason),
            (S::Ending, Signal::RequestFailed(why)) => {
                // We hang up regardless: the call is over on our side.
                tracing::warn!(%why, "hang-up request failed");
                let reason = self.end_as.take().unwrap_or(EndReason::Hangup);
                self.end(reason);
            }
            (
                S::Registering | S::Dialing | S::Ringing | S::Proceeding | S::Answering,
                Signal::RequestFailed(why),
            ) => {
                self.end(EndReason::Failed(why));
            }
            (S::Holding | S::Resuming, Signal::RequestFailed(why)) => self.renegotiation_failed(why),
            (S::Connected | S::Held, Signal::RequestFailed(why)) if self.pending == Pending::RemoteUpdate => {
                self.pending = Pending::None;
                self.effects.push_back(Effect::Error(CallError::Renegotiation {
                    what: "answering the far end's update",
                    why,
                    state: self.state.to_string(),
                }));
            }
            (_, other) => self.unexpected(format!("{other:?}")),
        }
        let _ = now;
    }

    fn renegotiation_failed(&mut self, why: String) {
        let (what, back) = match self.state {
            CallState::Holding => ("hold", CallState::Connected),
            _ => ("resume", CallState::Held),
        };
        self.media(MediaOp::CancelOffer);
        self.deadline = None;
        self.go(back);
        self.effects.push_back(Effect::Error(CallError::Renegotiation {
            what,
            why,
            state: self.state.to_string(),
        }));
        self.answer_deferred_offer();
    }

    fn ice_restart_failed(&mut self, why: String) {
        self.pending = Pending::None;
        self.deadline = None;
        self.media(MediaOp::CancelOffer);
        self.effects.push_back(Effect::Error(CallError::Renegotiation {
            what: "ICE restart",
            why,
            state: self.state.to_string(),
        }));
        self.answer_deferred_offer();
    }

    fn answer_deferred_offer(&mut self) {
        if let Some(offer) = self.deferred_offer.take() {
            self.pending = Pending::RemoteUpdate;
            self.media(MediaOp::AcceptOffer(offer));
        }
    }

    fn media_result(&mut self, m: MediaResult) {
        use CallState as S;
        match (self.state.clone(), m) {
            (S::Dialing, MediaResult::OfferCreated(offer)) => {
                if let Some(to) = self.target.clone() {
                    self.signal(SignalOp::CreateSession { to, offer });
                }
            }
            (S::Connected | S::Held, MediaResult::OfferCreated(offer))
                if self.pending == Pending::IceRestart =>
            {
                let held = self.state == S::Held;
                self.signal(SignalOp::Renegotiate { offer, held });
            }
            (S::Connected | S::Held, MediaResult::AnswerApplied(_))
                if self.pending == Pending::IceRestart =>
            {
                self.pending = Pending::None;
                self.deadline = None;
                self.answer_deferred_offer();
            }
            (S::Connected | S::Held, MediaResult::Failed(why)) if self.pending == Pending::IceRestart => {
                self.ice_restart_failed(why);
            }
            (S::Holding, MediaResult::OfferCreated(offer)) => self.signal(SignalOp::Hold { offer }),
            (S::Resuming, MediaResult::OfferCreated(offer)) => self.signal(SignalOp::Resume { offer }),
            (S::Dialing | S::Ringing | S::Proceeding, MediaResult::AnswerApplied(_)) => {
                let a = &mut self.answering;
                a.in_flight = a.in_flight.saturating_sub(1);
                a.applied = true;
                if a.accepted && a.in_flight == 0 {
                    self.deadline = None;
                    self.go(S::Connected);
                }
            }
            (S::Holding, MediaResult::AnswerApplied(_)) => {
                self.deadline = None;
                self.go(S::Held);
                self.answer_deferred_offer();
            }
            (S::Resuming, MediaResult::AnswerApplied(_)) => {
                self.deadline = None;
                self.go(S::Connected);
                self.answer_deferred_offer();
            }
            (S::Answering, MediaResult::AnswerCreated { answer, .. }) => {
                self.signal(SignalOp::Accept { answer });
            }
            (S::Connected | S::Held, MediaResult::AnswerCreated { answer, direction })
                if self.pending == Pending::RemoteUpdate =>
            {
                self.pending = Pending::None;
                self.signal(SignalOp::AnswerUpdate { answer });
                // The far end holds us when its offer is not sendrecv: `sendonly` (RFC 3264
                // §8.4, music on hold) or `recvonly` (Dialtone's own hold: it stops sending).
                // While we hold, our answer is never sendrecv; only `inactive` says they
                // hold us too.
                let held = if self.state == S::Held {
                    direction == crate::Direction::Inactive
                } else {
                    direction != crate::Direction::SendRecv
                };
                if held != self.remote_hold {
                    self.remote_hold = held;
                    self.effects.push_back(Effect::RemoteHold(held));
                }
            }
            (S::Holding | S::Resuming, MediaResult::Failed(why)) => self.renegotiation_failed(why),
            (S::Connected | S::Held, MediaResult::Failed(why)) if self.pending == Pending::RemoteUpdate => {
                self.pending = Pending::None;
                self.effects.push_back(Effect::Error(CallError::Renegotiation {
                    what: "answering the far end's update",
                    why,
                    state: self.state.to_string(),
                }));
            }
            (S::Dialing | S::Ringing | S::Proceeding | S::Answering, MediaResult::Failed(why)) => {
                self.signal(SignalOp::Terminate);
                self.end(EndReason::Failed(why));
            }
            (_, other) => self.unexpected(format!("{other:?}")),
        }
    }
}
