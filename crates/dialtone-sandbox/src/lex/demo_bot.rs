//! The demo bot, `lex:DEMOBOT001`: a hotel desk that greets with a spoken prompt, books a
//! room on DTMF 1 or on typed "book a room", asks for the city, and lets the caller barge
//! in on any prompt (a key, text, or voice). It has no speech recognition: voice is
//! detected by its energy, and its transcript says how long the caller spoke.
//! Decisions only; `conversation.rs` does the IO.

use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

pub const BOT_ID: &str = "DEMOBOT001";
pub const ALIAS_ID: &str = "TSTALIASID";
pub const LOCALE_ID: &str = "en_US";

/// A spoken prompt: its words, and its audio at 8 kHz.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub text: &'static str,
    pub pcm: Arc<Vec<i16>>,
}

pub struct Prompts {
    pub greeting: Prompt,
    pub book_room: Prompt,
    pub fallback: Prompt,
    pub heard_voice: Prompt,
}

/// The prompts, spoken by espeak-ng (`scripts/make-bot-prompts.sh`) and resampled to
/// 8 kHz once.
pub fn prompts() -> &'static Prompts {
    static P: OnceLock<Prompts> = OnceLock::new();
    P.get_or_init(|| {
        let load = |text: &'static str, wav: &'static [u8]| Prompt {
            text,
            pcm: Arc::new(to_8k(wav)),
        };
        Prompts {
            greeting: load(
                "Welcome to the Dialtone demo hotel. Press 1 to book a room, or type what you need.",
                include_bytes!("../../prompts/greeting.wav"),
            ),
            book_room: load(
                "Okay, let's book a room. Which city are you travelling to?",
                include_bytes!("../../prompts/book_room.wav"),
            ),
            fallback: load(
                "Sorry, I can only book rooms. Press 1, or type book a room.",
                include_bytes!("../../prompts/fallback.wav"),
            ),
            heard_voice: load(
                "I heard you, but I understand only keys and typed text. Press 1 to book a room.",
                include_bytes!("../../prompts/heard_voice.wav"),
            ),
        }
    })
}

fn to_8k(wav: &[u8]) -> Vec<i16> {
    let decoded = hound::WavReader::new(std::io::Cursor::new(wav)).and_then(|mut r| {
        let rate = r.spec().sample_rate;
        let s: Result<Vec<f32>, _> = r
            .samples::<i16>()
            .map(|s| s.map(|v| f32::from(v) / 32768.0))
            .collect();
        s.map(|s| (rate, s))
    });
    let (rate, samples) = match decoded {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "a bot prompt is not a WAV file");
            return Vec::new();
        }
    };
    match dialtone_core::audio::resample::resample_whole(&samples, rate, 8000) {
        Ok(out) => out
            .into_iter()
            .map(|v| (v.clamp(-1.0, 1.0) * 32767.0) as i16)
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "cannot resample a bot prompt");
            Vec::new()
        }
    }
}

/// What the bot does next.
#[derive(Debug, Clone)]
pub enum Action {
    /// Sends an event as it is.
    Send(&'static str, Value),
    /// Says a prompt: its text, then (when the client wants audio) its audio.
    Say(Prompt),
    /// Stops the prompt being said (barge-in) with this reason.
    Interrupt(&'static str),
}

/// Voice activity by frame energy: 3 loud 20 ms frames start speech, 600 ms quiet end it.
#[derive(Debug, Default)]
struct Vad {
    loud_run: u32,
    quiet_run: u32,
    speaking: bool,
    spoken_frames: u32,
}

const VOICE_RMS: f64 = 500.0; // about -36 dBFS
const START_FRAMES: u32 = 3;
const END_FRAMES: u32 = 30;

enum Voice {
    Started,
    Ended { secs: f64 },
}

impl Vad {
    fn frame(&mut self, pcm: &[i16]) -> Option<Voice> {
        if pcm.is_empty() {
            return None;
        }
        let rms = (pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len() as f64).sqrt();
        if rms >= VOICE_RMS {
            self.loud_run += 1;
            self.quiet_run = 0;
            if self.speaking {
                self.spoken_frames += 1;
            } else if self.loud_run >= START_FRAMES {
                self.speaking = true;
                self.spoken_frames = self.loud_run;
                return Some(Voice::Started);
            }
        } else {
            self.loud_run = 0;
            if self.speaking {
                self.quiet_run += 1;
                if self.quiet_run >= END_FRAMES {
                    self.speaking = false;
                    self.quiet_run = 0;
                    return Some(Voice::Ended {
                        secs: f64::from(self.spoken_frames) * 0.02,
                    });
                }
            }
        }
        None
    }
}

pub struct DemoBot {
    session_id: String,
    /// A prompt is being said (until the client's PlaybackCompletionEvent).
    pub saying: bool,
    awaiting_city: bool,
    vad: Vad,
    next_id: u64,
}

impl DemoBot {
    pub fn new(session_id: &str) -> Self {
        Self {
            session_id: session_id.to_owned(),
            saying: false,
            awaiting_city: false,
            vad: Vad::default(),
            next_id: 0,
        }
    }

    pub fn event_id(&mut self) -> String {
        self.next_id += 1;
        format!("sandbox-{}", self.next_id)
    }

    fn barge_in(&mut self, reason: &'static str, out: &mut Vec<Action>) {
        if self.saying {
            self.saying = false;
            out.push(Action::Interrupt(reason));
        }
    }

    fn intent(&mut self, mode: &str, name: &str, state: &str, slots: Value, elicit: Option<&str>) -> Action {
        let dialog = match elicit {
            Some(slot) => json!({"type": "ElicitSlot", "slotToElicit": slot}),
            None => json!({"type": "Close"}),
        };
        let intent = json!({"name": name, "state": state, "slots": slots, "confirmationState": "None"});
        Action::Send(
            "IntentResultEvent",
            json!({
                "inputMode": mode,
                "interpretations": [{"intent": intent, "nluConfidence": {"score": 1.0}}],
                "sessionState": {"intent": intent, "dialogAction": dialog},
                "sessionId": self.session_id,
                "eventId": self.event_id(),
            }),
        )
    }

    fn transcript(&mut self, text: &str) -> Action {
        Action::Send(
            "TranscriptEvent",
            json!({"transcript": text, "eventId": self.event_id()}),
        )
    }

    fn say(&mut self, p: &Prompt) -> Action {
        self.saying = true;
        Action::Say(p.clone())
    }

    /// The conversation starts: the client's welcome messages, then the greeting.
    pub fn start(&mut self, welcome: Vec<String>) -> Vec<Action> {
        let mut out = Vec::new();
        if !welcome.is_empty() {
            let messages: Vec<Value> = welcome
                .iter()
                .map(|m| json!({"contentType": "PlainText", "content": m}))
                .collect();
            out.push(Action::Send(
                "TextResponseEvent",
                json!({"messages": messages, "eventId": self.event_id()}),
            ));
        }
        out.push(self.say(&prompts().greeting));
        out
    }

    pub fn dtmf(&mut self, key: &str) -> Vec<Action> {
        let mut out = Vec::new();
        self.barge_in("DTMF_START_DETECTED", &mut out);
        out.push(self.transcript(key));
        if key == "1" {
            self.awaiting_city = true;
            out.push(self.intent("DTMF", "BookRoom", "InProgress", json!({}), Some("City")));
            out.push(self.say(&prompts().book_room));
        } else {
            out.push(self.intent("DTMF", "FallbackIntent", "Failed", json!({}), None));
            out.push(self.say(&prompts().fallback));
        }
        out
    }

    pub fn text(&mut self, text: &str) -> Vec<Action> {
        let mut out = Vec::new();
        self.barge_in("TEXT_DETECTED", &mut out);
        out.push(self.transcript(text));
        let lower = text.to_lowercase();
        if lower.contains("book") && lower.contains("room") {
            self.awaiting_city = true;
            out.push(self.intent("Text", "BookRoom", "InProgress", json!({}), Some("City")));
            out.push(self.say(&prompts().book_room));
        } else if self.awaiting_city {
            self.awaiting_city = false;
            let city = json!({"City": {"value": {"originalValue": text, "interpretedValue": text}}});
            out.push(self.intent("Text", "BookRoom", "Fulfilled", city, None));
            let reply = format!("Done: a room in {text} is booked. Goodbye!");
            let id = self.event_id();
            out.push(Action::Send(
                "TextResponseEvent",
                json!({"messages": [{"contentType": "PlainText", "content": reply}], "eventId": id}),
            ));
        } else {
            out.push(self.intent("Text", "FallbackIntent", "Failed", json!({}), None));
            out.push(self.say(&prompts().fallback));
        }
        out
    }

    /// 20 ms or so of the caller's audio.
    pub fn audio(&mut self, pcm: &[i16]) -> Vec<Action> {
        let mut out = Vec::new();
        match self.vad.frame(pcm) {
            Some(Voice::Started) => self.barge_in("VOICE_START_DETECTED", &mut out),
            Some(Voice::Ended { secs }) => {
                out.push(self.transcript(&format!("(speech, {secs:.1} s)")));
                out.push(self.intent("Speech", "FallbackIntent", "Failed", json!({}), None));
                out.push(self.say(&prompts().heard_voice));
            }
            None => {}
        }
        out
    }

    pub fn playback_completed(&mut self) {
        self.saying = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .map(|a| match a {
                Action::Send(n, _) => (*n).to_owned(),
                Action::Say(p) => format!("say:{}", &p.text[..8]),
                Action::Interrupt(r) => format!("interrupt:{r}"),
            })
            .collect()
    }

    #[test]
    fn the_prompts_are_speech_at_8_khz() {
        let p = prompts();
        for prompt in [&p.greeting, &p.book_room, &p.fallback, &p.heard_voice] {
            let secs = prompt.pcm.len() as f64 / 8000.0;
            assert!((2.0..10.0).contains(&secs), "{}: {secs} s", prompt.text);
            let peak = prompt.pcm.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
            assert!(peak > 5000, "{}: peak {peak}", prompt.text);
        }
    }

    #[test]
    fn dtmf_1_books_a_room_and_barges_in_on_the_greeting() {
        let mut b = DemoBot::new("s");
        assert_eq!(names(&b.start(vec![])), ["say:Welcome "]);
        assert_eq!(
            names(&b.dtmf("1")),
            [
                "interrupt:DTMF_START_DETECTED",
                "TranscriptEvent",
                "IntentResultEvent",
                "say:Okay, le"
            ]
        );
        b.playback_completed();
        let city = b.text("Lisbon");
        assert_eq!(
            names(&city),
            ["TranscriptEvent", "IntentResultEvent", "TextResponseEvent"]
        );
        let Action::Send(_, intent) = &city[1] else {
            panic!("intent")
        };
        assert_eq!(intent["sessionState"]["intent"]["state"], "Fulfilled");
    }

    #[test]
    fn voice_is_detected_by_energy_and_answered_when_it_ends() {
        let mut b = DemoBot::new("s");
        b.start(vec![]);
        let loud = vec![4000i16; 160];
        let quiet = vec![0i16; 160];
        let mut all = Vec::new();
        for _ in 0..20 {
            all.extend(b.audio(&loud));
        }
        assert_eq!(names(&all), ["interrupt:VOICE_START_DETECTED"]);
        let mut after = Vec::new();
        for _ in 0..END_FRAMES {
            after.extend(b.audio(&quiet));
        }
        assert_eq!(
            names(&after),
            ["TranscriptEvent", "IntentResultEvent", "say:I heard "]
        );
    }
}
