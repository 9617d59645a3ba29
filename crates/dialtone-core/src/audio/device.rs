//! Sound devices through cpal: listing, picking one by name (falling back to the OS
//! default), and a thread per stream that owns it, watches its health and rebuilds it
//! on the default device when it disappears, or retries when it cannot open.
//!
//! Each direction gets its own cpal Host: streams of both directions on one PulseAudio
//! host stall the output (test-rigs.md §3).

use super::{AudioError, AudioEvent, DeviceKind};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// How often the stream's thread checks on it; a lost device is replaced within about
/// this plus the time to open the default.
const WATCH_EVERY: Duration = Duration::from_millis(150);
/// No callback for this long means the stream is dead even if nobody said so...
const STALL_AFTER: Duration = Duration::from_millis(600);
/// ...once it has started: servers may take a while to start a stream (a PulseAudio
/// null sink takes about 2 s, a record stream waits for its first fragment).
const START_GRACE: Duration = Duration::from_secs(4);
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What a user sees of a device.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    pub name: String,
    pub id: String,
    pub kind: DeviceKind,
    pub is_default: bool,
    pub sample_rate: u32,
    pub channels: u16,
    pub sample_format: String,
}

/// The process's one PulseAudio connection, while it works (see `host`).
#[cfg(target_os = "linux")]
static PULSE: std::sync::Mutex<Option<Arc<cpal::Host>>> = std::sync::Mutex::new(None);

/// The PulseAudio host when a server is reachable, otherwise the platform default.
///
/// One PulseAudio host serves the whole process. Each is a connection to the server with a
/// reactor thread of its own, and a dropped one lingers until the server next writes to
/// it (pulseaudio-rs #6): a host per call left a thread and three descriptors behind
/// every dozen calls (`make soak`). `forget_host` drops it after a failure, so the next
/// call connects afresh to a sound server that came back.
pub fn host() -> Arc<cpal::Host> {
    #[cfg(target_os = "linux")]
    {
        let mut shared = crate::lock(&PULSE);
        if let Some(h) = shared.as_ref() {
            return h.clone();
        }
        if let Ok(h) = cpal::host_from_id(cpal::HostId::PulseAudio) {
            let h = Arc::new(h);
            *shared = Some(h.clone());
            return h;
        }
    }
    Arc::new(cpal::default_host())
}

/// After `host` failed to open or list a device: the next `host()` connects again, unless
/// another thread already has.
pub fn forget_host(failed: &Arc<cpal::Host>) {
    #[cfg(target_os = "linux")]
    {
        let mut shared = crate::lock(&PULSE);
        if shared.as_ref().is_some_and(|h| Arc::ptr_eq(h, failed)) {
            *shared = None;
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = failed;
}

fn device_name(d: &cpal::Device) -> String {
    d.description()
        .map(|desc| desc.name().to_owned())
        .or_else(|_| d.id().map(|id| id.to_string()))
        .unwrap_or_else(|_| "unnamed device".into())
}

fn device_id(d: &cpal::Device) -> String {
    d.id().map(|id| id.to_string()).unwrap_or_default()
}

fn devices(host: &cpal::Host, kind: DeviceKind) -> Result<Vec<cpal::Device>, AudioError> {
    let list = match kind {
        DeviceKind::Input => host.input_devices().map(|d| d.collect()),
        DeviceKind::Output => host.output_devices().map(|d| d.collect()),
    };
    list.map_err(|e| AudioError::NoHost(e.to_string()))
}

fn default_device(host: &cpal::Host, kind: DeviceKind) -> Option<cpal::Device> {
    match kind {
        DeviceKind::Input => host.default_input_device(),
        DeviceKind::Output => host.default_output_device(),
    }
}

fn default_config(d: &cpal::Device, kind: DeviceKind) -> Result<cpal::SupportedStreamConfig, cpal::Error> {
    match kind {
        DeviceKind::Input => d.default_input_config(),
        DeviceKind::Output => d.default_output_config(),
    }
}

/// Every device of one kind, the default first.
pub fn list(kind: DeviceKind) -> Result<Vec<DeviceInfo>, AudioError> {
    let host = host();
    let default_id = default_device(&host, kind).map(|d| device_id(&d));
    let mut out: Vec<DeviceInfo> = devices(&host, kind)
        .inspect_err(|_| forget_host(&host))?
        .iter()
        .filter_map(|d| {
            let config = default_config(d, kind).ok()?;
            let id = device_id(d);
            Some(DeviceInfo {
                name: device_name(d),
                is_default: default_id.as_deref() == Some(id.as_str()),
                id,
                kind,
                sample_rate: config.sample_rate(),
                channels: config.channels(),
                sample_format: config.sample_format().to_string(),
            })
        })
        .collect();
    out.sort_by_key(|d| !d.is_default);
    Ok(out)
}

/// The device called `wanted` (its name or id, exactly, then ignoring case), or the
/// default. The flag says whether we fell back.
pub fn find(
    host: &cpal::Host,
    kind: DeviceKind,
    wanted: Option<&str>,
) -> Result<(cpal::Device, bool), AudioError> {
    if let Some(w) = wanted
        && let Some(d) = named(&devices(host, kind)?, w)
    {
        return Ok((d.clone(), false));
    }
    let d = default_device(host, kind).ok_or(AudioError::NoDevice(kind))?;
    Ok((d, wanted.is_some()))
}

/// The device called `w`: its name or id exactly, else ignoring case.
fn named<'a>(all: &'a [cpal::Device], w: &str) -> Option<&'a cpal::Device> {
    all.iter()
        .find(|d| device_name(d) == w || device_id(d) == w)
        .or_else(|| {
            all.iter()
                .find(|d| device_name(d).eq_ignore_ascii_case(w) || device_id(d).eq_ignore_ascii_case(w))
        })
}

/// From one listing: is the stream's device `id` still there, and is `chosen` (the
/// device it stands in for) back?
fn presence(host: &cpal::Host, kind: DeviceKind, id: &str, chosen: Option<&str>) -> (bool, bool) {
    match devices(host, kind) {
        Ok(all) => (
            all.iter().any(|d| device_id(d) == id),
            chosen.is_some_and(|w| named(&all, w).is_some()),
        ),
        // Cannot tell: do not tear down a working stream over it.
        Err(_) => (true, false),
    }
}

/// What a stream's callbacks report, lock-free.
#[derive(Debug)]
pub struct StreamHealth {
    epoch: Instant,
    last_callback_ms: AtomicU64,
    /// Device frames handled so far (for rate checks).
    pub frames: AtomicU64,
    failed: AtomicBool,
}

impl StreamHealth {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            epoch: Instant::now(),
            last_callback_ms: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            failed: AtomicBool::new(false),
        })
    }

    /// From the data callback: no allocation, no lock.
    pub fn tick(&self, frames: usize) {
        self.frames.fetch_add(frames as u64, Ordering::Relaxed);
        self.last_callback_ms
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// From the error callback.
    pub fn fail(&self, e: &cpal::Error) {
        if !matches!(e.kind(), cpal::ErrorKind::Xrun | cpal::ErrorKind::RealtimeDenied) {
            self.failed.store(true, Ordering::Relaxed);
        }
    }

    fn stalled(&self) -> bool {
        let now = self.epoch.elapsed();
        let last = Duration::from_millis(self.last_callback_ms.load(Ordering::Relaxed));
        if self.frames.load(Ordering::Relaxed) < 4_800 {
            // Not really started yet.
            return now > START_GRACE && now.saturating_sub(last) > START_GRACE;
        }
        now.saturating_sub(last) > STALL_AFTER
    }
}

/// A stream that is up: the cpal stream, and what its consumer side needs.
pub struct Opened<H> {
    pub stream: cpal::Stream,
    pub handoff: H,
    pub sample_rate: u32,
    pub channels: u16,
}

/// Plays a built stream and packages it; `built` is the stream and its ring end, or why
/// it could not be built.
pub fn start<R, H>(
    kind: DeviceKind,
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    built: Result<(cpal::Stream, R), String>,
    handoff: impl FnOnce(R) -> H,
) -> Result<Opened<H>, AudioError> {
    let fail = |why: String| AudioError::Open {
        kind,
        device: device_name(device),
        why,
    };
    let (stream, ring) = built.map_err(fail)?;
    stream.play().map_err(|e| fail(e.to_string()))?;
    Ok(Opened {
        stream,
        handoff: handoff(ring),
        sample_rate: config.sample_rate,
        channels: config.channels,
    })
}

/// Builds one direction's stream on a device.
pub trait Opener: Send + 'static {
    type Handoff: Send + 'static;
    fn open(
        &mut self,
        device: &cpal::Device,
        config: cpal::SupportedStreamConfig,
        health: Arc<StreamHealth>,
    ) -> Result<Opened<Self::Handoff>, AudioError>;
}

/// 5 ms buffers where the device allows (cpal's default on PulseAudio is about 2 s).
pub fn stream_config(config: &cpal::SupportedStreamConfig) -> cpal::StreamConfig {
    // PulseAudio holds one period of capture and two of playback for us (cpal asks for
    // that much): 5 ms periods take 15 ms off mouth-to-ear against 10 ms ones.
    let want = config.sample_rate() / 200;
    let frames = match config.buffer_size() {
        cpal::SupportedBufferSize::Range { min, max } => want.clamp(*min, *max),
        cpal::SupportedBufferSize::Unknown => want,
    };
    cpal::StreamConfig {
        channels: config.channels(),
        sample_rate: config.sample_rate(),
        buffer_size: cpal::BufferSize::Fixed(frames),
    }
}

/// The thread that owns one stream. Dropping it stops the stream.
pub struct DeviceThread {
    stop: Option<mpsc::Sender<()>>,
    join: Option<JoinHandle<()>>,
    pub health: Arc<std::sync::Mutex<Arc<StreamHealth>>>,
}

impl Drop for DeviceThread {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl DeviceThread {
    /// The health of the stream currently open (for tests and diagnostics).
    pub fn current_health(&self) -> Arc<StreamHealth> {
        self.health
            .lock()
            .map(|h| h.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn spawn<O: Opener>(
        kind: DeviceKind,
        wanted: Option<String>,
        mut opener: O,
        events: broadcast::Sender<AudioEvent>,
        handoff: mpsc::Sender<O::Handoff>,
    ) -> Result<Self, AudioError> {
        let (stop_tx, stop) = mpsc::channel::<()>();
        let health = Arc::new(std::sync::Mutex::new(StreamHealth::new()));
        let shared = health.clone();
        let join = std::thread::Builder::new()
            .name(format!("dialtone-{kind}"))
            .spawn(move || {
                let mut host = host();
                let emit = |e: AudioEvent| {
                    tracing::info!(event = ?e, "audio");
                    let _ = events.send(e);
                };
                // Stops the loop when the owner goes away.
                let wait =
                    |d: Duration| !matches!(stop.recv_timeout(d), Err(mpsc::RecvTimeoutError::Timeout));
                loop {
                    let h = StreamHealth::new();
                    let attempt = find(&host, kind, wanted.as_deref()).and_then(|(device, fell_back)| {
                        let name = device_name(&device);
                        if fell_back {
                            emit(AudioEvent::Fallback {
                                kind,
                                wanted: wanted.clone().unwrap_or_default(),
                                using: name.clone(),
                            });
                        }
                        let config = default_config(&device, kind).map_err(|e| AudioError::Open {
                            kind,
                            device: name.clone(),
                            why: e.to_string(),
                        })?;
                        let opened = opener.open(&device, config, h.clone())?;
                        Ok((name, device_id(&device), opened, fell_back))
                    });
                    let (name, id, opened, fell_back) = match attempt {
                        Ok(x) => x,
                        Err(e) => {
                            emit(AudioEvent::OpenFailed {
                                kind,
                                message: e.to_string(),
                            });
                            if wait(RETRY_AFTER) {
                                return;
                            }
                            // The sound server may be back: ask afresh.
                            forget_host(&host);
                            host = self::host();
                            continue;
                        }
                    };
                    if let Ok(mut slot) = shared.lock() {
                        *slot = h.clone();
                    }
                    if handoff.send(opened.handoff).is_err() {
                        return;
                    }
                    emit(AudioEvent::Opened {
                        kind,
                        device: name.clone(),
                        sample_rate: opened.sample_rate,
                        channels: opened.channels,
                    });
                    let stream = opened.stream;
                    let mut checks = 0u32;
                    loop {
                        if wait(WATCH_EVERY) {
                            drop(stream);
                            return;
                        }
                        checks += 1;
                        // Enumerating is slower than reading atomics: every third check.
                        // On the default in place of the chosen device, also look for it.
                        let chosen = wanted.as_deref().filter(|_| fell_back);
                        let (present, returned) = if checks.is_multiple_of(3) {
                            presence(&host, kind, &id, chosen)
                        } else {
                            (true, false)
                        };
                        if h.failed.load(Ordering::Relaxed) || h.stalled() || !present {
                            emit(AudioEvent::Lost {
                                kind,
                                device: name.clone(),
                            });
                            drop(stream);
                            break;
                        }
                        if let Some(w) = chosen.filter(|_| returned) {
                            emit(AudioEvent::Returned {
                                kind,
                                device: w.to_owned(),
                            });
                            drop(stream);
                            break;
                        }
                    }
                }
            })
            .map_err(|e| AudioError::NoHost(e.to_string()))?;
        Ok(Self {
            stop: Some(stop_tx),
            join: Some(join),
            health,
        })
    }
}
