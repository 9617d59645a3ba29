//! What the switchboard tells without changing anything: the calls, which one a command
//! without an id means, who hears whom, and what may be done now. The commands in
//! `switchboard.rs` check with the same functions.

use super::machine::LineMachine;
use super::{CallId, LineAllowed, LineCommand, LineError, MAX_CALLS, Step, Switchboard};
use crate::machine::{Allowed, CallError, CallState, Command};

impl Switchboard {
    /// The calls on the line, in order, with their states.
    pub fn calls(&self) -> impl Iterator<Item = (CallId, &CallState)> {
        self.calls.iter().map(|(id, m)| (*id, m.state()))
    }

    pub fn state(&self, id: CallId) -> Option<&CallState> {
        self.calls.get(&id).map(LineMachine::state)
    }

    /// What call `id`'s machine allows now (a phone call's or a bot conversation's).
    pub fn allowed(&self, id: CallId) -> Option<Allowed> {
        self.calls.get(&id).map(LineMachine::allowed)
    }

    /// Whether call `id` is a conversation with a bot.
    pub fn is_bot(&self, id: CallId) -> bool {
        self.calls.get(&id).is_some_and(LineMachine::is_bot)
    }

    /// Whether call `id` itself has our audio muted.
    pub fn is_call_muted(&self, id: CallId) -> bool {
        self.calls.get(&id).is_some_and(LineMachine::is_muted)
    }

    /// The merged calls (empty unless a merge is up).
    pub fn mixed(&self) -> &[CallId] {
        &self.mixed
    }

    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// The call a command without an id means: the one in the foreground (being set
    /// up, up, or changing hold), else the newest call.
    pub fn in_front(&self) -> Option<CallId> {
        self.foreground()
            .first()
            .copied()
            .or_else(|| self.calls.keys().next_back().copied())
    }

    /// The line command a command without a call id means (the single-call controls:
    /// the window's buttons, `dialtone call`): answer and decline the call ringing in,
    /// the rest the call in front.
    pub fn for_call_in_front(&self, c: Command) -> Result<LineCommand, CallError> {
        let id = match &c {
            Command::Register => return Ok(LineCommand::Register),
            Command::Dial(to) => return Ok(LineCommand::Dial(to.clone())),
            Command::Mute(on) => return Ok(LineCommand::Mute(*on)),
            Command::Dtmf(d) => return Ok(LineCommand::Dtmf(d.clone())),
            Command::Text(t) => return Ok(LineCommand::Text(t.clone())),
            Command::Answer | Command::Decline => self
                .calls
                .iter()
                .find(|(_, m)| m.state() == &CallState::Alerting)
                .map(|(id, _)| *id),
            _ => self.in_front(),
        };
        let state = |id: Option<CallId>| {
            id.and_then(|id| self.state(id))
                .unwrap_or(&CallState::Idle)
                .to_string()
        };
        let Some(id) = id else {
            return Err(CallError::IllegalCommand {
                command: c.name(),
                state: state(None),
            });
        };
        Ok(match c {
            Command::Answer => LineCommand::Answer(id),
            Command::Decline => LineCommand::Decline(id),
            Command::Hangup => LineCommand::Hangup(id),
            Command::Hold => LineCommand::Hold(id),
            Command::Resume => LineCommand::Resume(id),
            other => {
                return Err(CallError::IllegalCommand {
                    command: other.name(),
                    state: format!("{} (typed text goes to bot calls, lex:<botId>)", state(Some(id))),
                });
            }
        })
    }

    /// The held calls nobody hears: those behind another call in the foreground (a held
    /// call alone is heard: its far end's hold tone tells the user it is held).
    pub fn unheard(&self) -> Vec<CallId> {
        if self.foreground().is_empty() {
            return Vec::new();
        }
        self.calls
            .iter()
            .filter(|(_, m)| m.state() == &CallState::Held)
            .map(|(id, _)| *id)
            .collect()
    }

    /// The call the call-waiting tone plays in, while one rings in beside it.
    pub fn waiting_tone_in(&self) -> Option<CallId> {
        self.calls
            .iter()
            .find(|(_, m)| m.state() == &CallState::Connected)
            .map(|(id, _)| *id)
            .filter(|_| self.waiting_tone)
    }

    /// What the user may do with the line now, as the commands check it.
    pub fn line_allowed(&self) -> LineAllowed {
        LineAllowed {
            dial: self.calls.len() < MAX_CALLS && self.clear_foreground("dial").is_ok(),
            split: self.mixed.len() >= 2 && self.step == Step::None,
        }
    }

    /// Whether call `id` may join the active call now.
    pub fn can_merge(&self, id: CallId) -> bool {
        self.merge_check(id).is_ok()
    }

    /// The calls in the foreground: being set up, up and not held, or changing hold.
    pub(super) fn foreground(&self) -> Vec<CallId> {
        self.calls
            .iter()
            .filter(|(_, m)| {
                matches!(
                    m.state(),
                    CallState::Registering
                        | CallState::Dialing
                        | CallState::Ringing
                        | CallState::Proceeding
                        | CallState::Answering
                        | CallState::Connected
                        | CallState::Holding
                        | CallState::Resuming
                )
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// What must happen before a new call can take the foreground: nothing (`None`), or
    /// holding the one active call.
    pub(super) fn clear_foreground(&self, what: &'static str) -> Result<Option<CallId>, LineError> {
        if self.step != Step::None {
            return Err(Self::busy(
                what,
                "the last swap, hold or merge is still under way",
            ));
        }
        if !self.mixed.is_empty() {
            return Err(Self::busy(what, "the calls are merged; split them first"));
        }
        match self.foreground().as_slice() {
            [] => Ok(None),
            [id] if self.state(*id) == Some(&CallState::Connected) => Ok(Some(*id)),
            [id, ..] => Err(Self::busy(
                what,
                format!(
                    "call {id} is {}; try again once it is connected or held, or hang it up",
                    self.state(*id).map_or("gone", CallState::name)
                ),
            )),
        }
    }

    /// Whether `id` may join the active call now (what [`LineCommand::Merge`] checks).
    pub(super) fn merge_check(&self, id: CallId) -> Result<(), LineError> {
        if self.step != Step::None {
            return Err(Self::busy(
                "merge",
                "the last swap, hold or merge is still under way",
            ));
        }
        if self.get(id)?.state() != &CallState::Held {
            return Err(Self::busy(
                "merge",
                format!("call {id} is {}; only a held call joins", self.get(id)?.state()),
            ));
        }
        let foreground = self.foreground();
        // A bot conversation's audio goes to the bot, not through the line's mixer.
        if self.is_bot(id) || foreground.iter().any(|c| self.is_bot(*c)) {
            return Err(Self::busy(
                "merge",
                "bot calls are not merged; swap to them instead",
            ));
        }
        let connected = |c: &CallId| self.state(*c) == Some(&CallState::Connected);
        // The call to join: the one active call, or every leg of the merge so far.
        let joinable = if self.mixed.is_empty() {
            foreground.len() == 1 && foreground.iter().all(connected)
        } else {
            foreground.len() == self.mixed.len()
                && self.mixed.iter().all(|c| foreground.contains(c))
                && foreground.iter().all(connected)
        };
        if !joinable {
            return Err(Self::busy("merge", "there is no connected call to join it to"));
        }
        Ok(())
    }
}
