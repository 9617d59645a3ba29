//! Bot calls to the sandbox's demo bot, shared by the Lex scenarios and `make bench`.

use crate::line::{Line, lex_line};
use dialtone_core::audio::{AudioBackend, FnBackend};
use dialtone_core::call::{CallEvent, Command};
use dialtone_core::media::io::{SilenceSource, ToneSource};
use dialtone_core::media::{AudioSink, AudioSource};
use dialtone_core::signaling::lex::Mode;
use dialtone_sandbox::Sandbox;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BOT: &str = "lex:DEMOBOT001";
pub const GREETING: &str = "Welcome to the Dialtone demo hotel";

/// A bot call, connected.
pub async fn connected(sb: &Sandbox, mode: Mode, audio: Arc<dyn AudioBackend>) -> Line {
    let line = lex_line(sb, mode, audio).await;
    line.dial(BOT).await;
    line.wait("Connected", Duration::from_secs(10)).await;
    line
}

pub fn bot_said(words: &str) -> impl Fn(&CallEvent) -> bool {
    let words = words.to_owned();
    move |e| matches!(e, CallEvent::BotText { text } if text.contains(&words))
}

pub async fn hang_up(line: &Line) {
    line.call.command(Command::Hangup).await.expect("hang up");
    line.wait("Ended", Duration::from_secs(5)).await;
}

/// Records when each 20 ms frame reached the speaker, and how loud it was.
#[derive(Clone, Default)]
pub struct TimedSink(pub Arc<Mutex<Vec<(Instant, f32)>>>);

impl AudioSink for TimedSink {
    fn write(&mut self, _rate: u32, pcm: &[i16]) {
        if let Ok(mut v) = self.0.lock() {
            v.push((
                Instant::now(),
                dialtone_core::media::analysis::rms_dbfs(pcm) as f32,
            ));
        }
    }
}

/// What a voice barge-in during the greeting did to the speaker.
#[derive(Debug)]
pub struct BargeIn {
    /// Loud frames in the 800 ms before the bot sent PlaybackInterruptionEvent.
    pub loud_before: usize,
    /// From the bot sending PlaybackInterruptionEvent to the end of the last loud frame.
    pub stopped_after: Duration,
}

/// Calls the demo bot in audio mode, starts "talking" (a 440 Hz tone) 1 s into the
/// greeting, and measures how fast the greeting stops. The call is left up.
pub async fn barge_in(sb: &Sandbox) -> (Line, BargeIn) {
    let voice = ToneSource::new(0.0, 0.3);
    let pitch = voice.frequency_handle();
    let speaker = TimedSink::default();
    let (source, sink) = (Mutex::new(Some(voice)), speaker.clone());
    let audio = FnBackend::shared(move || {
        let src: Box<dyn AudioSource> = match source.lock().ok().and_then(|mut s| s.take()) {
            Some(v) => Box::new(v),
            None => Box::new(SilenceSource),
        };
        (src, Box::new(sink.clone()) as Box<dyn AudioSink>)
    });
    let line = connected(sb, Mode::Audio, audio).await;
    line.wait_event(Duration::from_secs(5), |e| {
        *e == CallEvent::Prompt { playing: true }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    if let Ok(mut f) = pitch.lock() {
        *f = 440.0; // the caller starts talking
    }
    line.wait_event(Duration::from_secs(5), |e| {
        *e == CallEvent::Interrupted {
            reason: "VOICE_START_DETECTED".into(),
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let sent = sb
        .lex_conversations()
        .last()
        .and_then(|c| c.interruptions.first().copied())
        .expect("the bot sent an interruption");
    let frames = speaker.0.lock().map(|f| f.clone()).unwrap_or_default();
    let loud = |db: f32| db > -45.0;
    let loud_before = frames
        .iter()
        .filter(|(t, db)| *t < sent && sent.duration_since(*t) < Duration::from_millis(800) && loud(*db))
        .count();
    let last_loud = frames
        .iter()
        .filter(|(_, db)| loud(*db))
        .map(|(t, _)| *t)
        .max()
        .unwrap_or(sent);
    // A frame written at t plays until t + 20 ms.
    let stopped_after = (last_loud + Duration::from_millis(20)).saturating_duration_since(sent);
    (
        line,
        BargeIn {
            loud_before,
            stopped_after,
        },
    )
}
