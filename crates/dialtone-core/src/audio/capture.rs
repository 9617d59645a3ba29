//! Microphone: the cpal input callback downmixes to mono f32 and pushes into a lock-free
//! ring; the media task pulls 20 ms frames, resampled through 48 kHz (where voice
//! processing cleans them) to the codec rate.

use super::device::{DeviceThread, Opened, Opener, StreamHealth, start, stream_config};
use super::resample::Via48k;
use super::voice::VoiceProcessor;
use super::{AudioError, AudioEvent, DeviceKind};
use crate::media::AudioSource;
use cpal::traits::DeviceTrait;
use cpal::{FromSample, Sample, SizedSample};
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapRb};
use std::sync::{Arc, mpsc};
use tokio::sync::broadcast;

/// The capture side of a stream: samples at `rate`.
pub struct CaptureHandoff {
    samples: HeapCons<f32>,
    rate: u32,
}

struct InputOpener;

fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    health: Arc<StreamHealth>,
) -> Result<(cpal::Stream, HeapCons<f32>), String>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels.max(1));
    // A second of audio: the reader keeps it short; this only absorbs scheduling hiccups.
    let (mut tx, rx) = HeapRb::<f32>::new(config.sample_rate as usize).split();
    let err_health = health.clone();
    let stream = device
        .build_input_stream::<T, _, _>(
            config,
            move |data: &[T], _| {
                for frame in data.chunks_exact(channels) {
                    let sum: f32 = frame.iter().map(|s| f32::from_sample(*s)).sum();
                    // A full ring drops the newest sample; the reader trims the backlog anyway.
                    let _ = tx.try_push(sum / channels as f32);
                }
                health.tick(data.len() / channels);
            },
            move |e| err_health.fail(&e),
            None,
        )
        .map_err(|e| e.to_string())?;
    Ok((stream, rx))
}

impl Opener for InputOpener {
    type Handoff = CaptureHandoff;

    fn open(
        &mut self,
        device: &cpal::Device,
        supported: cpal::SupportedStreamConfig,
        health: Arc<StreamHealth>,
    ) -> Result<Opened<CaptureHandoff>, AudioError> {
        let config = stream_config(&supported);
        let built = match supported.sample_format() {
            cpal::SampleFormat::I16 => build::<i16>(device, config, health),
            cpal::SampleFormat::I32 => build::<i32>(device, config, health),
            cpal::SampleFormat::F32 => build::<f32>(device, config, health),
            cpal::SampleFormat::U16 => build::<u16>(device, config, health),
            other => Err(format!("sample format {other} is not supported")),
        };
        start(DeviceKind::Input, device, &config, built, |samples| {
            CaptureHandoff {
                samples,
                rate: config.sample_rate,
            }
        })
    }
}

/// A backlog beyond this (the reader stalled) is cut at once, not after half a second.
const MAX_BACKLOG_MS: usize = 100;
/// What the ring keeps beyond a frame (`trim.rs`): device callbacks come every 5 ms, so a
/// frame is whole in time with 2 ms to spare; a scheduler that needs more gets up to 10.
const MARGIN_MS: usize = 2;
const MAX_MARGIN_MS: usize = 10;

/// A microphone as the engine's audio source.
pub struct DeviceSource {
    thread: DeviceThread,
    handoffs: mpsc::Receiver<CaptureHandoff>,
    current: Option<CaptureHandoff>,
    resampler: Option<Via48k>,
    trim: Option<super::trim::Trim>,
    voice: Option<VoiceProcessor>,
    input: Vec<f32>,
    output: Vec<f32>,
    /// Frames we had to fill with silence because the device had nothing yet.
    pub underruns: u64,
}

impl DeviceSource {
    /// `voice` cleans what we send (echo, noise, level); `None` sends the device as is.
    pub fn open(
        wanted: Option<String>,
        events: broadcast::Sender<AudioEvent>,
        voice: Option<VoiceProcessor>,
    ) -> Result<Self, AudioError> {
        let (tx, handoffs) = mpsc::channel();
        let thread = DeviceThread::spawn(DeviceKind::Input, wanted, InputOpener, events, tx)?;
        Ok(Self {
            thread,
            handoffs,
            current: None,
            resampler: None,
            trim: None,
            voice,
            input: Vec::new(),
            output: Vec::new(),
            underruns: 0,
        })
    }

    pub fn device_thread(&self) -> &DeviceThread {
        &self.thread
    }

    fn refresh(&mut self, clock_rate: u32) {
        // A rebuilt stream (another device, maybe another rate) replaces the old one.
        while let Ok(h) = self.handoffs.try_recv() {
            self.trim = Some(super::trim::Trim::new(h.rate, MARGIN_MS, MAX_MARGIN_MS));
            self.current = Some(h);
            self.resampler = None;
        }
        let Some(cur) = &self.current else { return };
        if self.resampler.as_ref().map(Via48k::rates) != Some((cur.rate, clock_rate)) {
            match Via48k::new(cur.rate, clock_rate) {
                Ok(r) => {
                    self.input = vec![0.0; r.input_block()];
                    self.output = vec![0.0; r.output_block()];
                    self.resampler = Some(r);
                }
                Err(e) => {
                    tracing::error!(error = %e, "microphone rate");
                    self.resampler = None;
                }
            }
        }
    }
}

impl AudioSource for DeviceSource {
    fn read(&mut self, clock_rate: u32, out: &mut [i16]) {
        self.refresh(clock_rate);
        let (Some(cur), Some(r)) = (self.current.as_mut(), self.resampler.as_mut()) else {
            out.fill(0);
            return;
        };
        let rate = cur.rate as usize;
        let wanted = out.len().div_ceil(r.output_block()) * r.input_block();
        let backlog = cur.samples.occupied_len();
        if backlog > rate * MAX_BACKLOG_MS / 1000 {
            cur.samples.skip(backlog - wanted);
        }
        let mut dry = false;
        for chunk in out.chunks_mut(r.output_block()) {
            let got = cur.samples.pop_slice(&mut self.input);
            if got < self.input.len() {
                self.input[got..].fill(0.0);
                self.underruns += 1;
                dry = true;
            }
            let voice = &mut self.voice;
            let cleaned = r.process(&self.input, &mut self.output, |frame| {
                if let Some(v) = voice {
                    v.capture(frame);
                }
            });
            if let Err(e) = cleaned {
                tracing::error!(error = %e, "microphone resampling");
                chunk.fill(0);
                continue;
            }
            for (o, s) in chunk.iter_mut().zip(&self.output) {
                *o = (s.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16;
            }
        }
        if let Some(trim) = self.trim.as_mut() {
            if dry {
                trim.ran_dry();
            } else {
                let drop = trim.observe(cur.samples.occupied_len(), wanted);
                cur.samples.skip(drop);
            }
        }
    }
}
