//! Speaker: the media task resamples decoded audio to the device rate and pushes it into
//! a lock-free ring; the cpal output callback pops it and writes every channel. What the
//! callback really played (silence included) goes back through a second ring to the
//! echo canceller, so its reference matches the speaker sample for sample.

use super::device::{DeviceThread, Opened, Opener, StreamHealth, start, stream_config};
use super::resample::BlockResampler;
use super::voice::VoiceProcessor;
use super::{AudioError, AudioEvent, DeviceKind};
use crate::media::AudioSink;
use cpal::traits::DeviceTrait;
use cpal::{FromSample, SizedSample};
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use std::sync::{Arc, mpsc};
use tokio::sync::broadcast;

pub struct PlaybackHandoff {
    samples: HeapProd<f32>,
    rate: u32,
}

struct OutputOpener {
    voice: Option<VoiceProcessor>,
}

/// After running dry, wait for this much before playing again (no crackle).
const REFILL_MS: u32 = 20;
/// Most audio we queue for the device; more is dropped (latency bound).
const MAX_QUEUE_MS: u32 = 100;
/// What the queue keeps beyond each callback's need (`trim.rs`): frames come every 20 ms
/// from a timer, so a little headroom for its lateness, more if it runs dry.
const MARGIN_MS: usize = 3;
const MAX_MARGIN_MS: usize = 20;

/// To the speaker, and back from it (what it played).
type Rings = (HeapProd<f32>, HeapCons<f32>);

fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    health: Arc<StreamHealth>,
) -> Result<(cpal::Stream, Rings), String>
where
    T: SizedSample + FromSample<f32> + Send + 'static,
{
    let channels = usize::from(config.channels.max(1));
    let refill = config.sample_rate as usize * REFILL_MS as usize / 1000;
    let mut trim = super::trim::Trim::new(config.sample_rate, MARGIN_MS, MAX_MARGIN_MS);
    let (tx, mut rx) = HeapRb::<f32>::new(config.sample_rate as usize).split();
    // Half a second; the capture side drains it every 10 ms (a full ring drops).
    let (mut played_tx, played_rx) = HeapRb::<f32>::new(config.sample_rate as usize / 2).split();
    let mut dry = true;
    let err_health = health.clone();
    let stream = device
        .build_output_stream::<T, _, _>(
            config,
            move |data: &mut [T], _| {
                let queued = rx.occupied_len();
                let needed = data.len() / channels;
                if dry && queued >= refill {
                    dry = false;
                }
                if !dry {
                    match queued.checked_sub(needed) {
                        Some(slack) => {
                            rx.skip(trim.observe(slack, needed));
                        }
                        None => trim.ran_dry(),
                    }
                }
                for frame in data.chunks_exact_mut(channels) {
                    let s = if dry { None } else { rx.try_pop() };
                    if s.is_none() {
                        dry = true;
                    }
                    let s = s.unwrap_or(0.0);
                    let _ = played_tx.try_push(s);
                    frame.fill(T::from_sample(s));
                }
                health.tick(data.len() / channels);
            },
            move |e| err_health.fail(&e),
            None,
        )
        .map_err(|e| e.to_string())?;
    Ok((stream, (tx, played_rx)))
}

impl Opener for OutputOpener {
    type Handoff = PlaybackHandoff;

    fn open(
        &mut self,
        device: &cpal::Device,
        supported: cpal::SupportedStreamConfig,
        health: Arc<StreamHealth>,
    ) -> Result<Opened<PlaybackHandoff>, AudioError> {
        let config = stream_config(&supported);
        let built = match supported.sample_format() {
            cpal::SampleFormat::I16 => build::<i16>(device, config, health),
            cpal::SampleFormat::I32 => build::<i32>(device, config, health),
            cpal::SampleFormat::F32 => build::<f32>(device, config, health),
            cpal::SampleFormat::U16 => build::<u16>(device, config, health),
            other => Err(format!("sample format {other} is not supported")),
        };
        let voice = self.voice.clone();
        start(DeviceKind::Output, device, &config, built, |(samples, played)| {
            if let Some(v) = voice {
                v.set_reference(played, config.sample_rate);
            }
            PlaybackHandoff {
                samples,
                rate: config.sample_rate,
            }
        })
    }
}

/// A speaker as the engine's audio sink.
pub struct DeviceSink {
    thread: DeviceThread,
    handoffs: mpsc::Receiver<PlaybackHandoff>,
    current: Option<PlaybackHandoff>,
    resampler: Option<BlockResampler>,
    input: Vec<f32>,
    output: Vec<f32>,
    /// Samples dropped because the device did not keep up.
    pub dropped: u64,
}

impl DeviceSink {
    /// `voice`: the microphone side's processor, given what we play as its echo reference.
    pub fn open(
        wanted: Option<String>,
        events: broadcast::Sender<AudioEvent>,
        voice: Option<VoiceProcessor>,
    ) -> Result<Self, AudioError> {
        let (tx, handoffs) = mpsc::channel();
        let thread = DeviceThread::spawn(DeviceKind::Output, wanted, OutputOpener { voice }, events, tx)?;
        Ok(Self {
            thread,
            handoffs,
            current: None,
            resampler: None,
            input: Vec::new(),
            output: Vec::new(),
            dropped: 0,
        })
    }

    pub fn device_thread(&self) -> &DeviceThread {
        &self.thread
    }

    fn refresh(&mut self, clock_rate: u32) {
        while let Ok(h) = self.handoffs.try_recv() {
            self.current = Some(h);
            self.resampler = None;
        }
        let Some(cur) = &self.current else { return };
        if self.resampler.as_ref().map(BlockResampler::rates) != Some((clock_rate, cur.rate)) {
            match BlockResampler::new(clock_rate, cur.rate) {
                Ok(r) => {
                    self.input = Vec::with_capacity(r.input_block());
                    self.output = vec![0.0; r.output_block()];
                    self.resampler = Some(r);
                }
                Err(e) => {
                    tracing::error!(error = %e, "speaker rate");
                    self.resampler = None;
                }
            }
        }
    }
}

impl AudioSink for DeviceSink {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        self.refresh(clock_rate);
        let (Some(cur), Some(r)) = (self.current.as_mut(), self.resampler.as_mut()) else {
            return;
        };
        let max = cur.rate as usize * MAX_QUEUE_MS as usize / 1000;
        for block in pcm.chunks(r.input_block()) {
            self.input.clear();
            self.input
                .extend(block.iter().map(|s| f32::from(*s) / f32::from(i16::MAX)));
            self.input.resize(r.input_block(), 0.0);
            if let Err(e) = r.process(&self.input, &mut self.output) {
                tracing::error!(error = %e, "speaker resampling");
                continue;
            }
            if cur.samples.occupied_len() + self.output.len() > max {
                self.dropped += self.output.len() as u64;
                continue;
            }
            cur.samples.push_slice(&self.output);
        }
    }
}
