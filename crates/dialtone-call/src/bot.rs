//! Bot calls (Lex), sans-IO like [`super::CallMachine`]: inputs are user commands, what
//! the conversation stream reports, the playout's progress and time; outputs are
//! effects for the driver (`signaling/lex/driver.rs`) to carry out.
//!
//! ```text
//! Idle → Dialing → Connected ⇄ Held → Ending → Ended(reason)
//! ```
//! Hold is local: the microphone sends silence and the bot's audio is not heard.

use crate::address::Address;
use crate::lex::LexBot;
use crate::machine::{Allowed, CallError, CallState, Command, EndReason};
use crate::{CallEvent, MAX_TEXT_CHARS, bounded_text};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long the stream may take to open.
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(20);
/// Lex sends heartbeats; this long without any event and the bot is gone.
pub const BOT_SILENCE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a hang-up waits for the bot to close the stream.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);
/// Lex's limit on a TextInputEvent.
pub const MAX_TEXT: usize = 512;

/// What the conversation stream reports, free of the SDK's types.
#[derive(Debug, Clone, PartialEq)]
pub enum BotEvent {
    Heartbeat,
    Transcript(String),
    /// The bot's messages, as text.
    Messages(Vec<String>),
    /// Prompt audio at 8 kHz; empty marks the end of a prompt.
    Audio(Vec<i16>),
    Intent {
        name: String,
        state: Option<String>,
        input_mode: Option<String>,
    },
    /// Barge-in: the bot stopped its prompt, for this reason.
    Interrupted(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum BotInput {
    Command(Command),
    /// The stream is open (the bot sent its response headers).
    Opened,
    Event(BotEvent),
    /// Everything given to the speaker has been played.
    PlayoutDrained,
    /// The stream failed: an exception (by its name) or the connection.
    Failed {
        code: String,
        message: String,
    },
    /// The bot closed the stream.
    Closed,
}

/// What we send the bot (the ConfigurationEvent goes with [`BotEffect::Open`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotRequest {
    Dtmf(char),
    Text(String),
    PlaybackCompleted,
    Disconnect,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BotEffect {
    Open(LexBot),
    Send(BotRequest),
    Play(Vec<i16>),
    /// Drop what is queued for the speaker (barge-in).
    StopPlayout,
    /// Live microphone audio, or silence (muted or held).
    Mic {
        live: bool,
    },
    /// Whether the bot's audio is heard (not while held).
    Speaker {
        on: bool,
    },
    Close,
    State(CallState),
    Event(CallEvent),
}

#[derive(Debug)]
pub struct BotMachine {
    state: CallState,
    muted: bool,
    /// A prompt is being played.
    prompt: bool,
    /// The bot expects a PlaybackCompletionEvent after each prompt.
    completions: bool,
    deadline: Option<Instant>,
    effects: VecDeque<BotEffect>,
}

impl BotMachine {
    /// `completions`: false when the ConfigurationEvent set `disablePlayback`.
    pub fn new(completions: bool) -> Self {
        Self {
            state: CallState::Idle,
            muted: false,
            prompt: false,
            completions,
            deadline: None,
            effects: VecDeque::new(),
        }
    }

    pub fn state(&self) -> &CallState {
        &self.state
    }

    pub fn is_muted(&self) -> bool {
        self.muted
    }

    pub fn poll_effect(&mut self) -> Option<BotEffect> {
        self.effects.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    fn go(&mut self, s: CallState) {
        if self.state != s {
            self.state = s.clone();
            self.effects.push_back(BotEffect::State(s));
        }
    }

    fn event(&mut self, e: CallEvent) {
        self.effects.push_back(BotEffect::Event(e));
    }

    /// What a bot call allows in `state` (dial only a bot; hold and mute are local).
    pub fn allowed(state: &CallState) -> Allowed {
        use CallState as S;
        Allowed {
            dial: matches!(state, S::Idle | S::Ended(_)),
            hangup: matches!(state, S::Dialing | S::Connected | S::Held),
            hold: *state == S::Connected,
            resume: *state == S::Held,
            mute: matches!(state, S::Connected | S::Held),
            dtmf: *state == S::Connected,
            text: *state == S::Connected,
            ..Allowed::default()
        }
    }

    fn illegal(&self, c: &Command, why: &str) -> CallError {
        CallError::IllegalCommand {
            command: c.name(),
            state: if why.is_empty() {
                self.state.to_string()
            } else {
                format!("{} ({why})", self.state)
            },
        }
    }

    fn stop_prompt(&mut self) {
        if self.prompt {
            self.prompt = false;
            self.effects.push_back(BotEffect::StopPlayout);
            self.event(CallEvent::Prompt { playing: false });
        }
    }

    fn end(&mut self, reason: EndReason) {
        self.stop_prompt();
        self.effects.push_back(BotEffect::Close);
        self.deadline = None;
        self.go(CallState::Ended(reason));
    }

    fn hang_up(&mut self, now: Instant) {
        self.stop_prompt();
        self.effects.push_back(BotEffect::Send(BotRequest::Disconnect));
        self.effects.push_back(BotEffect::Close);
        self.deadline = Some(now + CLOSE_TIMEOUT);
        self.go(CallState::Ending);
    }

    pub fn handle(&mut self, input: BotInput, now: Instant) -> Result<(), CallError> {
        match input {
            BotInput::Command(c) => return self.command(c, now),
            BotInput::Opened if self.state == CallState::Dialing => {
                self.go(CallState::Connected);
                self.effects.push_back(BotEffect::Speaker { on: true });
                self.effects.push_back(BotEffect::Mic { live: !self.muted });
                self.deadline = Some(now + BOT_SILENCE_TIMEOUT);
            }
            BotInput::Event(e) if self.state.is_established() => self.bot_event(e, now),
            BotInput::PlayoutDrained if self.prompt => {
                self.prompt = false;
                self.event(CallEvent::Prompt { playing: false });
                if self.completions && self.state.is_established() {
                    self.effects
                        .push_back(BotEffect::Send(BotRequest::PlaybackCompleted));
                }
            }
            BotInput::Failed { code, message } if self.state.is_active() => {
                if self.state == CallState::Ending {
                    self.end(EndReason::Hangup);
                } else {
                    self.event(CallEvent::Error {
                        code,
                        message: message.clone(),
                    });
                    self.end(EndReason::Failed(message));
                }
            }
            BotInput::Closed => match self.state {
                CallState::Ending => self.end(EndReason::Hangup),
                CallState::Dialing => self.end(EndReason::Failed(
                    "the bot closed the conversation before it began".into(),
                )),
                ref s if s.is_established() => self.end(EndReason::Terminated),
                _ => {}
            },
            other => tracing::debug!(input = ?other, state = %self.state, "bot input ignored"),
        }
        Ok(())
    }

    fn command(&mut self, c: Command, now: Instant) -> Result<(), CallError> {
        use CallState as S;
        match (&self.state, &c) {
            (S::Idle | S::Ended(_), Command::Dial(Address::Lex(bot))) => {
                self.muted = false;
                self.prompt = false;
                self.effects.push_back(BotEffect::Open(bot.clone()));
                self.deadline = Some(now + OPEN_TIMEOUT);
                self.go(S::Dialing);
            }
            (_, Command::Dial(a @ (Address::Phone(_) | Address::Alexa(_)))) => {
                let why = format!("this line calls Lex bots; {a} needs the CAMARA or Alexa network");
                return Err(self.illegal(&c, &why));
            }
            (S::Dialing | S::Connected | S::Held, Command::Hangup) => self.hang_up(now),
            (S::Connected, Command::Hold) => {
                self.go(S::Held);
                self.effects.push_back(BotEffect::Mic { live: false });
                self.effects.push_back(BotEffect::Speaker { on: false });
            }
            (S::Held, Command::Resume) => {
                self.go(S::Connected);
                self.effects.push_back(BotEffect::Speaker { on: true });
                self.effects.push_back(BotEffect::Mic { live: !self.muted });
            }
            (S::Connected | S::Held, Command::Mute(on)) => {
                let on = *on;
                if self.muted != on {
                    self.muted = on;
                    if self.state == S::Connected {
                        self.effects.push_back(BotEffect::Mic { live: !on });
                    }
                    self.event(CallEvent::Muted { muted: on });
                }
            }
            (S::Connected, Command::Dtmf(digits)) => {
                crate::dtmf::validate_digits(digits).map_err(|e| self.illegal(&c, &e.to_string()))?;
                if digits.is_empty() {
                    return Err(self.illegal(&c, "no digits given"));
                }
                for d in digits.chars() {
                    self.effects.push_back(BotEffect::Send(BotRequest::Dtmf(d)));
                    self.event(CallEvent::Dtmf {
                        digit: d.to_string(),
                        received: false,
                    });
                }
            }
            (S::Connected, Command::Text(text)) => {
                let text = text.trim();
                let n = text.chars().count();
                if n == 0 || n > MAX_TEXT {
                    let why = format!("the text must be 1-{MAX_TEXT} characters; it is {n}");
                    return Err(self.illegal(&c, &why));
                }
                self.effects
                    .push_back(BotEffect::Send(BotRequest::Text(text.to_owned())));
            }
            (_, Command::Register | Command::Answer | Command::Decline) => {
                return Err(self.illegal(&c, "bots do not call in; dial lex:<botId>"));
            }
            _ => return Err(self.illegal(&c, "")),
        }
        Ok(())
    }

    fn bot_event(&mut self, e: BotEvent, now: Instant) {
        self.deadline = Some(now + BOT_SILENCE_TIMEOUT);
        match e {
            BotEvent::Heartbeat => {}
            BotEvent::Transcript(text) => self.event(CallEvent::Transcript {
                text: bounded_text(&text, MAX_TEXT_CHARS),
            }),
            BotEvent::Messages(texts) => {
                for text in texts {
                    self.event(CallEvent::BotText {
                        text: bounded_text(&text, MAX_TEXT_CHARS),
                    });
                }
            }
            BotEvent::Intent {
                name,
                state,
                input_mode,
            } => self.event(CallEvent::Intent {
                name,
                state,
                input_mode,
            }),
            BotEvent::Audio(pcm) if pcm.is_empty() => {}
            BotEvent::Audio(pcm) => {
                if !self.prompt {
                    self.prompt = true;
                    self.event(CallEvent::Prompt { playing: true });
                }
                self.effects.push_back(BotEffect::Play(pcm));
            }
            BotEvent::Interrupted(reason) => {
                self.stop_prompt();
                self.event(CallEvent::Interrupted { reason });
            }
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_none_or(|d| now < d) {
            return;
        }
        match self.state {
            CallState::Dialing => {
                let why = format!("the bot did not answer within {} s", OPEN_TIMEOUT.as_secs());
                self.event(CallEvent::Error {
                    code: "TIMEOUT".into(),
                    message: why.clone(),
                });
                self.end(EndReason::Failed(why));
            }
            CallState::Ending => self.end(EndReason::Hangup),
            ref s if s.is_established() => {
                let why = format!(
                    "the bot sent nothing, not even a heartbeat, for {} s",
                    BOT_SILENCE_TIMEOUT.as_secs()
                );
                self.effects.push_back(BotEffect::Send(BotRequest::Disconnect));
                self.event(CallEvent::Error {
                    code: "TIMEOUT".into(),
                    message: why.clone(),
                });
                self.end(EndReason::Failed(why));
            }
            _ => self.deadline = None,
        }
    }
}
