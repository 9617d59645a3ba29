//! Several calls on one line: each call's speaker recorded apart (in the order the calls
//! got their media), the line's call list, and what each sandbox far end hears of us
//! and of the others.

use crate::line::{Line, options};
use dialtone_core::audio::FnBackend;
use dialtone_core::call::{CallId, LineCall, LineCommand};
use dialtone_core::media::analysis::goertzel_power;
use dialtone_core::media::io::{AudioSource, RecordingSink, ToneSource};
use dialtone_phone::Network;
use dialtone_sandbox::Sandbox;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The window each audio check reads.
const WINDOW: Duration = Duration::from_millis(300);
/// How long audio may take to match after a change (a swap, a merge).
const SETTLE: Duration = Duration::from_secs(3);

/// Each call's speaker, in the order the calls' media was made.
#[derive(Clone, Default)]
pub struct Ears(Arc<Mutex<Vec<RecordingSink>>>);

impl Ears {
    /// The speaker of the `n`th call to get media (0: the first).
    pub fn of(&self, n: usize) -> RecordingSink {
        let ears = self.0.lock().expect("lock");
        ears.get(n)
            .cloned()
            .unwrap_or_else(|| panic!("only {} calls had media", ears.len()))
    }
}

/// A line on `sandbox` whose microphone plays `tone_hz`, every call's speaker apart.
pub async fn line(sandbox: &Sandbox, tone_hz: f64) -> (Line, Ears) {
    let ears = Ears::default();
    let list = ears.clone();
    let audio = FnBackend::shared(move || {
        let heard = RecordingSink::new();
        list.0.lock().expect("lock").push(heard.clone());
        (Box::new(ToneSource::new(tone_hz, 0.3)), Box::new(heard))
    });
    let line = Line::open(&options(sandbox, Network::Camara), audio, RecordingSink::new()).await;
    (line, ears)
}

/// How strong `hz` is in `samples`, against a tone of the scenarios' loudness (0.3):
/// about 1 when there, near 0 when not.
pub fn strength(samples: &[i16], rate: u32, hz: f64) -> f64 {
    if samples.is_empty() || rate == 0 {
        return 0.0;
    }
    let mut reference = vec![0; samples.len()];
    ToneSource::new(hz, 0.3).read(rate, &mut reference);
    goertzel_power(samples, rate, hz) / goertzel_power(&reference, rate, hz).max(f64::MIN_POSITIVE)
}

/// What a check expects of a tone: there (at least a tenth of a lone tone's power, as
/// codecs and mixing keep), or not (under a two-hundredth).
pub fn matches(strength: f64, there: bool) -> bool {
    if there { strength > 0.1 } else { strength < 0.005 }
}

/// Polls `read` until every tone in `want` is there or not as asked, up to [`SETTLE`];
/// says what was found when it never was.
async fn until_tones(
    what: &str,
    want: &[(f64, bool)],
    read: impl AsyncFn() -> (u32, Vec<i16>),
) -> Result<(), String> {
    let start = Instant::now();
    loop {
        let (rate, samples) = read().await;
        let found: Vec<(f64, f64)> = want
            .iter()
            .map(|(hz, _)| (*hz, strength(&samples, rate, *hz)))
            .collect();
        let n = (f64::from(rate) * WINDOW.as_secs_f64()) as usize;
        if samples.len() >= n
            && n > 0
            && want
                .iter()
                .zip(&found)
                .all(|((_, there), (_, s))| matches(*s, *there))
        {
            return Ok(());
        }
        if start.elapsed() > SETTLE {
            return Err(format!(
                "{what}: wanted {want:?} (tone, there), found strengths {found:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The far end of `session` hears (or not) each tone in `want`. A failure also says what
/// the operator knows of the session, twice half a second apart: whether our packets
/// still reach the far end tells a silent sender from a far end that stopped listening.
pub async fn far_end_hears(sandbox: &Sandbox, session: &str, want: &[(f64, bool)]) {
    let heard = until_tones(&format!("far end of {session}"), want, async || {
        sandbox
            .far_end_heard(session, WINDOW)
            .await
            .unwrap_or((0, Vec::new()))
    })
    .await;
    if let Err(found) = heard {
        let view = async || {
            sandbox
                .status()
                .await
                .sessions
                .into_iter()
                .find(|s| s.media_session_id == session)
        };
        let before = view().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = view().await;
        panic!("{found}\nthe operator's view: {before:?}\nhalf a second later: {after:?}");
    }
}

/// The sandbox's newest bot conversation hears (or not) each tone in `want`.
pub async fn bot_hears(sandbox: &Sandbox, want: &[(f64, bool)]) {
    until_tones("the bot", want, async || {
        let heard = sandbox
            .lex_conversations()
            .pop()
            .map(|c| c.audio)
            .unwrap_or_default();
        let n =
            (f64::from(dialtone_core::signaling::lex::client::SAMPLE_RATE) * WINDOW.as_secs_f64()) as usize;
        let tail = heard[heard.len().saturating_sub(n)..].to_vec();
        (dialtone_core::signaling::lex::client::SAMPLE_RATE, tail)
    })
    .await
    .unwrap_or_else(|found| panic!("{found}"));
}

/// We hear (or not) each tone in `want` on `ear`.
pub async fn we_hear(ear: &RecordingSink, want: &[(f64, bool)]) {
    until_tones("our speaker", want, async || {
        let (rate, samples) = ear.samples_since(0);
        let n = (f64::from(rate) * WINDOW.as_secs_f64()) as usize;
        let tail = samples[samples.len().saturating_sub(n)..].to_vec();
        (rate, tail)
    })
    .await
    .unwrap_or_else(|found| panic!("{found}"));
}

/// The sandbox's session with the far end `number` (the newest, if it had several).
pub async fn session_with(sandbox: &Sandbox, number: &str) -> String {
    let start = Instant::now();
    loop {
        let found = sandbox
            .status()
            .await
            .sessions
            .into_iter()
            .rev()
            .find(|s| s.number == number)
            .map(|s| s.media_session_id);
        if let Some(id) = found {
            return id;
        }
        assert!(
            start.elapsed() < SETTLE,
            "the sandbox has no session with {number}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the operator sees our direction in `session` as `want` (it records an
/// answer a moment after our side settles); panics with what it saw.
pub async fn operator_sees(sandbox: &Sandbox, session: &str, want: dialtone_core::media::Direction) {
    let start = Instant::now();
    loop {
        let seen = sandbox
            .status()
            .await
            .sessions
            .into_iter()
            .find(|s| s.media_session_id == session)
            .and_then(|s| s.client_direction);
        if seen == Some(want) {
            return;
        }
        assert!(
            start.elapsed() < SETTLE,
            "the operator sees {seen:?} in {session}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the line's calls are exactly `want` (id, state), in order.
pub async fn calls_are(line: &Line, want: &[(CallId, &str)], within: Duration) -> Vec<LineCall> {
    let found = line
        .call
        .wait_calls(within, |calls| LineCall::are(calls, want))
        .await;
    found.unwrap_or_else(|| {
        panic!(
            "calls never {want:?}: {:?}; events {:?}",
            line.call.calls(),
            line.events()
        )
    })
}

/// Sends a command naming its call; panics if the line refuses it.
pub async fn command(line: &Line, c: LineCommand) -> Option<CallId> {
    let what = format!("{c:?}");
    line.call
        .line(c)
        .await
        .unwrap_or_else(|e| panic!("{what} refused: {e}"))
}
