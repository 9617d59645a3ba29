//! A Dialtone line on the sandbox, opened by the product's own `Line::open` as
//! `dialtone call --sandbox-url` opens it, with a tone as the microphone and a recording
//! as the speaker.

use dialtone_core::audio::{AudioBackend, FnBackend};
use dialtone_core::call::Address;
use dialtone_core::call::{CallEvent, CallHandle, CallState, Command};
use dialtone_core::media::MediaConfig;
use dialtone_core::media::io::{RecordingSink, ToneSource};
use dialtone_core::signaling::camara::{CamaraConfig, CamaraEndpoints, CamaraProvider};
use dialtone_core::signaling::{SignalingProvider, lex};
use dialtone_phone::{AudioChoice, Calls, LineOptions, LineSource, Network};
use dialtone_sandbox::{Sandbox, SandboxConfig};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// The product's line (`dialtone_phone::Line`, opened as the CLI and the window open
/// theirs) with what the scenarios read: its events as a log, what its speaker heard.
pub struct Line {
    pub phone: dialtone_phone::Line,
    pub call: CallHandle,
    pub heard: RecordingSink,
    /// Drained into `log` on every read: the driver emits an event before it publishes
    /// the state it leads to, so after `wait` the log holds everything up to that state.
    rx: Mutex<broadcast::Receiver<CallEvent>>,
    log: Mutex<Vec<CallEvent>>,
}

pub async fn sandbox(config: SandboxConfig) -> Sandbox {
    crate::init_tracing();
    Sandbox::start("127.0.0.1:0".parse().expect("addr"), config)
        .await
        .expect("sandbox")
}

/// What `dialtone call --sandbox-url` asks for, on `network`.
pub fn options(sandbox: &Sandbox, network: Network) -> LineOptions {
    options_at(sandbox.base_url(), Some(sandbox.camara()), network)
}

/// The same for a sandbox at `url` (in another process, say); `camara: None` finds out
/// which version it speaks.
pub fn options_at(
    url: String,
    camara: Option<dialtone_core::signaling::camara::Dialect>,
    network: Network,
) -> LineOptions {
    LineOptions {
        network,
        account: None,
        sandbox_url: Some(url),
        // Replaced by the scenario's own ends.
        audio: AudioChoice::Files {
            input: None,
            output: None,
        },
        lex: Default::default(),
        codecs: None,
        impairment: None,
        media_timeout: None,
        camara,
        caller_name: None,
        capture: None,
        sandbox_control_token: None,
    }
}

/// A line opened with `options`, its microphone playing `tone_hz`.
pub async fn open(options: &LineOptions, tone_hz: f64) -> Line {
    let (audio, heard) = tone_audio(tone_hz);
    Line::open(options, audio, heard).await
}

/// A CAMARA client of the sandbox's with its own timeout, for scenarios that need one.
pub fn provider(sandbox: &Sandbox, timeout: Duration) -> CamaraProvider {
    provider_on(
        sandbox,
        CamaraEndpoints::under(&sandbox.base_url(), sandbox.camara()),
        CamaraConfig::new(dialtone_core::new_device_id()),
        timeout,
    )
}

/// A provider with the sandbox's credentials, reaching its APIs at `endpoints` (the
/// sandbox itself, or a proxy in front of it).
pub fn provider_on(
    sandbox: &Sandbox,
    endpoints: CamaraEndpoints,
    config: CamaraConfig,
    timeout: Duration,
) -> CamaraProvider {
    sandbox
        .credentials()
        .provider(endpoints, sandbox.camara(), config, timeout)
        .expect("token source")
}

/// A line on `sandbox` whose microphone plays `tone_hz`.
pub async fn line(sandbox: &Sandbox, tone_hz: f64) -> Line {
    open(&options(sandbox, Network::Camara), tone_hz).await
}

/// A line on the sandbox's Alexa whose microphone plays `tone_hz`.
pub async fn alexa_line(sandbox: &Sandbox, tone_hz: f64) -> Line {
    open(&options(sandbox, Network::Alexa), tone_hz).await
}

/// The same, with a caller name or the enveloped form (which only an account sets, so
/// the provider is made here).
pub async fn alexa_line_with(
    sandbox: &Sandbox,
    tone_hz: f64,
    options: dialtone_core::signaling::alexa::AlexaOptions,
) -> Line {
    let provider = sandbox
        .credentials()
        .alexa_provider(&sandbox.base_url(), Duration::from_secs(5), options)
        .await
        .expect("signed in to the sandbox's Login with Amazon");
    line_with(provider, tone_hz)
}

/// A line over a provider of the scenario's making (a proxy, a slow server's timeout).
pub fn line_with(provider: impl SignalingProvider, tone_hz: f64) -> Line {
    let (audio, heard) = tone_audio(tone_hz);
    line_with_audio(provider, audio, heard)
}

/// A line whose audio comes from `audio` (devices, files); `heard` is whatever the
/// caller records into, if anything.
pub fn line_with_audio(
    provider: impl SignalingProvider,
    audio: Arc<dyn AudioBackend>,
    heard: RecordingSink,
) -> Line {
    Line::over(
        Calls::Signaling(Arc::new(provider)),
        MediaConfig::loopback(),
        audio,
        heard,
    )
}

/// A line that calls the sandbox's Lex bots in `mode`, with `audio` as its ends.
pub async fn lex_line(sandbox: &Sandbox, mode: lex::Mode, audio: Arc<dyn AudioBackend>) -> Line {
    let mut options = options(sandbox, Network::Lex);
    options.lex.mode = mode;
    Line::open(&options, audio, RecordingSink::new()).await
}

/// A tone as the microphone, a recording as the speaker.
fn tone_audio(tone_hz: f64) -> (Arc<dyn AudioBackend>, RecordingSink) {
    let heard = RecordingSink::new();
    let sink = heard.clone();
    let audio = FnBackend::shared(move || (Box::new(ToneSource::new(tone_hz, 0.3)), Box::new(sink.clone())));
    (audio, heard)
}

/// Ends that record nothing: silence as the microphone, a sink that drops what it gets.
pub fn quiet_audio() -> Arc<dyn AudioBackend> {
    FnBackend::shared(|| {
        (
            Box::new(dialtone_core::media::io::SilenceSource),
            Box::new(dialtone_core::media::io::NullSink),
        )
    })
}

impl Line {
    /// The product's line on `options`, with `audio` as its ends.
    pub async fn open(options: &LineOptions, audio: Arc<dyn AudioBackend>, heard: RecordingSink) -> Line {
        let phone = dialtone_phone::Line::open_with_audio(options, audio)
            .await
            .unwrap_or_else(|e| panic!("the line did not open: {e}"));
        Line::wrap(phone, heard)
    }

    /// A line calling bots through `client` (its own endpoint or credentials).
    pub fn lex(client: lex::LexClient, audio: Arc<dyn AudioBackend>) -> Line {
        Line::over(
            Calls::Bots(client),
            MediaConfig::loopback(),
            audio,
            RecordingSink::new(),
        )
    }

    fn over(calls: Calls, media: MediaConfig, audio: Arc<dyn AudioBackend>, heard: RecordingSink) -> Line {
        let network = match calls {
            Calls::Bots(_) => Network::Lex,
            Calls::Signaling(_) => Network::Camara,
        };
        let source = LineSource::Sandbox {
            url: "a provider of the scenario's making".to_owned(),
        };
        Line::wrap(
            dialtone_phone::Line::over(network, calls, media, audio, source),
            heard,
        )
    }

    fn wrap(phone: dialtone_phone::Line, heard: RecordingSink) -> Line {
        let call = phone.call.clone();
        let rx = Mutex::new(call.subscribe());
        Line {
            phone,
            call,
            heard,
            rx,
            log: Mutex::new(Vec::new()),
        }
    }

    pub async fn dial(&self, number: &str) {
        self.call
            .command(Command::Dial(Address::parse(number).expect("number")))
            .await
            .expect("dial");
    }

    pub async fn wait(&self, name: &str, within: Duration) -> CallState {
        self.call
            .wait_state(within, |s| s.name() == name)
            .await
            .unwrap_or_else(|| {
                panic!(
                    "never reached {name}; now {}; events {:?}",
                    self.call.state(),
                    self.events()
                )
            })
    }

    pub fn events(&self) -> Vec<CallEvent> {
        let (Ok(mut rx), Ok(mut log)) = (self.rx.lock(), self.log.lock()) else {
            return Vec::new();
        };
        loop {
            match rx.try_recv() {
                Ok(e) => log.push(e),
                Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
        log.clone()
    }

    /// The first event so far (or within `within`) that `pred` picks.
    pub async fn wait_event(&self, within: Duration, pred: impl Fn(&CallEvent) -> bool) -> CallEvent {
        let start = std::time::Instant::now();
        loop {
            if let Some(e) = self.events().into_iter().find(|e| pred(e)) {
                return e;
            }
            if start.elapsed() > within {
                panic!("no such event within {within:?}; events {:?}", self.events());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The state names reported so far, in order.
    pub fn states(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                CallEvent::State { state, .. } => Some(state),
                _ => None,
            })
            .collect()
    }

    /// Does audio produced from now on carry `freq` (over 200 ms) within `within`?
    pub async fn hears(&self, freq: f64, within: Duration) -> bool {
        let start = std::time::Instant::now();
        let from = self.heard.len();
        while start.elapsed() < within {
            if let Some(t) = crate::tone_since(&self.heard, from, Duration::from_millis(200))
                && t.freq == freq
                && t.share > 0.8
                && t.dbfs > -40.0
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}
