//! A call on the line is a phone call (CAMARA, Alexa: signaling and SDP, `machine.rs`) or
//! a conversation with a bot (Lex StartConversation, `bot.rs`). The switchboard holds,
//! swaps and hangs up both alike through this one face; only merging needs audio that a
//! bot conversation does not share (see `view.rs`).

use crate::address::Address;
use crate::bot::{BotEffect, BotInput, BotMachine};
use crate::machine::{Allowed, CallError, CallMachine, CallState, Effect, Input};
use std::time::Instant;

#[derive(Debug)]
pub(super) enum LineMachine {
    Phone(CallMachine),
    Bot(BotMachine),
}

/// One call's effect, by the kind of call it came from.
pub(super) enum CallEffect {
    Phone(Effect),
    Bot(BotEffect),
}

impl CallEffect {
    pub(super) fn state(&self) -> Option<&CallState> {
        match self {
            CallEffect::Phone(Effect::State(s)) | CallEffect::Bot(BotEffect::State(s)) => Some(s),
            _ => None,
        }
    }
}

impl LineMachine {
    /// The machine a call to `to` needs: bot addresses are conversations, the rest calls.
    pub(super) fn for_address(to: &Address, registered: bool, bots: Option<bool>) -> Self {
        match (to, bots) {
            (Address::Lex(_), Some(completions)) => LineMachine::Bot(BotMachine::new(completions)),
            _ => LineMachine::Phone(CallMachine::new(registered)),
        }
    }

    pub(super) fn state(&self) -> &CallState {
        match self {
            LineMachine::Phone(m) => m.state(),
            LineMachine::Bot(m) => m.state(),
        }
    }

    pub(super) fn is_bot(&self) -> bool {
        matches!(self, LineMachine::Bot(_))
    }

    pub(super) fn is_muted(&self) -> bool {
        match self {
            LineMachine::Phone(m) => m.is_muted(),
            LineMachine::Bot(m) => m.is_muted(),
        }
    }

    pub(super) fn allowed(&self) -> Allowed {
        match self {
            LineMachine::Phone(m) => CallMachine::allowed(m.state()),
            LineMachine::Bot(m) => BotMachine::allowed(m.state()),
        }
    }

    /// Phone inputs; a bot conversation takes only the commands among them (it has no
    /// signaling or SDP media to hear from).
    pub(super) fn handle(&mut self, input: Input, now: Instant) -> Result<(), CallError> {
        match (self, input) {
            (LineMachine::Phone(m), input) => m.handle(input, now),
            (LineMachine::Bot(m), Input::Command(c)) => m.handle(BotInput::Command(c), now),
            (LineMachine::Bot(_), other) => {
                tracing::debug!(input = ?other, "a phone input for a bot call, ignored");
                Ok(())
            }
        }
    }

    /// What the conversation reports; a phone call has none.
    pub(super) fn bot_input(&mut self, input: BotInput, now: Instant) -> Result<(), CallError> {
        match self {
            LineMachine::Bot(m) => m.handle(input, now),
            LineMachine::Phone(m) => Err(CallError::IllegalCommand {
                command: "take a bot's input",
                state: format!("{} (a phone call, not a bot conversation)", m.state()),
            }),
        }
    }

    pub(super) fn poll_effect(&mut self) -> Option<CallEffect> {
        match self {
            LineMachine::Phone(m) => m.poll_effect().map(CallEffect::Phone),
            LineMachine::Bot(m) => m.poll_effect().map(CallEffect::Bot),
        }
    }

    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        match self {
            LineMachine::Phone(m) => m.poll_timeout(),
            LineMachine::Bot(m) => m.poll_timeout(),
        }
    }

    pub(super) fn handle_timeout(&mut self, now: Instant) {
        match self {
            LineMachine::Phone(m) => m.handle_timeout(now),
            LineMachine::Bot(m) => m.handle_timeout(now),
        }
    }
}
