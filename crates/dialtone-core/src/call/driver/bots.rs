//! A bot conversation as one of a phone line's calls: the switchboard runs its
//! [`BotMachine`] beside the phone calls (hold and swap alike), and here its effects meet
//! the conversation's IO (`signaling/lex/io.rs`), as on a Lex line.
//!
//! [`BotMachine`]: crate::call::bot::BotMachine

use super::{Line, now};
use crate::call::CallId;
use crate::call::bot::{BotEffect, BotInput, BotMachine};
use crate::signaling::lex::io::Conversing;

/// A bot call's share of the driver.
pub(super) struct BotCall {
    pub remote: String,
    conversation: Option<Conversing>,
}

impl BotCall {
    pub fn new(remote: String) -> Self {
        Self {
            remote,
            conversation: None,
        }
    }

    pub fn close(mut self) {
        if let Some(c) = self.conversation.take() {
            c.close();
        }
    }
}

impl Line {
    pub(super) fn bot_effect(&mut self, id: CallId, effect: BotEffect) {
        match effect {
            BotEffect::Open(bot) => {
                let (Some(io), Some(call)) = (&self.bots, self.bot_calls.get_mut(&id)) else {
                    return;
                };
                if let Some(old) = call.conversation.take() {
                    old.close();
                }
                call.conversation = Some(io.open(bot, u64::from(id), &self.bot_inputs));
            }
            BotEffect::Close => {
                if let Some(c) = self.bot_calls.get_mut(&id).and_then(|b| b.conversation.take()) {
                    c.close();
                }
            }
            BotEffect::State(s) => self.publish_state(id, s, BotMachine::allowed),
            BotEffect::Event(e) => self.out.emit(id, e),
            io_effect => {
                let error = self
                    .bot_calls
                    .get(&id)
                    .and_then(|b| b.conversation.as_ref())
                    .and_then(|c| c.apply(io_effect));
                if let Some(e) = error {
                    self.out.emit(id, e);
                }
            }
        }
    }

    pub(super) fn bot_input(&mut self, key: u64, input: BotInput) {
        let Ok(id) = CallId::try_from(key) else {
            return;
        };
        if let Err(e) = self.board.bot_input(id, input, now()) {
            tracing::debug!(error = %e, "a bot's input for a call no longer on the line");
        }
    }

    pub(super) fn close_conversations(&mut self) {
        for (_, call) in std::mem::take(&mut self.bot_calls) {
            call.close();
        }
    }
}
