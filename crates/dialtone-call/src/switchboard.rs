//! A line's calls, sans-IO: several [`CallMachine`]s, at most one of them in the
//! foreground, and the steps that join them. Each call keeps its own machine (hold is
//! still `machine.rs`); the switchboard only decides *which* call does what, and when.
//!
//! ```text
//! answer while in a call:  hold the active call → Held → answer the waiting one
//! dial while in a call:    hold the active call → Held → dial the new one
//! swap (resume another):   hold the active call → Held → resume the other
//!                          (if that resume fails: resume the first again)
//! merge:                   resume a held call beside the active one → mix both
//! split:                   stop mixing → hold every leg but the first
//! ```
//! Registration belongs to the line, not to a call: a call dialled while unregistered
//! registers on the way (as a single call always did), and the line's answer reaches it.
//! A call is a phone call or, on a line that reaches Lex, a bot conversation
//! (`machine.rs`); both hold, swap and hang up alike.

mod machine;
mod types;
mod view;

use machine::{CallEffect, LineMachine};
pub use types::{LineAllowed, LineCommand, LineEffect, LineError};

use crate::address::Address;
use crate::bot::BotInput;
use crate::machine::{CallError, CallState, Command, Effect, Input, Signal, SignalOp};
use std::collections::BTreeMap;
use std::time::Instant;

/// A call on the line, numbered from 1 in the order calls appear; never reused.
pub type CallId = u32;

/// What signaling about the line itself (registration) is addressed to.
pub const LINE: CallId = 0;

/// Hands out call ids. The switchboard numbers the calls it places and the signaling
/// provider the calls that ring in, from one shared counter, so an id names one call
/// everywhere (events, scripts, the provider's sessions).
#[derive(Debug, Clone, Default)]
pub struct CallIds(std::sync::Arc<std::sync::atomic::AtomicU32>);

impl CallIds {
    pub fn next(&self) -> CallId {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }
}

/// How many calls a line carries at once (the active one, the held ones, the ringing).
pub const MAX_CALLS: usize = 4;

/// What to do once the active call is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Dial(CallId),
    Answer(CallId),
    Resume(CallId),
}

/// A step waiting for a call to settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    None,
    /// Holding `held`, then `next`.
    Holding {
        held: CallId,
        next: Next,
    },
    /// A swap's resume of `to` is out; `back` was active before.
    Swapping {
        to: CallId,
        back: CallId,
    },
    /// Resuming `joining` to add it to the mix.
    Merging {
        joining: CallId,
    },
}

/// One line's calls.
#[derive(Debug)]
pub struct Switchboard {
    calls: BTreeMap<CallId, LineMachine>,
    /// Dial targets of calls waiting for the active call to be held.
    targets: BTreeMap<CallId, Address>,
    ids: CallIds,
    /// Whether the line reaches Lex bots, and if so whether they expect playback
    /// completions (`BotMachine::new`).
    bots: Option<bool>,
    registered: bool,
    registering: bool,
    muted: bool,
    waiting_tone: bool,
    /// The merged calls, the first being the one that was active.
    mixed: Vec<CallId>,
    step: Step,
    effects: Vec<LineEffect>,
}

impl Switchboard {
    /// `registered`: whether the provider already holds a registration.
    pub fn new(registered: bool) -> Self {
        Self::with_ids(registered, CallIds::default())
    }

    /// A switchboard numbering its calls from `ids`, shared with the signaling provider.
    pub fn with_ids(registered: bool, ids: CallIds) -> Self {
        Self {
            calls: BTreeMap::new(),
            targets: BTreeMap::new(),
            ids,
            bots: None,
            registered,
            registering: false,
            muted: false,
            waiting_tone: false,
            mixed: Vec::new(),
            step: Step::None,
            effects: Vec::new(),
        }
    }

    /// A line that also reaches Lex bots: `lex:` addresses become bot conversations.
    /// `completions`: whether the bots expect a PlaybackCompletionEvent after each prompt.
    pub fn with_bots(mut self, completions: bool) -> Self {
        self.bots = Some(completions);
        self
    }

    /// The effects so far, in order.
    pub fn drain_effects(&mut self) -> Vec<LineEffect> {
        std::mem::take(&mut self.effects)
    }

    /// When [`Switchboard::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.calls.values().filter_map(LineMachine::poll_timeout).min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let ids: Vec<CallId> = self.calls.keys().copied().collect();
        for id in ids {
            if let Some(m) = self.calls.get_mut(&id) {
                m.handle_timeout(now);
            }
            self.settle(id, now);
        }
        self.after_change();
    }

    fn busy(what: &'static str, why: impl Into<String>) -> LineError {
        LineError::Busy {
            what,
            why: why.into(),
        }
    }

    fn get(&self, id: CallId) -> Result<&LineMachine, LineError> {
        self.calls.get(&id).ok_or(LineError::NoSuchCall(id))
    }

    /// Feeds one command to one call and hands its effects on; refused commands come back
    /// as the call's error and change nothing.
    fn feed(&mut self, id: CallId, input: Input, now: Instant) -> Result<(), LineError> {
        let m = self.calls.get_mut(&id).ok_or(LineError::NoSuchCall(id))?;
        let result = m.handle(input, now);
        self.settle(id, now);
        result.map_err(|error| LineError::Call { call: id, error })
    }

    fn new_call(&mut self, to: &Address) -> Result<CallId, LineError> {
        if matches!(to, Address::Lex(_)) && self.bots.is_none() {
            return Err(LineError::NoBots);
        }
        if self.calls.len() >= MAX_CALLS {
            return Err(LineError::Full);
        }
        let id = self.ids.next();
        self.add_call(id, LineMachine::for_address(to, self.registered, self.bots))?;
        Ok(id)
    }

    fn add_call(&mut self, id: CallId, m: LineMachine) -> Result<(), LineError> {
        if self.calls.len() >= MAX_CALLS {
            return Err(LineError::Full);
        }
        self.calls.insert(id, m);
        self.effects.push(LineEffect::Added(id));
        Ok(())
    }

    /// A user command. Returns the call it concerns (the new call for `Dial`; none for
    /// the line's own `Register` and `Mute`); a refused command changes nothing.
    pub fn command(&mut self, c: LineCommand, now: Instant) -> Result<Option<CallId>, LineError> {
        let result = self.command_inner(c, now);
        self.after_change();
        result
    }

    fn command_inner(&mut self, c: LineCommand, now: Instant) -> Result<Option<CallId>, LineError> {
        match c {
            LineCommand::Register => {
                if !self.registered && !self.registering {
                    self.registering = true;
                    self.effects.push(LineEffect::Register);
                }
                Ok(None)
            }
            LineCommand::Dial(to) => {
                let hold_first = self.clear_foreground("place another call")?;
                let id = self.new_call(&to)?;
                match hold_first {
                    None => self.feed(id, Input::Command(Command::Dial(to)), now)?,
                    Some(active) => {
                        self.targets.insert(id, to);
                        self.hold_then(active, Next::Dial(id), now)?;
                    }
                }
                Ok(Some(id))
            }
            LineCommand::Answer(id) => {
                if self.get(id)?.state() != &CallState::Alerting {
                    return Err(LineError::Call {
                        call: id,
                        error: CallError::IllegalCommand {
                            command: "answer",
                            state: self.get(id)?.state().to_string(),
                        },
                    });
                }
                match self.clear_foreground("answer")? {
                    None => self.feed(id, Input::Command(Command::Answer), now)?,
                    Some(active) => self.hold_then(active, Next::Answer(id), now)?,
                }
                Ok(Some(id))
            }
            LineCommand::Decline(id) => self
                .feed(id, Input::Command(Command::Decline), now)
                .map(|()| Some(id)),
            LineCommand::Hangup(id) => {
                if self.targets.remove(&id).is_some() {
                    // Not dialled yet: nothing to hang up on the network.
                    self.drop_planned(id);
                    return Ok(Some(id));
                }
                self.feed(id, Input::Command(Command::Hangup), now)
                    .map(|()| Some(id))
            }
            LineCommand::Hold(id) => {
                self.get(id)?;
                if self.mixed.contains(&id) {
                    let legs = std::mem::take(&mut self.mixed);
                    self.effects.push(LineEffect::Mix(Vec::new()));
                    for leg in legs {
                        // A leg mid-renegotiation refuses; its error says why.
                        if let Err(e) = self.feed(leg, Input::Command(Command::Hold), now) {
                            self.effects.push(LineEffect::Error(e));
                        }
                    }
                    return Ok(Some(id));
                }
                self.feed(id, Input::Command(Command::Hold), now)
                    .map(|()| Some(id))
            }
            LineCommand::Resume(id) => {
                let state = self.get(id)?.state().clone();
                if state != CallState::Held {
                    return Err(LineError::Call {
                        call: id,
                        error: CallError::IllegalCommand {
                            command: "resume",
                            state: state.to_string(),
                        },
                    });
                }
                match self.clear_foreground("resume")? {
                    None => self.feed(id, Input::Command(Command::Resume), now)?,
                    Some(active) => self.hold_then(active, Next::Resume(id), now)?,
                }
                Ok(Some(id))
            }
            LineCommand::Merge(id) => self.merge(id, now).map(Some),
            LineCommand::Split => {
                if self.mixed.len() < 2 {
                    return Err(Self::busy("split", "no calls are merged"));
                }
                if self.step != Step::None {
                    return Err(Self::busy(
                        "split",
                        "the last swap, hold or merge is still under way",
                    ));
                }
                let legs = std::mem::take(&mut self.mixed);
                self.effects.push(LineEffect::Mix(Vec::new()));
                for leg in legs.iter().skip(1) {
                    if let Err(e) = self.feed(*leg, Input::Command(Command::Hold), now) {
                        self.effects.push(LineEffect::Error(e));
                    }
                }
                Ok(legs.first().copied())
            }
            LineCommand::Mute(on) => {
                self.muted = on;
                let up: Vec<CallId> = self
                    .calls
                    .iter()
                    .filter(|(_, m)| m.state().is_established() && m.is_muted() != on)
                    .map(|(id, _)| *id)
                    .collect();
                for id in up {
                    self.feed(id, Input::Command(Command::Mute(on)), now)?;
                }
                Ok(None)
            }
            LineCommand::Dtmf(digits) => {
                if !self.mixed.is_empty() {
                    return Err(Self::busy("send DTMF", "the calls are merged; split them first"));
                }
                // With no call connected, the call in front refuses in its own words
                // ("cannot send DTMF while Held").
                let active = self
                    .calls
                    .iter()
                    .find(|(_, m)| m.state() == &CallState::Connected)
                    .map(|(id, _)| *id)
                    .or_else(|| self.in_front())
                    .ok_or_else(|| Self::busy("send DTMF", "no call is connected"))?;
                self.feed(active, Input::Command(Command::Dtmf(digits)), now)
                    .map(|()| Some(active))
            }
            LineCommand::Text(text) => {
                // The call in front answers in its own words: a phone call that text
                // goes to bots, a held bot that it is held.
                let front = self
                    .in_front()
                    .ok_or_else(|| Self::busy("send text", "no call is connected"))?;
                self.feed(front, Input::Command(Command::Text(text)), now)
                    .map(|()| Some(front))
            }
        }
    }

    fn merge(&mut self, id: CallId, now: Instant) -> Result<CallId, LineError> {
        self.merge_check(id)?;
        if self.mixed.is_empty() {
            self.mixed = self.foreground();
        }
        self.step = Step::Merging { joining: id };
        if let Err(e) = self.feed(id, Input::Command(Command::Resume), now) {
            self.step = Step::None;
            if self.mixed.len() < 2 {
                self.mixed.clear();
            }
            return Err(e);
        }
        Ok(id)
    }

    fn hold_then(&mut self, active: CallId, next: Next, now: Instant) -> Result<(), LineError> {
        self.step = Step::Holding { held: active, next };
        if let Err(e) = self.feed(active, Input::Command(Command::Hold), now) {
            self.step = Step::None;
            if let Next::Dial(id) = next {
                self.targets.remove(&id);
                self.drop_planned(id);
            }
            return Err(e);
        }
        Ok(())
    }

    /// A call that was to be dialled after a hold, and will not be.
    fn drop_planned(&mut self, id: CallId) {
        if self.calls.remove(&id).is_some() {
            self.effects.push(LineEffect::Removed(id));
        }
    }

    /// An incoming call, numbered here. Returns its id; when the line is full it is
    /// declined at once.
    pub fn incoming(&mut self, from: String, offer: String, now: Instant) -> CallId {
        let id = self.ids.next();
        self.incoming_as(id, from, offer, now);
        id
    }

    /// An incoming call the signaling provider numbered `id` (from the shared
    /// [`CallIds`]); when the line is full it is declined at once.
    pub fn incoming_as(&mut self, id: CallId, from: String, offer: String, now: Instant) {
        match self.add_call(id, LineMachine::Phone(crate::CallMachine::new(self.registered))) {
            Ok(()) => {}
            Err(_) => {
                self.effects
                    .push(LineEffect::Call(id, Effect::Signal(SignalOp::Decline)));
                self.effects
                    .push(LineEffect::Error(LineError::DeclinedFull { from }));
                return;
            }
        }
        // An invitation is always legal in a fresh machine.
        let _ = self.feed(id, Input::Signal(Signal::Invitation { from, offer }), now);
        self.after_change();
    }

    /// Signaling about the line rather than one call: registration.
    pub fn line_signal(&mut self, s: Signal, now: Instant) {
        match s {
            Signal::Registered => {
                self.registered = true;
                self.registering = false;
            }
            Signal::RegistrationFailed(_) | Signal::RequestFailed(_) => self.registering = false,
            Signal::RegistrationLost(ref why) => {
                self.registered = false;
                if self.calls.is_empty() {
                    self.registering = true;
                    self.effects.push(LineEffect::Register);
                }
                self.effects
                    .push(LineEffect::Error(LineError::Line(CallError::RegistrationLost {
                        why: why.clone(),
                        next: if self.calls.is_empty() {
                            "registering again"
                        } else {
                            "the calls go on, and the next call registers again"
                        },
                    })));
                self.after_change();
                return;
            }
            _ => {}
        }
        // A call dialled while unregistered waits for the line's answer.
        let waiting: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, m)| m.state() == &CallState::Registering)
            .map(|(id, _)| *id)
            .collect();
        for id in waiting {
            let _ = self.feed(id, Input::Signal(s.clone()), now);
        }
        self.after_change();
    }

    /// What a bot conversation reports (its stream, its playout).
    pub fn bot_input(&mut self, id: CallId, input: BotInput, now: Instant) -> Result<(), LineError> {
        let m = self.calls.get_mut(&id).ok_or(LineError::NoSuchCall(id))?;
        let result = m.bot_input(input, now);
        self.settle(id, now);
        self.after_change();
        result.map_err(|error| LineError::Call { call: id, error })
    }

    /// Signaling, media results and media verdicts for one call.
    pub fn call_input(&mut self, id: CallId, input: Input, now: Instant) -> Result<(), LineError> {
        let result = self.feed(id, input, now);
        self.after_change();
        result
    }

    /// Hands one call's effects on and reacts to its state changes.
    fn settle(&mut self, id: CallId, now: Instant) {
        let mut states = Vec::new();
        if let Some(m) = self.calls.get_mut(&id) {
            while let Some(e) = m.poll_effect() {
                if let Some(s) = e.state() {
                    states.push(s.clone());
                }
                self.effects.push(match e {
                    CallEffect::Phone(e) => LineEffect::Call(id, e),
                    CallEffect::Bot(e) => LineEffect::Bot(id, e),
                });
            }
        }
        for s in states {
            self.on_state(id, &s, now);
        }
    }

    fn on_state(&mut self, id: CallId, s: &CallState, now: Instant) {
        match (self.step, s) {
            (Step::Holding { held, next }, CallState::Held | CallState::Ended(_)) if held == id => {
                self.step = Step::None;
                self.run(next, held, now);
            }
            (Step::Holding { held, next }, CallState::Connected) if held == id => {
                self.step = Step::None;
                let then = match next {
                    Next::Dial(new) => {
                        self.targets.remove(&new);
                        self.drop_planned(new);
                        "the new call was not placed".to_owned()
                    }
                    Next::Answer(other) => format!("call {other} keeps ringing"),
                    Next::Resume(other) => format!("call {other} stays on hold"),
                };
                self.effects
                    .push(LineEffect::Error(LineError::HoldFailed { held: id, then }));
            }
            (Step::Swapping { to, .. }, CallState::Connected) if to == id => self.step = Step::None,
            (Step::Swapping { to, back }, CallState::Held | CallState::Ended(_)) if to == id => {
                self.step = Step::None;
                self.effects
                    .push(LineEffect::Error(LineError::SwapFailed { to, back }));
                if self.state(back) == Some(&CallState::Held) {
                    let _ = self.feed(back, Input::Command(Command::Resume), now);
                }
            }
            (Step::Merging { joining }, CallState::Connected) if joining == id => {
                self.step = Step::None;
                self.mixed.push(id);
                self.effects.push(LineEffect::Mix(self.mixed.clone()));
            }
            (Step::Merging { joining }, CallState::Held | CallState::Ended(_)) if joining == id => {
                self.step = Step::None;
                if self.mixed.len() < 2 {
                    self.mixed.clear();
                }
                self.effects.push(LineEffect::Error(LineError::MergeFailed(id)));
            }
            _ => {}
        }
        if *s == CallState::Connected && self.muted && self.calls.get(&id).is_some_and(|m| !m.is_muted()) {
            let _ = self.feed(id, Input::Command(Command::Mute(true)), now);
        }
        if let CallState::Ended(_) = s {
            self.calls.remove(&id);
            self.targets.remove(&id);
            self.effects.push(LineEffect::Removed(id));
            if let Some(at) = self.mixed.iter().position(|c| *c == id) {
                self.mixed.remove(at);
                if self.mixed.len() < 2 {
                    self.mixed.clear();
                }
                self.effects.push(LineEffect::Mix(self.mixed.clone()));
            }
            // The call we were holding the active one for is gone: that one stays held,
            // where the user can see it and resume it.
            if let Step::Holding { next, .. } = self.step
                && matches!(next, Next::Answer(c) | Next::Resume(c) if c == id)
            {
                self.step = Step::None;
            }
        }
    }

    /// The active call is held (or gone): do what waited for it.
    fn run(&mut self, next: Next, held: CallId, now: Instant) {
        let result = match next {
            Next::Dial(id) => match self.targets.remove(&id) {
                Some(to) => self.feed(id, Input::Command(Command::Dial(to)), now),
                None => Ok(()),
            },
            Next::Answer(id) => self.feed(id, Input::Command(Command::Answer), now),
            Next::Resume(id) => {
                self.step = Step::Swapping { to: id, back: held };
                self.feed(id, Input::Command(Command::Resume), now)
            }
        };
        if let Err(e) = result {
            if let Step::Swapping { .. } = self.step {
                self.step = Step::None;
            }
            self.effects.push(LineEffect::Error(e));
        }
    }

    /// The call-waiting tone plays while a call rings in beside a connected one.
    fn after_change(&mut self) {
        let ringing = self.calls.values().any(|m| m.state() == &CallState::Alerting);
        let up = self.calls.values().any(|m| m.state() == &CallState::Connected);
        let tone = ringing && up;
        if tone != self.waiting_tone {
            self.waiting_tone = tone;
            self.effects.push(LineEffect::WaitingTone(tone));
        }
    }
}
