//! Runs a line's bot calls: the sans-IO [`BotMachine`] fed by user commands, the
//! conversation stream and the speaker's progress, with its effects carried out here.
//! The microphone is read 20 ms at a time at 8 kHz (the audio pipeline resamples from
//! the device) and sent as 320-byte AudioInputEvents; the bot's audio is queued for the
//! speaker, played 20 ms at a time, and dropped at once on barge-in.

use super::client::{CHUNK_BYTES, Conversation, LexClient, Mode, SAMPLE_RATE};
use crate::audio::AudioBackend;
use crate::call::bot::{BotEffect, BotInput, BotMachine};
use crate::call::{CallEvent, CallHandle, CallId, CallState, Command, LineCall, LineError};
use crate::call::{Control, DriverEnds};

/// The id of a bot conversation on its line.
const BOT_CALL: CallId = 1;
use crate::lock;
use aws_sdk_lexruntimev2::types::StartConversationRequestEventStream as Req;
use futures::channel::mpsc as fmpsc;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const FRAME: Duration = Duration::from_millis(20);
const FRAME_SAMPLES: usize = CHUNK_BYTES / 2;
const MIC_OFF: u8 = 0;
const MIC_SILENT: u8 = 1;
const MIC_LIVE: u8 = 2;

pub struct LexDriver;

impl LexDriver {
    pub fn spawn(client: Arc<LexClient>, audio: Arc<dyn AudioBackend>) -> CallHandle {
        let (handle, ends) = CallHandle::pair();
        tokio::spawn(run(client, audio, ends));
        handle
    }
}

/// One conversation's IO. What it reports carries its generation, so a late event of an
/// ended call never reaches the next one.
struct Conversing {
    requests: fmpsc::UnboundedSender<Req>,
    mic: Arc<AtomicU8>,
    speaker_on: Arc<AtomicBool>,
    queue: Arc<Mutex<VecDeque<i16>>>,
    stop: Arc<AtomicBool>,
    reader: tokio::task::JoinHandle<()>,
}

type Inputs = mpsc::Sender<(u64, BotInput)>;

async fn run(client: Arc<LexClient>, audio: Arc<dyn AudioBackend>, ends: DriverEnds) {
    let DriverEnds {
        mut commands,
        mut out,
    } = ends;
    let mut machine = BotMachine::new(!client.config().disable_playback);
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
                        close(old);
                    }
                    current = Some(open(&client, &audio, bot, generation, &input_tx));
                }
                BotEffect::Send(r) => {
                    if let Some(c) = &current {
                        match client.request(&r) {
                            Ok(req) => {
                                let _ = c.requests.unbounded_send(req);
                            }
                            Err(e) => emit(
                                &out,
                                CallEvent::Error {
                                    code: e.code(),
                                    message: e.to_string(),
                                },
                            ),
                        }
                    }
                }
                BotEffect::Play(pcm) => {
                    if let Some(c) = &current {
                        lock(&c.queue).extend(pcm);
                    }
                }
                BotEffect::StopPlayout => {
                    if let Some(c) = &current {
                        lock(&c.queue).clear();
                    }
                }
                BotEffect::Mic { live } => {
                    if let Some(c) = &current {
                        c.mic
                            .store(if live { MIC_LIVE } else { MIC_SILENT }, Ordering::Relaxed);
                    }
                }
                BotEffect::Speaker { on } => {
                    if let Some(c) = &current {
                        c.speaker_on.store(on, Ordering::Relaxed);
                    }
                }
                BotEffect::Close => {
                    if let Some(c) = current.take() {
                        close(c);
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
        close(c);
    }
    if let Some(r) = done {
        let _ = r.send(());
    }
}

/// Ends the input stream (the SDK then sends its closing frame), stops the audio, and
/// leaves the reader a moment to see the bot close its side.
fn close(c: Conversing) {
    c.requests.close_channel();
    c.stop.store(true, Ordering::Relaxed);
    let reader = c.reader;
    tokio::spawn(async move {
        tokio::time::sleep(crate::call::bot::CLOSE_TIMEOUT + Duration::from_secs(1)).await;
        reader.abort();
    });
}

fn open(
    client: &Arc<LexClient>,
    audio: &Arc<dyn AudioBackend>,
    bot: super::LexBot,
    generation: u64,
    inputs: &Inputs,
) -> Conversing {
    let (requests, input) = fmpsc::unbounded();
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
                    let _ = inputs.send((generation, i)).await;
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
        generation,
    );
    Conversing {
        requests,
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
    requests: fmpsc::UnboundedSender<Req>,
    mic: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FRAME);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut frame = vec![0i16; FRAME_SAMPLES];
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
                Ok(req) => {
                    if requests.unbounded_send(req).is_err() {
                        break;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "audio event"),
            }
        }
    });
}

/// Plays the bot's queued audio 20 ms at a time, reporting when the queue runs dry.
fn spawn_speaker(
    mut sink: Box<dyn crate::media::AudioSink>,
    queue: Arc<Mutex<VecDeque<i16>>>,
    speaker_on: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    inputs: Inputs,
    generation: u64,
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
                let _ = inputs.send((generation, BotInput::PlayoutDrained)).await;
            }
        }
    });
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
