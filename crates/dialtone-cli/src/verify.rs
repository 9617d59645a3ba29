//! `dialtone verify-hold NUMBER`: the standard hold check, run as QA would by ear but with
//! distinct tones each way. We send 1000 Hz; the far end must send something else (the
//! sandbox's +15550101 plays 440 Hz), so hold music or comfort noise is never taken for
//! the call's audio. Each cycle:
//!
//! 1. two-way: we hear the far end's tone, and (on the sandbox) it hears our 1000 Hz;
//! 2. hold: Held, then our audio stops reaching the far end (its packet count flat, its
//!    ears without our tone);
//! 3. resume: audio both ways again, and the two tones as in 1.
//!
//! One JSON verdict on stdout; exit 0 when every check passed, 1 otherwise.

use crate::report::{Shared, lock};
use crate::script::{Expectation, Step};
use dialtone_core::media::analysis::{peak_frequency, rms_dbfs};
use dialtone_core::media::io::{TailSink, ToneSource};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Our tone, and how loud.
pub const OUR_HZ: f64 = 1000.0;
const AMPLITUDE: f64 = 0.3;
/// How much audio a tone check listens to.
const LISTEN: Duration = Duration::from_millis(400);
/// Quieter than this is no tone.
const TONE_DBFS: f64 = -45.0;
/// Two tones closer than this are the same.
const SAME_HZ: f64 = 40.0;

/// What we hear, kept for the tone checks (the last seconds only).
pub struct Ears(TailSink);

/// A tone backend for the line, and the ears that listen to it.
pub fn audio() -> (Arc<dyn dialtone_core::audio::AudioBackend>, Ears) {
    let ears = TailSink::new(Duration::from_secs(3));
    let sink = ears.clone();
    let backend = dialtone_core::audio::FnBackend::metered(move || {
        (
            Box::new(ToneSource::new(OUR_HZ, AMPLITUDE)),
            Box::new(sink.clone()),
        )
    });
    (backend, Ears(ears))
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub cycle: u32,
    /// `two-way`, `hold` or `resume`.
    pub what: &'static str,
    pub pass: bool,
    /// How long after the request the check held (hold: silence; resume: audio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_ms: Option<u64>,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct Verdict {
    pub event: &'static str,
    pub number: String,
    pub cycles: u32,
    pub pass: bool,
    /// Our tone, and the one we heard from the far end (its median over the checks).
    pub we_send_hz: f64,
    pub far_end_sends_hz: Option<f64>,
    /// Whether the far end's ears were checked too (the sandbox's far ends).
    pub far_end_checked: bool,
    pub checks: Vec<Check>,
}

/// The tone in `samples`, if loud enough: (Hz, dBFS).
fn tone(rate: u32, samples: &[i16]) -> Option<(f64, f64)> {
    let level = rms_dbfs(samples);
    (rate > 0 && samples.len() > 100 && level > TONE_DBFS)
        .then(|| (peak_frequency(samples, rate, 100.0, 4000.0), level))
}

struct Cycle<'a> {
    line: &'a dialtone_phone::Line,
    watch: &'a Shared,
    ears: &'a Ears,
    heard_hz: Vec<f64>,
}

impl Cycle<'_> {
    async fn far_end_hears(&self) -> Option<Option<(f64, f64)>> {
        let sandbox = self.line.embedded_sandbox()?;
        let session = sandbox.status().await.sessions.first()?.media_session_id.clone();
        let (rate, samples) = sandbox.far_end_heard(&session, LISTEN).await?;
        Some(tone(rate, &samples))
    }

    /// We hear a tone that is not ours, and the far end hears ours.
    async fn two_way(&mut self, cycle: u32, what: &'static str, within_ms: Option<u64>) -> Check {
        let (rate, samples) = self.ears.0.tail(LISTEN);
        let ours = tone(rate, &samples);
        let theirs = self.far_end_hears().await;
        let mut problems = Vec::new();
        match ours {
            None => problems.push("we heard no tone from the far end".to_owned()),
            Some((hz, _)) if (hz - OUR_HZ).abs() < SAME_HZ => problems.push(format!(
                "we heard {hz:.0} Hz, our own tone: the far end echoes us, so its audio cannot be told from ours (call a tone far end such as +15550101)"
            )),
            Some((hz, _)) => self.heard_hz.push(hz),
        }
        match theirs {
            Some(None) => problems.push("the far end heard no tone from us".into()),
            Some(Some((hz, _))) if (hz - OUR_HZ).abs() >= SAME_HZ => {
                problems.push(format!("the far end heard {hz:.0} Hz, not our {OUR_HZ:.0} Hz"))
            }
            _ => {}
        }
        let detail = if problems.is_empty() {
            format!(
                "we hear {:.0} Hz{}",
                ours.map_or(0.0, |t| t.0),
                if theirs.is_some() {
                    "; the far end hears our 1000 Hz"
                } else {
                    ""
                }
            )
        } else {
            problems.join("; ")
        };
        Check {
            cycle,
            what,
            pass: problems.is_empty(),
            within_ms,
            detail,
        }
    }

    /// Holds, then checks that our audio stopped reaching the far end.
    async fn hold(&mut self, cycle: u32) -> Check {
        let mut check = Check {
            cycle,
            what: "hold",
            pass: false,
            within_ms: None,
            detail: String::new(),
        };
        let asked = Instant::now();
        let asked_ms = lock(self.watch).t_ms(asked);
        if let Err(e) = crate::steps::one(self.line, &Step::Hold(None)).await {
            check.detail = format!("the hold failed: {e}");
            return check;
        }
        if let Err(e) = crate::steps::expect(
            self.line,
            self.watch,
            &Expectation::Silence,
            Duration::from_secs(2),
        )
        .await
        {
            check.detail = e;
            return check;
        }
        // From the far end's count when it reports it (to its 100 ms), else when the
        // expectation was met.
        let stopped = lock(self.watch).far_end_stopped_at(asked_ms);
        check.within_ms =
            Some(stopped.map_or(asked.elapsed().as_millis() as u64, |t| t.saturating_sub(asked_ms)));
        // Its ears hold the last moments before the stop: wait for them to pass.
        let deadline = Instant::now() + LISTEN + Duration::from_secs(1);
        loop {
            match self.far_end_hears().await {
                Some(Some((hz, db))) if (hz - OUR_HZ).abs() < SAME_HZ => {
                    if Instant::now() >= deadline {
                        check.detail =
                            format!("the far end still hears our tone on hold ({hz:.0} Hz at {db:.0} dBFS)");
                        return check;
                    }
                }
                _ => break,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        check.pass = true;
        check.detail = "our audio stopped reaching the far end".into();
        check
    }

    /// Resumes, then checks audio both ways and both tones.
    async fn resume(&mut self, cycle: u32) -> Check {
        let asked = Instant::now();
        let failed = |detail: String| Check {
            cycle,
            what: "resume",
            pass: false,
            within_ms: None,
            detail,
        };
        if let Err(e) = crate::steps::one(self.line, &Step::Resume(None)).await {
            return failed(format!("the resume failed: {e}"));
        }
        if let Err(e) =
            crate::steps::expect(self.line, self.watch, &Expectation::Audio, Duration::from_secs(3)).await
        {
            return failed(e);
        }
        let within = asked.elapsed().as_millis() as u64;
        // Let the tones fill what each side listens to.
        tokio::time::sleep(LISTEN).await;
        self.two_way(cycle, "resume", Some(within)).await
    }
}

/// Runs `cycles` hold/resume cycles on the call that is up, holding for `hold_for`.
pub async fn run(
    line: &dialtone_phone::Line,
    watch: &Shared,
    ears: &Ears,
    number: &str,
    cycles: u32,
    hold_for: Duration,
) -> Verdict {
    let mut c = Cycle {
        line,
        watch,
        ears,
        heard_hz: Vec::new(),
    };
    let mut checks = Vec::new();
    // Audio both ways before the first hold, as after each resume.
    tokio::time::sleep(Duration::from_secs(1)).await;
    checks.push(c.two_way(0, "two-way", None).await);
    for cycle in 1..=cycles {
        let held = c.hold(cycle).await;
        let ok = held.pass;
        checks.push(held);
        if !ok {
            break;
        }
        tokio::time::sleep(hold_for).await;
        let resumed = c.resume(cycle).await;
        let ok = resumed.pass;
        checks.push(resumed);
        if !ok {
            break;
        }
    }
    let mut heard = c.heard_hz.clone();
    heard.sort_by(f64::total_cmp);
    Verdict {
        event: "verdict",
        number: number.to_owned(),
        cycles,
        pass: checks.iter().all(|k| k.pass) && checks.len() == 1 + 2 * cycles as usize,
        we_send_hz: OUR_HZ,
        far_end_sends_hz: heard.get(heard.len() / 2).copied(),
        far_end_checked: line.embedded_sandbox().is_some(),
        checks,
    }
}
