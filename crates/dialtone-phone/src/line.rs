//! Opening a line: which provider, which audio, and the embedded sandbox default.

use crate::networks::{Calls, OnSandbox};
use dialtone_core::account::{AccountBook, AccountError};
use dialtone_core::audio::{
    AudioBackend, AudioError, DeviceBackend, DevicePrefs, VoiceSettings, WavBackend, WithoutTestTone,
};
use dialtone_core::auth::{SecretError, Secrets, TokenError};
use dialtone_core::call::{CallDriver, CallHandle};
use dialtone_core::media::MediaConfig;
use dialtone_core::media::impair::{Impairment, ImpairmentDial};
use dialtone_core::signaling::lex::{BotIo, LexClient, LexDriver};
use dialtone_core::signaling::{CallOptions, SignalingProvider};
use dialtone_sandbox::{Sandbox, SandboxConfig};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Keyring(#[from] SecretError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error("cannot start the built-in sandbox: {0}")]
    Sandbox(std::io::Error),
    #[error("the keyring task failed: {0}")]
    Task(String),
    #[error("{0}")]
    Lex(String),
    #[error("the sandbox could not call: {0}")]
    CallMe(String),
    #[error(
        "this needs the built-in sandbox; with an account or an external sandbox, ask the network to call you"
    )]
    NoEmbeddedSandbox,
    #[error(
        "this line was opened without an impairment layer, so its network cannot change mid-call (open it with one, clean or not)"
    )]
    NotImpairable,
}

/// Where the audio of the line's calls goes.
#[derive(Debug, Clone, PartialEq)]
pub enum AudioChoice {
    /// Sound devices by name; `None` keeps the remembered choice (or the OS default).
    /// A choice given here is remembered for later calls.
    Devices {
        input: Option<String>,
        output: Option<String>,
        voice: Option<VoiceSettings>,
    },
    /// WAV files; without them a 1 kHz test tone is sent and nothing is played.
    Files {
        input: Option<PathBuf>,
        output: Option<PathBuf>,
    },
}

impl AudioChoice {
    /// Devices when a sound server runs, the test tone otherwise.
    pub fn automatic() -> Self {
        if dialtone_core::audio::sound_server_available() {
            Self::Devices {
                input: None,
                output: None,
                voice: None,
            }
        } else {
            Self::Files {
                input: None,
                output: None,
            }
        }
    }
}

/// Which network the line's calls go over.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// CAMARA WebRTC: phone numbers through an operator.
    #[default]
    Camara,
    /// Alexa CallSignaling: `alexa:<name>` devices through the skill relay.
    Alexa,
    /// Amazon Lex V2: `lex:<botId>` bots over StartConversation.
    Lex,
}

impl Network {
    /// The network that reaches `address`.
    pub fn for_address(address: &dialtone_core::call::Address) -> Self {
        match address {
            dialtone_core::call::Address::Alexa(_) => Network::Alexa,
            dialtone_core::call::Address::Phone(_) => Network::Camara,
            dialtone_core::call::Address::Lex(_) => Network::Lex,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineOptions {
    pub network: Network,
    /// An operator account by name; `None` is the default account, or the sandbox when
    /// there is none. `sandbox` asks for the sandbox.
    pub account: Option<String>,
    /// A sandbox already running at this URL instead of an embedded one.
    pub sandbox_url: Option<String>,
    pub audio: AudioChoice,
    /// Bot calls: speech (with keys and text) or text only, a welcome, playback waits.
    pub lex: dialtone_core::signaling::lex::LexCallOptions,
    /// Codecs in order of preference (`None`: Opus, PCMU, PCMA).
    pub codecs: Option<Vec<dialtone_core::media::CodecName>>,
    /// Loss, delay and drops on every media packet (`--impair`), for testing.
    pub impairment: Option<dialtone_core::media::impair::Impairment>,
    /// How long without audio ends a call (`None`: the default, 30 s).
    pub media_timeout: Option<Duration>,
    /// The CAMARA version of the sandbox: the embedded one speaks it (default wip); a
    /// sandbox at `sandbox_url` is found to speak one when `None`.
    pub camara: Option<dialtone_core::signaling::camara::Dialect>,
    /// The caller name Alexa devices show (`--caller-name`; else the account's).
    pub caller_name: Option<String>,
    /// Where the line's calls are captured in the clear (`--pcap`).
    pub capture: Option<dialtone_core::media::capture::PacketCapture>,
    /// The embedded sandbox's control token, for tests that drive its control routes over
    /// HTTP (`DIALTONE_SANDBOX_CONTROL_TOKEN` in the app); `None`: one nobody else knows.
    pub sandbox_control_token: Option<String>,
}

/// What the line is connected to, as the UI shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineSource {
    /// The sandbox running inside this process.
    EmbeddedSandbox {
        url: String,
    },
    /// A sandbox run elsewhere (`dialtone sandbox`).
    Sandbox {
        url: String,
    },
    Account {
        name: String,
    },
}

impl LineSource {
    pub fn is_sandbox(&self) -> bool {
        !matches!(self, LineSource::Account { .. })
    }
}

pub struct Line {
    pub call: CallHandle,
    pub audio: Arc<dyn AudioBackend>,
    /// The device backend, when the line uses devices (for live voice settings).
    pub devices: Option<Arc<DeviceBackend>>,
    pub source: LineSource,
    /// What the user should know about how the line was set up.
    pub notes: Vec<String>,
    pub network: Network,
    /// None on Lex, whose calls need no signaling provider.
    provider: Option<Arc<dyn SignalingProvider>>,
    sandbox: Option<Arc<Sandbox>>,
    /// The impairment on its media, when it was opened with one.
    impairment: Option<ImpairmentDial>,
}

impl Line {
    /// A line as `options` ask: an account's network, a sandbox at a URL, or the embedded
    /// sandbox, with devices or WAV files as its ends.
    pub async fn open(options: &LineOptions) -> Result<Line, LineError> {
        Self::open_on(options, None).await
    }

    /// The same line with the caller's own ends instead of devices or files: what the
    /// end-to-end tests run, a tone as the microphone and a recorder as the speaker.
    pub async fn open_with_audio(
        options: &LineOptions,
        audio: Arc<dyn AudioBackend>,
    ) -> Result<Line, LineError> {
        Self::open_on(options, Some(audio)).await
    }

    async fn open_on(options: &LineOptions, audio: Option<Arc<dyn AudioBackend>>) -> Result<Line, LineError> {
        let mut notes = Vec::new();
        let entry = options.network.entry();
        let account = match &options.sandbox_url {
            Some(_) => None,
            None => entry.pick(&AccountBook::open_default()?, options.account.as_deref())?,
        };
        let (calls, bots, media, sandbox, source) = match account {
            Some(account) => {
                let name = account.name().to_owned();
                notes.push(format!("using the account '{name}'"));
                let media = if account.all_loopback() {
                    MediaConfig::loopback()
                } else {
                    MediaConfig::default()
                };
                let options = options.clone();
                let (calls, bots) = tokio::task::spawn_blocking(move || {
                    let secrets = Secrets::os()?;
                    let calls = account.calls(&secrets, &options)?;
                    let bots = match options.network {
                        Network::Lex => Ok(None),
                        _ => account_bots(&secrets, &options),
                    };
                    Ok::<_, LineError>((calls, bots))
                })
                .await
                .map_err(|e| LineError::Task(e.to_string()))??;
                bots_note(&bots, &mut notes);
                (
                    calls,
                    bots.ok().flatten(),
                    media,
                    None,
                    LineSource::Account { name },
                )
            }
            None => {
                let (root, sandbox, source) = match &options.sandbox_url {
                    Some(url) => {
                        let url = url.trim_end_matches('/').to_owned();
                        (url.clone(), None, LineSource::Sandbox { url })
                    }
                    None => {
                        let private = SandboxConfig::default().with_private_secrets();
                        let config = SandboxConfig {
                            camara: options.camara.unwrap_or_default(),
                            control_token: options
                                .sandbox_control_token
                                .clone()
                                .unwrap_or(private.control_token.clone()),
                            ..private
                        };
                        let s = Sandbox::start(([127, 0, 0, 1], 0).into(), config)
                            .await
                            .map_err(LineError::Sandbox)?;
                        notes.push(entry.sandbox_note(&s.base_url()));
                        let url = s.base_url();
                        (
                            url.clone(),
                            Some(Arc::new(s)),
                            LineSource::EmbeddedSandbox { url },
                        )
                    }
                };
                let mut on = OnSandbox {
                    root: &root,
                    embedded: sandbox.as_deref(),
                    options,
                    notes: &mut notes,
                };
                let calls = entry.sandbox_calls(on.reborrow()).await?;
                // The sandbox's demo bot can be one of a phone line's calls too.
                let bots = match options.network {
                    Network::Lex => Ok(None),
                    _ => match Network::Lex.entry().sandbox_calls(on).await {
                        Ok(Calls::Bots(client)) => Ok(Some(client)),
                        Ok(Calls::Signaling(_)) => Ok(None),
                        Err(e) => Err(e),
                    },
                };
                bots_note(&bots, &mut notes);
                // The sandbox's far ends live on loopback.
                (
                    calls,
                    bots.ok().flatten(),
                    MediaConfig::loopback(),
                    sandbox,
                    source,
                )
            }
        };
        let mut media = media;
        if let Some(codecs) = &options.codecs {
            media.codecs = codecs.clone();
        }
        // A clean impairment still puts the layer in, for a script to change mid-call.
        media.impairment = options.impairment.clone().map(ImpairmentDial::new);
        media.capture = options.capture.clone();
        if let Some(i) = options
            .impairment
            .as_ref()
            .filter(|i| **i != Impairment::default())
        {
            notes.push(impairment_note(i));
        }
        if let Some(t) = options.media_timeout {
            media.media_timeout = t;
        }
        // Ends the caller made are theirs to choose for bots too.
        let test_tone = audio.is_none() && matches!(options.audio, AudioChoice::Files { input: None, .. });
        let (audio, devices) = match audio {
            Some(audio) => (audio, None),
            None => audio_backend(&options.audio, matches!(calls, Calls::Bots(_)), &mut notes)?,
        };
        let bots = bots.map(|client| BotIo {
            client: Arc::new(client),
            audio: if test_tone {
                Arc::new(WithoutTestTone(audio.clone()))
            } else {
                audio.clone()
            },
        });
        let impairment = media.impairment.clone();
        let mut line = Line::over_with_bots(options.network, calls, bots, media, audio, source);
        line.impairment = impairment;
        line.devices = devices;
        line.notes = notes;
        line.sandbox = sandbox;
        Ok(line)
    }

    /// A line over calls of the caller's making: a client with its own endpoints or
    /// timeouts (a proxy in front of the network, a test's slow server).
    pub fn over(
        network: Network,
        calls: Calls,
        media: MediaConfig,
        audio: Arc<dyn AudioBackend>,
        source: LineSource,
    ) -> Line {
        Self::over_with_bots(network, calls, None, media, audio, source)
    }

    /// The same, with `bots` taking the phone line's `lex:` calls.
    pub fn over_with_bots(
        network: Network,
        calls: Calls,
        bots: Option<BotIo>,
        media: MediaConfig,
        audio: Arc<dyn AudioBackend>,
        source: LineSource,
    ) -> Line {
        let (call, provider) = match calls {
            Calls::Signaling(p) => (
                CallDriver::spawn(p.clone(), media, audio.clone(), false, bots),
                Some(p),
            ),
            Calls::Bots(client) => (LexDriver::spawn(Arc::new(client), audio.clone()), None),
        };
        Line {
            call,
            audio,
            devices: None,
            source,
            notes: Vec::new(),
            network,
            provider,
            sandbox: None,
            impairment: None,
        }
    }

    /// Changes the impairment of the line's media from the next packet on; the line must
    /// have been opened with one (`LineOptions::impairment`, clean or not).
    pub fn set_impairment(&self, to: Impairment) -> Result<(), LineError> {
        let dial = self.impairment.as_ref().ok_or(LineError::NotImpairable)?;
        dial.set(to);
        Ok(())
    }

    pub fn set_call_options(&self, emergency: bool, location: Option<serde_json::Value>) {
        if let Some(p) = &self.provider {
            p.set_call_options(CallOptions { emergency, location });
        }
    }

    /// The sandbox running inside this process, when the line is on it: its far ends can
    /// say what reached them (a report's verdicts).
    pub fn embedded_sandbox(&self) -> Option<&Arc<Sandbox>> {
        self.sandbox.as_ref()
    }

    pub fn own_number(&self) -> Option<String> {
        self.provider.as_ref().and_then(|p| p.own_number())
    }

    /// Has the embedded sandbox call this line now; its session id.
    pub async fn call_me(&self) -> Result<String, LineError> {
        let sandbox = self.sandbox.clone().ok_or(LineError::NoEmbeddedSandbox)?;
        call_me(&sandbox, self.network).await
    }

    /// Has the embedded sandbox call this line after `after`.
    pub fn call_me_after(&self, after: Duration) -> Result<(), LineError> {
        let sandbox = self.sandbox.clone().ok_or(LineError::NoEmbeddedSandbox)?;
        let network = self.network;
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            if let Err(e) = call_me(&sandbox, network).await {
                tracing::error!(%e, "the sandbox could not call");
            }
        });
        Ok(())
    }

    /// Hangs up, unregisters, and stops the embedded sandbox.
    pub async fn close(self) {
        self.call.shutdown().await;
        if let Some(s) = self.sandbox
            && let Ok(s) = Arc::try_unwrap(s)
        {
            s.stop().await;
        }
    }
}

/// The sandbox calls the line, as its network does.
async fn call_me(sandbox: &Sandbox, network: Network) -> Result<String, LineError> {
    network.entry().call_me(sandbox).await.map_err(LineError::CallMe)
}

/// What the user is told of an impaired line: which network, and the figures in force.
fn impairment_note(i: &Impairment) -> String {
    format!("impairing every media packet as {}", i.describe())
}

/// The default Lex account's client, for a phone line's `lex:` calls; none without one.
fn account_bots(secrets: &Secrets, options: &LineOptions) -> Result<Option<LexClient>, LineError> {
    let Some(account) = Network::Lex.entry().pick(&AccountBook::open_default()?, None)? else {
        return Ok(None);
    };
    match account.calls(secrets, options)? {
        Calls::Bots(client) => Ok(Some(client)),
        Calls::Signaling(_) => Ok(None),
    }
}

/// Bots are a phone line's extra: when they cannot be reached the line still opens, and
/// the user is told why `lex:` calls will be refused.
fn bots_note(bots: &Result<Option<LexClient>, LineError>, notes: &mut Vec<String>) {
    if let Err(e) = bots {
        notes.push(format!("bot calls (lex:) are unavailable on this line: {e}"));
    }
}

type Backends = (Arc<dyn AudioBackend>, Option<Arc<DeviceBackend>>);

/// `bots`: with no input file, a bot hears silence rather than the test tone, which its
/// voice detection would take for a caller who never stops talking.
fn audio_backend(choice: &AudioChoice, bots: bool, notes: &mut Vec<String>) -> Result<Backends, LineError> {
    match choice {
        AudioChoice::Files { input, output } => {
            let mut wav = WavBackend::new(input.clone(), output.clone())?;
            if bots && input.is_none() {
                wav = wav.silent();
            }
            Ok((Arc::new(wav), None))
        }
        AudioChoice::Devices { input, output, voice } => {
            let mut prefs = DevicePrefs::load();
            if input.is_some() || output.is_some() || voice.is_some() {
                prefs.input = input.clone().or(prefs.input);
                prefs.output = output.clone().or(prefs.output);
                prefs.voice = voice.unwrap_or(prefs.voice);
                if let Err(e) = prefs.save() {
                    notes.push(format!("cannot remember the audio settings: {e}"));
                }
            }
            let backend = Arc::new(DeviceBackend::new(prefs.input, prefs.output));
            backend.voice().set(prefs.voice);
            Ok((backend.clone(), Some(backend)))
        }
    }
}
