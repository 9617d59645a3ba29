//! Real audio for calls. A backend hands the engine one source (microphone) and one sink
//! (speaker) per call, at the codec rate, 20 ms at a time:
//!
//! - `DeviceBackend`: sound devices through cpal. Capture: device rate and format →
//!   mono → lock-free ring → rubato to the codec rate. Playback: the reverse. Devices are
//!   picked by name with the OS default as fallback, and replaced when they vanish.
//! - `WavBackend`: WAV files (the CLI's `--audio-in` / `--audio-out`), or a test tone.
//!
//! Both meter their levels (`Levels`) and report device changes as `AudioEvent`s.

mod capture;
mod device;
pub mod level;
mod playback;
mod prefs;
pub mod record;
pub mod resample;
mod trim;
pub mod voice;
mod wav;

pub use capture::DeviceSource;
pub use device::{DeviceInfo, list as list_devices};
pub use level::{LevelMeter, Levels};
pub use playback::DeviceSink;
pub use prefs::{DevicePrefs, parse_codecs};
pub use voice::{VoiceControl, VoiceProcessor, VoiceSettings};
pub use wav::{WavSink, WavSource};

use crate::media::io::{NullSink, ToneSource};
use crate::media::{AudioSink, AudioSource};
use level::{MeteredSink, MeteredSource};
use std::path::PathBuf;
use tokio::sync::broadcast;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Input,
    Output,
}

impl std::fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DeviceKind::Input => "input",
            DeviceKind::Output => "output",
        })
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AudioError {
    #[error("no sound system is available ({0}); is PulseAudio or PipeWire running?")]
    NoHost(String),
    #[error("there is no {0} device; connect one or pick another with --audio-in/--audio-out")]
    NoDevice(DeviceKind),
    #[error("cannot open the {kind} device '{device}': {why}; retrying, the call goes on without it")]
    Open {
        kind: DeviceKind,
        device: String,
        why: String,
    },
    #[error("voice processing is not available ({0}); the call goes on without it")]
    Processing(String),
    #[error("cannot use the WAV file {path}: {why}")]
    Wav { path: String, why: String },
}

/// What happens to the devices, for the UI and the CLI's JSON.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum AudioEvent {
    Opened {
        kind: DeviceKind,
        device: String,
        sample_rate: u32,
        channels: u16,
    },
    /// The chosen device is not there: the OS default is used instead.
    Fallback {
        kind: DeviceKind,
        wanted: String,
        using: String,
    },
    /// The device went away mid-stream; the default takes over.
    Lost {
        kind: DeviceKind,
        device: String,
    },
    OpenFailed {
        kind: DeviceKind,
        message: String,
    },
    /// The chosen device is back (plugged in again): the stream moves back to it.
    Returned {
        kind: DeviceKind,
        device: String,
    },
}

/// Is a sound server (PulseAudio, or PipeWire's PulseAudio side) reachable?
pub fn sound_server_available() -> bool {
    #[cfg(target_os = "linux")]
    {
        cpal::host_from_id(cpal::HostId::PulseAudio).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// One call's microphone and speaker.
pub type AudioPair = (Box<dyn AudioSource>, Box<dyn AudioSink>);

/// Where a call's audio comes from and goes to.
pub trait AudioBackend: Send + Sync {
    /// The source and sink for one call.
    fn open(&self) -> Result<AudioPair, AudioError>;
    /// Input and output levels of the call in progress.
    fn levels(&self) -> Levels;
    fn subscribe(&self) -> broadcast::Receiver<AudioEvent>;
}

/// Both ends with their levels measured into `levels`.
fn metered(source: Box<dyn AudioSource>, sink: Box<dyn AudioSink>, levels: &Levels) -> AudioPair {
    (
        Box::new(MeteredSource {
            inner: source,
            meter: levels.input.clone(),
        }),
        Box::new(MeteredSink {
            inner: sink,
            meter: levels.output.clone(),
        }),
    )
}

/// Sound devices, by name (`None`: the OS default).
pub struct DeviceBackend {
    /// Input and output by name; a new choice applies from the next call.
    chosen: std::sync::Mutex<[Option<String>; 2]>,
    events: broadcast::Sender<AudioEvent>,
    levels: Levels,
    voice: VoiceControl,
}

impl DeviceBackend {
    /// Voice processing starts all on; switch it with [`DeviceBackend::voice`].
    pub fn new(input: Option<String>, output: Option<String>) -> Self {
        Self {
            chosen: std::sync::Mutex::new([input, output]),
            events: broadcast::channel(64).0,
            levels: Levels::default(),
            voice: VoiceControl::default(),
        }
    }

    /// Echo cancellation, noise suppression and gain control, for this call and the next.
    pub fn voice(&self) -> &VoiceControl {
        &self.voice
    }

    /// The devices for the next call (`None`: the OS default).
    pub fn choose(&self, input: Option<String>, output: Option<String>) {
        *self
            .chosen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = [input, output];
    }

    /// The devices chosen for the next call.
    pub fn chosen(&self) -> [Option<String>; 2] {
        self.chosen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl AudioBackend for DeviceBackend {
    fn open(&self) -> Result<AudioPair, AudioError> {
        // One processor per call, shared by both sides: the speaker feeds the echo
        // canceller what the microphone side must remove.
        let voice = VoiceProcessor::new(self.voice.clone())
            .inspect_err(|e| tracing::warn!(error = %e, "voice processing"))
            .ok();
        let [input, output] = self.chosen();
        let source = DeviceSource::open(input, self.events.clone(), voice.clone())?;
        let sink = DeviceSink::open(output, self.events.clone(), voice)?;
        Ok(metered(Box::new(source), Box::new(sink), &self.levels))
    }

    fn levels(&self) -> Levels {
        self.levels.clone()
    }

    fn subscribe(&self) -> broadcast::Receiver<AudioEvent> {
        self.events.subscribe()
    }
}

/// WAV files, or a 1 kHz test tone and no recording when none is given.
pub struct WavBackend {
    input: Option<PathBuf>,
    output: Option<PathBuf>,
    /// Silence instead of the test tone when there is no input file.
    silent: bool,
    events: broadcast::Sender<AudioEvent>,
    levels: Levels,
}

impl WavBackend {
    /// Checks both files now, so a bad path is an error before the call.
    pub fn new(input: Option<PathBuf>, output: Option<PathBuf>) -> Result<Self, AudioError> {
        if let Some(p) = &input {
            WavSource::open(p)?;
        }
        if let Some(p) = &output {
            WavSink::create(p)?;
        }
        Ok(Self {
            input,
            output,
            silent: false,
            events: broadcast::channel(8).0,
            levels: Levels::default(),
        })
    }
}

/// Another backend's ends with silence as the microphone: what bots hear from a line whose
/// microphone is the test tone, which their voice detection would take for a caller who
/// never stops talking.
pub struct WithoutTestTone(pub std::sync::Arc<dyn AudioBackend>);

impl AudioBackend for WithoutTestTone {
    fn open(&self) -> Result<AudioPair, AudioError> {
        let (_, sink) = self.0.open()?;
        Ok((Box::new(crate::media::io::SilenceSource), sink))
    }
    fn levels(&self) -> Levels {
        self.0.levels()
    }
    fn subscribe(&self) -> broadcast::Receiver<AudioEvent> {
        self.0.subscribe()
    }
}

impl WavBackend {
    /// Without an input file, send silence rather than the test tone.
    pub fn silent(self) -> Self {
        Self { silent: true, ..self }
    }
}

impl AudioBackend for WavBackend {
    fn open(&self) -> Result<AudioPair, AudioError> {
        let source: Box<dyn AudioSource> = match &self.input {
            Some(p) => Box::new(WavSource::open(p)?),
            None if self.silent => Box::new(crate::media::io::SilenceSource),
            None => Box::new(ToneSource::new(1000.0, 0.25)),
        };
        let sink: Box<dyn AudioSink> = match &self.output {
            Some(p) => Box::new(WavSink::create(p)?),
            None => Box::new(NullSink),
        };
        Ok(metered(source, sink, &self.levels))
    }

    fn levels(&self) -> Levels {
        self.levels.clone()
    }

    fn subscribe(&self) -> broadcast::Receiver<AudioEvent> {
        self.events.subscribe()
    }
}

/// One call's audio ends from `backend`. A backend that cannot open at all gives a silent
/// call rather than none (the error is logged and the call goes on).
pub fn open_or_silence(backend: &dyn AudioBackend) -> AudioPair {
    match backend.open() {
        Ok(pair) => pair,
        Err(e) => {
            tracing::error!(error = %e, "no audio for this call");
            (
                Box::new(crate::media::io::SilenceSource) as Box<dyn AudioSource>,
                Box::new(NullSink) as Box<dyn AudioSink>,
            )
        }
    }
}

/// Audio ends made by a function for each call (a test tone and a recorder, say): a
/// backend with no devices, so no levels of its own and no device events.
pub struct FnBackend {
    make: Box<dyn Fn() -> AudioPair + Send + Sync>,
    levels: Levels,
    events: broadcast::Sender<AudioEvent>,
}

impl FnBackend {
    pub fn shared(make: impl Fn() -> AudioPair + Send + Sync + 'static) -> std::sync::Arc<dyn AudioBackend> {
        std::sync::Arc::new(Self {
            make: Box::new(make),
            levels: Levels::default(),
            events: broadcast::channel(4).0,
        })
    }
}

impl FnBackend {
    /// The same, with the ends' levels measured as a device backend's are (what the
    /// CLI's `verify-hold` and a report's level panel read).
    pub fn metered(make: impl Fn() -> AudioPair + Send + Sync + 'static) -> std::sync::Arc<dyn AudioBackend> {
        let levels = Levels::default();
        let meters = levels.clone();
        std::sync::Arc::new(Self {
            make: Box::new(move || {
                let (source, sink) = make();
                (
                    Box::new(level::MeteredSource {
                        inner: source,
                        meter: meters.input.clone(),
                    }),
                    Box::new(level::MeteredSink {
                        inner: sink,
                        meter: meters.output.clone(),
                    }),
                )
            }),
            levels,
            events: broadcast::channel(4).0,
        })
    }
}

impl AudioBackend for FnBackend {
    fn open(&self) -> Result<AudioPair, AudioError> {
        Ok((self.make)())
    }
    fn levels(&self) -> Levels {
        self.levels.clone()
    }
    fn subscribe(&self) -> broadcast::Receiver<AudioEvent> {
        self.events.subscribe()
    }
}
