//! Runs a Lex line's bot calls: the sans-IO [`BotMachine`] fed by user commands, the
//! conversation stream and the speaker's progress, with its effects carried out here and
//! the conversation's IO in `io.rs` (which a phone line's bot calls share).

use super::client::LexClient;
use super::io::{BotIo, Conversing};
use crate::audio::AudioBackend;
use crate::call::bot::{BotEffect, BotInput, BotMachine};
use crate::call::{CallEvent, CallHandle, CallId, CallState, Command, LineCall, LineError};
use crate::call::{Control, DriverEnds};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// The id of a bot conversation on its line.
const BOT_CALL: CallId = 1;

pub struct LexDriver;

impl LexDriver {
    pub fn spawn(client: Arc<LexClient>, audio: Arc<dyn AudioBackend>) -> CallHandle {
        let (handle, ends) = CallHandle::pair();
        tokio::spawn(run(BotIo { client, audio }, ends));
        handle
    }
}

async fn run(io: BotIo, ends: DriverEnds) {
    // A bot line's audio is the conversation's own, never on a bus.
    let DriverEnds {
        mut commands,
        mut out,
        bus: _,
    } = ends;
    let mut machine = BotMachine::new(io.completions());
    let (input_tx, mut inputs) = mpsc::channel::<(u64, BotInput)>(1024);
    let mut generation = 0;
    let mut current: Option<Conversing> = None;
    let mut done = None;
    // A bot conversation is the line's one call.
    let emit = |out: &crate::call::handle::Publisher, e: CallEvent| out.emit(BOT_CALL, e);
    loop {
        let mut reply = None;
        tokio::select! {
            ctl = commands.recv() => match ctl {
                Some(Control::Command(c, r)) => reply = Some((r, machine.handle(BotInput::Command(c), Instant::now()))),
                Some(Control::Line(c, r)) => {
                    let _ = r.send(Err(LineError::Busy {
                        what: "address calls",
                        why: format!("a bot conversation is one call ({c:?} needs a phone line)"),
                    }));
                }
                Some(Control::Shutdown(r)) => {
                    if machine.state().is_active() {
                        let _ = machine.handle(BotInput::Command(Command::Hangup), Instant::now());
                    }
                    done = Some(r);
                }
                None => break,
            },
            Some((g, input)) = inputs.recv() => {
                if g == generation {
                    let _ = machine.handle(input, Instant::now());
                }
            }
            _ = sleep_until(machine.poll_timeout()) => machine.handle_timeout(Instant::now()),
        }
        while let Some(effect) = machine.poll_effect() {
            match effect {
                BotEffect::Open(bot) => {
                    generation += 1;
                    if let Some(old) = current.take() {
                        old.close();
                    }
                    current = Some(io.open(bot, generation, &input_tx));
                }
                BotEffect::Close => {
                    if let Some(c) = current.take() {
                        c.close();
                    }
                }
                BotEffect::State(s) => {
                    let reason = match &s {
                        CallState::Ended(r) => Some(r.to_string()),
                        _ => None,
                    };
                    emit(
                        &out,
                        CallEvent::state(&s, crate::call::bot::BotMachine::allowed(&s)),
                    );
                    if let Some(r) = reason {
                        emit(&out, CallEvent::Ended { reason: r });
                    }
                    let allowed = crate::call::bot::BotMachine::allowed(&s);
                    out.calls(
                        vec![LineCall {
                            call: BOT_CALL,
                            state: s.name().to_owned(),
                            remote: String::new(),
                            incoming: false,
                            allowed,
                            merge: false,
                        }],
                        Vec::new(),
                        Some(BOT_CALL),
                        crate::call::LineAllowed {
                            dial: allowed.dial,
                            split: false,
                        },
                    );
                    out.state(s);
                }
                BotEffect::Event(e) => emit(&out, e),
                io_effect => {
                    if let Some(e) = current.as_ref().and_then(|c| c.apply(io_effect)) {
                        emit(&out, e);
                    }
                }
            }
        }
        if let Some((r, result)) = reply {
            let _ = r.send(result);
        }
        // Closing waits for a call in progress to end (the bot machine bounds that), so
        // Ended is published and the history written.
        if done.is_some() && !machine.state().is_active() {
            break;
        }
    }
    if let Some(c) = current.take() {
        c.close();
    }
    if let Some(r) = done {
        let _ = r.send(());
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
