//! One bot conversation's IO, for whichever driver runs its [`BotMachine`]: the Lex line
//! (`driver.rs`) or a phone line with a bot call among its calls (`call/driver/bots.rs`).
//! The microphone is read 20 ms at a time at 8 kHz (the audio pipeline resamples from
//! the device) and sent as 320-byte AudioInputEvents; the bot's audio is queued for the
//! speaker, played 20 ms at a time, and dropped at once on barge-in.
//!
//! [`BotMachine`]: crate::call::bot::BotMachine

use super::client::{CHUNK_BYTES, Conversation, LexClient, Mode, SAMPLE_RATE};
use crate::audio::AudioBackend;
use crate::call::CallEvent;
use crate::call::bot::{BotEffect, BotInput};
use crate::lock;
use aws_sdk_lexruntimev2::types::StartConversationRequestEventStream as Req;
use futures::channel::mpsc as fmpsc;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

const FRAME: Duration = Duration::from_millis(20);
const FRAME_SAMPLES: usize = CHUNK_BYTES / 2;
/// Requests waiting for the stream: 5 s of 20 ms audio frames. A stream that stalls longer
/// costs audio frames (dropped, counted), never memory without bound.
const MAX_QUEUED_REQUESTS: usize = 250;
/// The bot's audio waiting to be played: a minute. More is cut, with a warning.
const MAX_PLAYOUT_SAMPLES: usize = SAMPLE_RATE as usize * 60;
const MIC_OFF: u8 = 0;
const MIC_SILENT: u8 = 1;
const MIC_LIVE: u8 = 2;

/// Where a conversation reports: each report carries the key it was opened with (a
/// generation on the Lex line, the call id on a phone line), so a late report of an
/// ended conversation never reaches another.
pub type BotInputs = mpsc::Sender<(u64, BotInput)>;

/// What bot conversations need: the Lex client and the audio their ends come from.
#[derive(Clone)]
pub struct BotIo {
    pub client: Arc<LexClient>,
    pub audio: Arc<dyn AudioBackend>,
}

impl BotIo {
    /// Whether the bots expect a PlaybackCompletionEvent after each prompt.
    pub fn completions(&self) -> bool {
        !self.client.config().disable_playback
    }

    /// Opens a conversation with `bot`: the stream, the microphone and the speaker.
    pub fn open(&self, bot: super::LexBot, key: u64, inputs: &BotInputs) -> Conversing {
        open(&self.client, &self.audio, bot, key, inputs)
    }
}

/// One open conversation.
pub struct Conversing {
    requests: Mutex<fmpsc::Sender<Req>>,
    client: Arc<LexClient>,
    mic: Arc<AtomicU8>,
    speaker_on: Arc<AtomicBool>,
    queue: Arc<Mutex<VecDeque<i16>>>,
    stop: Arc<AtomicBool>,
    reader: tokio::task::JoinHandle<()>,
}

impl Conversing {
    /// Carries out an effect on the stream, the microphone or the speaker; an error to
    /// report when a request could not be made. Opening, closing, states and events are
    /// the driver's.
    pub fn apply(&self, effect: BotEffect) -> Option<CallEvent> {
        match effect {
            BotEffect::Send(r) => match self.client.request(&r) {
                Ok(req) => {
                    if let Err(e) = lock(&self.requests).try_send(req)
                        && e.is_full()
                    {
                        return Some(CallEvent::Error {
                            code: "BOT_STREAM_STALLED".into(),
                            message: "the bot's stream has not taken a request for 5 s; try again, or hang up and call again".into(),
                        });
                    }
                }
                Err(e) => {
                    return Some(CallEvent::Error {
                        code: e.code(),
                        message: e.to_string(),
                    });
                }
            },
            BotEffect::Play(pcm) => {
                let cut = queue_pcm(&mut lock(&self.queue), pcm);
                if cut > 0 {
                    tracing::warn!(
                        samples = cut,
                        "the bot's audio queue is full (a minute): the rest is cut"
                    );
                }
            }
            BotEffect::StopPlayout => lock(&self.queue).clear(),
            BotEffect::Mic { live } => self
                .mic
                .store(if live { MIC_LIVE } else { MIC_SILENT }, Ordering::Relaxed),
            BotEffect::Speaker { on } => self.speaker_on.store(on, Ordering::Relaxed),
            other => tracing::debug!(effect = ?other, "not a conversation's effect"),
        }
        None
    }

    /// Ends the input stream (the SDK then sends its closing frame), stops the audio, and
    /// leaves the reader a moment to see the bot close its side.
    pub fn close(self) {
        lock(&self.requests).close_channel();
        self.stop.store(true, Ordering::Relaxed);
        let reader = self.reader;
        tokio::spawn(async move {
            tokio::time::sleep(crate::call::bot::CLOSE_TIMEOUT + Duration::from_secs(1)).await;
            reader.abort();
        });
    }
}

fn open(
    client: &Arc<LexClient>,
    audio: &Arc<dyn AudioBackend>,
    bot: super::LexBot,
    key: u64,
    inputs: &BotInputs,
) -> Conversing {
    let (requests, input) = fmpsc::channel(MAX_QUEUED_REQUESTS);
    let mic = Arc::new(AtomicU8::new(MIC_OFF));
    let speaker_on = Arc::new(AtomicBool::new(false));
    let queue = Arc::new(Mutex::new(VecDeque::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (source, sink) = crate::audio::open_or_silence(audio.as_ref());
    let first = client.configuration();
    let reader = {
        let client = client.clone();
        let inputs = inputs.clone();
        tokio::spawn(async move {
            let report = |i| {
                let inputs = inputs.clone();
                async move {
                    let _ = inputs.send((key, i)).await;
                }
            };
            let session = super::bot::new_session_id();
            let opened = match first {
                Ok(first) => client.start(&bot, &session, first, input).await,
                Err(e) => Err(e),
            };
            let mut conversation: Conversation = match opened {
                Ok(c) => c,
                Err(e) => {
                    return report(BotInput::Failed {
                        code: e.code(),
                        message: e.to_string(),
                    })
                    .await;
                }
            };
            tracing::info!(%bot, %session, "bot conversation open");
            report(BotInput::Opened).await;
            loop {
                match conversation.next().await {
                    Ok(Some(e)) => report(BotInput::Event(e)).await,
                    Ok(None) => return report(BotInput::Closed).await,
                    Err(e) => {
                        return report(BotInput::Failed {
                            code: e.code(),
                            message: e.to_string(),
                        })
                        .await;
                    }
                }
            }
        })
    };
    if client.config().mode == Mode::Audio {
        spawn_mic(
            client.clone(),
            source,
            requests.clone(),
            mic.clone(),
            stop.clone(),
        );
    }
    spawn_speaker(
        sink,
        queue.clone(),
        speaker_on.clone(),
        stop.clone(),
        inputs.clone(),
        key,
    );
    Conversing {
        requests: Mutex::new(requests),
        client: client.clone(),
        mic,
        speaker_on,
        queue,
        stop,
        reader,
    }
}

/// 20 ms of microphone at 8 kHz per AudioInputEvent, or silence when muted or held.
fn spawn_mic(
    client: Arc<LexClient>,
    mut source: Box<dyn crate::media::AudioSource>,
    mut requests: fmpsc::Sender<Req>,
    mic: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FRAME);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut frame = vec![0i16; FRAME_SAMPLES];
        let mut dropped = 0u64;
        while !stop.load(Ordering::Relaxed) && !requests.is_closed() {
            tick.tick().await;
            // The device keeps being read even while nothing is sent, so the first
            // frame after connecting is current, not stale.
            source.read(SAMPLE_RATE, &mut frame);
            let state = mic.load(Ordering::Relaxed);
            if state == MIC_OFF {
                continue;
            }
            if state == MIC_SILENT {
                frame.fill(0);
            }
            match client.audio(&frame) {
                Ok(req) => match requests.try_send(req) {
                    Ok(()) => {}
                    Err(e) if e.is_full() => {
                        dropped += 1;
                        if dropped == 1 || dropped.is_multiple_of(250) {
                            tracing::warn!(
                                dropped,
                                "the bot's stream is not keeping up: microphone frames dropped"
                            );
                        }
                    }
                    Err(_) => break,
                },
                Err(e) => tracing::warn!(error = %e, "audio event"),
            }
        }
    });
}

/// Adds the bot's audio to the playout queue, up to [`MAX_PLAYOUT_SAMPLES`]; the samples
/// cut.
fn queue_pcm(queue: &mut VecDeque<i16>, pcm: Vec<i16>) -> usize {
    let room = MAX_PLAYOUT_SAMPLES.saturating_sub(queue.len());
    let cut = pcm.len().saturating_sub(room);
    queue.extend(pcm.into_iter().take(room));
    cut
}

/// Plays the bot's queued audio 20 ms at a time, reporting when the queue runs dry.
fn spawn_speaker(
    mut sink: Box<dyn crate::media::AudioSink>,
    queue: Arc<Mutex<VecDeque<i16>>>,
    speaker_on: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    inputs: BotInputs,
    key: u64,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FRAME);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut frame = vec![0i16; FRAME_SAMPLES];
        let mut playing = false;
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            let taken = {
                let mut q = lock(&queue);
                let n = q.len().min(FRAME_SAMPLES);
                for (o, s) in frame.iter_mut().zip(q.drain(..n)) {
                    *o = s;
                }
                frame[n..].fill(0);
                n
            };
            if !speaker_on.load(Ordering::Relaxed) {
                frame.fill(0);
            }
            sink.write(SAMPLE_RATE, &frame);
            if taken > 0 {
                playing = true;
            } else if playing {
                playing = false;
                let _ = inputs.send((key, BotInput::PlayoutDrained)).await;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bots_audio_queue_holds_a_minute_and_cuts_the_rest() {
        let mut q = VecDeque::new();
        assert_eq!(queue_pcm(&mut q, vec![1; MAX_PLAYOUT_SAMPLES - 10]), 0);
        assert_eq!(queue_pcm(&mut q, vec![2; 25]), 15, "only 10 samples fit");
        assert_eq!(q.len(), MAX_PLAYOUT_SAMPLES);
        assert_eq!(queue_pcm(&mut q, vec![3; 5]), 5, "a full queue takes nothing");
        q.drain(..100);
        assert_eq!(queue_pcm(&mut q, vec![4; 50]), 0);
    }
}
