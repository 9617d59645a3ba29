//! One phone line for the CLI: the signaling provider, the call driver and the audio.
//! With no operator account it runs the sandbox in-process (the embedded default).

use crate::output::Reporter;
use crate::{AudioMode, CallArgs};
use anyhow::Context;
use dialtone_core::account::AccountBook;
use dialtone_core::audio::{AudioBackend, DeviceBackend, DevicePrefs, WavBackend};
use dialtone_core::auth::Secrets;
use dialtone_core::call::{CallDriver, CallHandle};
use dialtone_core::media::MediaConfig;
use dialtone_core::signaling::camara::{CamaraConfig, CamaraEndpoints, CamaraProvider};
use dialtone_core::signaling::{CallOptions, SignalingProvider};
use dialtone_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use std::sync::Arc;
use std::time::Duration;

pub struct Line {
    pub call: CallHandle,
    pub audio: Arc<dyn AudioBackend>,
    provider: Arc<CamaraProvider>,
    sandbox: Option<Arc<Sandbox>>,
}

/// Devices when asked (or by default when a sound server runs and no file is given),
/// otherwise WAV files and the test tone.
fn audio_backend(args: &CallArgs, out: &Reporter) -> anyhow::Result<Arc<dyn AudioBackend>> {
    let files = args.audio_in.is_some() || args.audio_out.is_some();
    let mode = match args.audio {
        Some(m) => m,
        None if !files && dialtone_core::audio::sound_server_available() => AudioMode::Devices,
        None => AudioMode::Tone,
    };
    if mode == AudioMode::Tone {
        if args.voice_processing.is_some() {
            out.note("--voice-processing applies to devices only; the test tone and WAV files are sent as they are");
        }
        return Ok(Arc::new(WavBackend::new(
            args.audio_in.clone(),
            args.audio_out.clone(),
        )?));
    }
    anyhow::ensure!(
        !files,
        "--audio devices cannot be combined with --audio-in/--audio-out"
    );
    let mut prefs = DevicePrefs::load();
    let chosen = [args.input_device.clone(), args.output_device.clone()];
    if chosen.iter().any(Option::is_some) || args.voice_processing.is_some() {
        prefs.input = chosen[0].clone().or(prefs.input);
        prefs.output = chosen[1].clone().or(prefs.output);
        prefs.voice = args.voice_processing.unwrap_or(prefs.voice);
        if let Err(e) = prefs.save() {
            out.note(&format!("cannot remember the audio settings: {e}"));
        }
    }
    let backend = DeviceBackend::new(prefs.input, prefs.output);
    backend.voice().set(prefs.voice);
    Ok(Arc::new(backend))
}

impl Line {
    pub async fn open(args: &CallArgs, out: &Reporter) -> anyhow::Result<Line> {
        let book = AccountBook::open_default()?;
        let account = match &args.sandbox {
            Some(_) => None,
            None => book.pick(args.account.as_deref())?.cloned(),
        };
        let (provider, media, sandbox) = match account {
            Some(account) => {
                out.note(&format!("using the account '{}'", account.name));
                let media = if account.endpoints.all_loopback() {
                    MediaConfig::loopback()
                } else {
                    MediaConfig::default()
                };
                let provider = tokio::task::spawn_blocking(move || {
                    let secrets = Secrets::os()?;
                    anyhow::Ok(account.camara_provider(&secrets)?)
                })
                .await
                .context("the keyring task failed")??;
                (provider, media, None)
            }
            None => {
                let (provider, sandbox) = Self::sandbox_provider(args, out).await?;
                // The sandbox's far ends live on loopback.
                (provider, MediaConfig::loopback(), sandbox)
            }
        };
        let provider = Arc::new(provider);
        let audio = audio_backend(args, out)?;
        let call = CallDriver::spawn(
            provider.clone() as Arc<dyn SignalingProvider>,
            media,
            dialtone_core::audio::factory(audio.clone()),
            false,
        );
        Ok(Line {
            call,
            audio,
            provider,
            sandbox,
        })
    }

    /// A provider on `--sandbox URL`, or on a sandbox started here.
    async fn sandbox_provider(
        args: &CallArgs,
        out: &Reporter,
    ) -> anyhow::Result<(CamaraProvider, Option<Arc<Sandbox>>)> {
        let (root, sandbox) = match &args.sandbox {
            Some(url) => (url.trim_end_matches('/').to_owned(), None),
            None => {
                let s = Sandbox::start(([127, 0, 0, 1], 0).into(), SandboxConfig::default())
                    .await
                    .context("cannot start the built-in sandbox")?;
                out.note(&format!(
                    "no operator account configured: using the built-in sandbox at {}",
                    s.base_url()
                ));
                (s.base_url(), Some(Arc::new(s)))
            }
        };
        let provider = SandboxCredentials::at(&root).provider(
            CamaraEndpoints::under(&root),
            CamaraConfig::new(dialtone_core::new_device_id()),
            Duration::from_secs(10),
        )?;
        Ok((provider, sandbox))
    }

    pub fn set_call_options(&self, emergency: bool, location: Option<serde_json::Value>) {
        self.provider
            .set_call_options(CallOptions { emergency, location });
    }

    pub fn own_number(&self) -> Option<String> {
        self.provider.own_number()
    }

    /// Has the embedded sandbox call this line after `after`.
    pub fn call_me_after(&self, after: Duration) -> anyhow::Result<()> {
        let sandbox = self
            .sandbox
            .clone()
            .context("--call-me-after needs the built-in sandbox; with --sandbox use `dialtone sandbox --call-me-after`")?;
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            if let Err(e) = sandbox.call_me(None).await {
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
