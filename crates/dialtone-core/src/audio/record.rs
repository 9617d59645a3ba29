//! A call recording as QA asks for it: one stereo WAV, left what we sent, right what we
//! heard, on one clock, through holds (silence where nothing was sent or heard).
//!
//! It hears the line's bus ([`MixTap`]): what each call encodes (after our mute, with any
//! merged call mixed in) and what it plays. A writer takes 20 ms from each side every
//! 20 ms of wall-clock time, so the two channels stay aligned whatever each side's clock
//! does: a side that is late gets silence, one that runs ahead loses its oldest audio.

use crate::call::CallId;
use crate::media::mix::{MIX_RATE, MixTap};
use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::task::JoinHandle;

/// One writer turn.
const TURN: Duration = Duration::from_millis(20);
const TURN_SAMPLES: usize = (MIX_RATE / 50) as usize;
/// A side starts (and starts again after running dry) once this much is queued, so the
/// producer's own 20 ms rhythm never starves a turn.
const PREFILL: usize = 2 * TURN_SAMPLES;
/// More than this queued and the oldest goes: the recording's lag stays bounded.
const MAX_QUEUED: usize = 10 * TURN_SAMPLES;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(
        "cannot write the recording to '{path}': {reason}; choose a path in a directory you can write to"
    )]
    Create { path: PathBuf, reason: String },
}

type Writer = hound::WavWriter<BufWriter<File>>;

#[derive(Default)]
struct Side {
    queues: BTreeMap<CallId, VecDeque<i16>>,
    /// Calls whose queue is filling again before it is read.
    filling: BTreeMap<CallId, bool>,
}

impl Side {
    fn push(&mut self, call: CallId, clock_rate: u32, pcm: &[i16]) {
        let Some(k) =
            (clock_rate > 0 && MIX_RATE.is_multiple_of(clock_rate)).then(|| (MIX_RATE / clock_rate) as usize)
        else {
            return;
        };
        let q = self.queues.entry(call).or_default();
        for s in pcm {
            // Up to 48 kHz by repeating samples: the codec band-limited them already.
            q.extend(std::iter::repeat_n(*s, k));
        }
        let excess = q.len().saturating_sub(MAX_QUEUED);
        q.drain(..excess);
    }

    /// One turn of each call's audio, summed (silence for a call with too little).
    fn take(&mut self, out: &mut [i32]) {
        for (call, q) in &mut self.queues {
            let filling = self.filling.entry(*call).or_insert(true);
            if *filling {
                if q.len() < PREFILL {
                    continue;
                }
                *filling = false;
            }
            if q.len() < TURN_SAMPLES {
                // Dry (held, muted, or the end): silence until it has filled again.
                q.clear();
                *filling = true;
                continue;
            }
            for (o, s) in out.iter_mut().zip(q.drain(..TURN_SAMPLES)) {
                *o += i32::from(s);
            }
        }
    }
}

#[derive(Default)]
struct State {
    sent: Side,
    heard: Side,
    writer: Option<Writer>,
    paused: bool,
    /// Why the recording stopped early, once it has.
    failed: Option<String>,
    /// Stereo frames written.
    frames: u64,
}

/// The shared state the bus writes into and the writer drains.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<State>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl MixTap for Shared {
    fn sent(&self, call: CallId, clock_rate: u32, pcm: &[i16]) {
        self.lock().sent.push(call, clock_rate, pcm);
    }
    fn heard(&self, call: CallId, clock_rate: u32, pcm: &[i16]) {
        self.lock().heard.push(call, clock_rate, pcm);
    }
}

/// A recording in progress.
pub struct StereoRecorder {
    path: PathBuf,
    shared: Shared,
    writer_task: Option<JoinHandle<()>>,
}

/// How a recording ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub path: PathBuf,
    pub seconds: f64,
    /// Why it stopped before the call did (a full disk), if it did.
    pub failed: Option<String>,
}

impl StereoRecorder {
    /// Creates the file now (so a bad path is an error before the call) and starts
    /// writing, 20 ms a turn; `on_failure` is told once if writing fails (the recording
    /// stops; the call does not).
    pub fn start(
        path: &Path,
        on_failure: impl Fn(String) + Send + 'static,
    ) -> Result<StereoRecorder, RecordError> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: MIX_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(path, spec).map_err(|e| RecordError::Create {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let shared = Shared::default();
        shared.lock().writer = Some(writer);
        let turns = shared.clone();
        let writer_task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(TURN);
            let mut left = vec![0i32; TURN_SAMPLES];
            let mut right = vec![0i32; TURN_SAMPLES];
            loop {
                tick.tick().await;
                let failed = {
                    let mut s = turns.lock();
                    left.fill(0);
                    right.fill(0);
                    s.sent.take(&mut left);
                    s.heard.take(&mut right);
                    if s.paused || s.writer.is_none() {
                        continue;
                    }
                    match write_turn(&mut s, &left, &right) {
                        Ok(()) => None,
                        Err(e) => {
                            let why = format!("the recording stopped: {e}; the call goes on");
                            s.writer = None;
                            s.failed = Some(why.clone());
                            Some(why)
                        }
                    }
                };
                if let Some(why) = failed {
                    tracing::warn!(%why, "recording");
                    on_failure(why);
                }
            }
        });
        Ok(StereoRecorder {
            path: path.to_owned(),
            shared,
            writer_task: Some(writer_task),
        })
    }

    /// What the line's bus should be given ([`crate::call::CallHandle::set_tap`]).
    pub fn tap(&self) -> Arc<dyn MixTap> {
        Arc::new(self.shared.clone())
    }

    /// Pauses (`false`) or resumes (`true`) writing; a pause leaves no gap in the file.
    pub fn set_recording(&self, on: bool) {
        self.shared.lock().paused = !on;
    }

    pub fn is_recording(&self) -> bool {
        let s = self.shared.lock();
        !s.paused && s.writer.is_some()
    }

    /// Stops and completes the file.
    pub fn finish(mut self) -> Recorded {
        if let Some(t) = self.writer_task.take() {
            t.abort();
        }
        let mut s = self.shared.lock();
        let mut failed = s.failed.take();
        if let Some(w) = s.writer.take()
            && let Err(e) = w.finalize()
        {
            failed.get_or_insert(format!("the recording could not be completed: {e}"));
        }
        Recorded {
            path: self.path.clone(),
            seconds: s.frames as f64 / f64::from(MIX_RATE),
            failed,
        }
    }
}

impl Drop for StereoRecorder {
    fn drop(&mut self) {
        if let Some(t) = self.writer_task.take() {
            t.abort();
        }
    }
}

fn write_turn(s: &mut State, left: &[i32], right: &[i32]) -> Result<(), hound::Error> {
    let clamp = |v: i32| v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    let Some(w) = s.writer.as_mut() else {
        return Ok(());
    };
    for (l, r) in left.iter().zip(right) {
        w.write_sample(clamp(*l))?;
        w.write_sample(clamp(*r))?;
    }
    // Written through now, so a full disk is found during the call, not at its end.
    w.flush()?;
    s.frames += left.len() as u64;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f64, rate: u32, n: usize, from: usize) -> Vec<i16> {
        (from..from + n)
            .map(|i| ((std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin() * 8000.0) as i16)
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn both_sides_land_in_their_channel_on_one_clock_with_silence_where_nothing_was_sent() {
        let dir = std::env::temp_dir().join(format!("dialtone-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("call.wav");
        let rec = StereoRecorder::start(&path, |_| {}).expect("start");
        let tap = rec.tap();
        // One second: we send 1000 Hz at 8 kHz for the first half only (then hold); we
        // hear 440 Hz at 48 kHz all along.
        for turn in 0..50 {
            if turn < 25 {
                tap.sent(1, 8000, &tone(1000.0, 8000, 160, turn * 160));
            }
            tap.heard(1, 48_000, &tone(440.0, 48_000, 960, turn * 960));
            tokio::time::sleep(TURN).await;
        }
        let done = rec.finish();
        assert_eq!(done.failed, None);
        assert!((0.9..1.05).contains(&done.seconds), "{done:?}");
        let mut reader = hound::WavReader::open(&path).expect("a WAV");
        assert_eq!((reader.spec().channels, reader.spec().sample_rate), (2, 48_000));
        let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.expect("sample")).collect();
        let (left, right): (Vec<i16>, Vec<i16>) = samples.chunks(2).map(|c| (c[0], c[1])).unzip();
        let window = |ch: &[i16], from_ms: usize| ch[from_ms * 48..(from_ms + 200) * 48].to_vec();
        let peak = |s: &[i16]| crate::media::analysis::peak_frequency(s, 48_000, 200.0, 2000.0);
        let level = |s: &[i16]| crate::media::analysis::rms_dbfs(s);
        assert_eq!(peak(&window(&left, 150)), 1000.0);
        assert!(level(&window(&left, 700)) < -90.0, "nothing sent on hold");
        assert_eq!(peak(&window(&right, 150)), 440.0);
        assert_eq!(peak(&window(&right, 700)), 440.0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_full_disk_stops_the_recording_once_and_says_why() {
        let told = Arc::new(Mutex::new(Vec::new()));
        let t = told.clone();
        let rec = StereoRecorder::start(Path::new("/dev/full"), move |why| {
            t.lock().expect("lock").push(why);
        })
        .expect("/dev/full opens");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!rec.is_recording());
        let done = rec.finish();
        let told = told.lock().expect("lock").clone();
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].contains("No space left on device"), "{told:?}");
        assert!(done.failed.is_some());
    }
}
