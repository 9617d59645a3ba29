//! The window's phone line: opened from `dialtone-phone` (an account, or the embedded
//! sandbox), with its events forwarded to the webview. No call logic lives here.

use crate::commands::{Answer, CommandError, not_ready};
use dialtone_core::audio::level::SILENCE_DBFS;
use dialtone_core::call::{Address, CallEvent, CallHandle, CallState, Command};
use dialtone_core::history::Tracker;
use dialtone_core::media::impair::{Impairment, ImpairmentParseError};
use dialtone_phone::preflight::{Preflight, PreflightError};
use dialtone_phone::{
    AudioChoice, CallFiles, HistoryRecorder, Line, LineFacts, LineOptions, LineSource, LinkOffer, LinkPrefs,
    Network, next_event,
};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::RwLock;

/// How long a preflight listens to the echo (three clicks' round trips).
const PREFLIGHT_LISTEN: Duration = Duration::from_secs(3);

/// Event names the UI listens to.
pub mod events {
    /// A `LineEvent`: a `CallEvent` (state, incoming, stats, DTMF, errors, the call
    /// list...) with the `call` it concerns (0: the line).
    pub const CALL: &str = "call";
    /// An `AudioEvent` (device opened, lost, returned, ...).
    pub const AUDIO: &str = "audio";
    /// `{input_dbfs, output_dbfs}`, ten times a second during a call.
    pub const LEVELS: &str = "levels";
    /// `{id}` or `{error}` once an ended call has been saved.
    pub const HISTORY: &str = "history";
    /// The line's [`super::LineInfo`] whenever it (re)opens or fails to.
    pub const LINE: &str = "line";
    /// `{number, pretty}`: a call is being placed (from the window, a link or the tray).
    pub const DIALING: &str = "dialing";
    /// A `RecordingNews`: a recording started, stopped, or stopped on its own.
    pub const RECORDING: &str = "recording";
    /// A `LinkOffer`: a `tel:`/`callto:` link asks to call a number (nothing is dialled
    /// until the person says so).
    pub const LINK: &str = "link";
}

/// `levels`: the meters, ten times a second during a call.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct Levels {
    pub input_dbfs: f64,
    pub output_dbfs: f64,
}

/// `history`: an ended call was saved (its id), or could not be.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct HistorySaved {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `dialing`: a call is being placed, from the window, a link or the tray.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct Dialing {
    pub number: String,
    pub pretty: String,
}

/// What became of a link.
#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    /// Shown in the window, waiting for the person to dial it.
    Offered(LinkOffer),
    /// Dialled at once (Settings → Links), this number.
    Dialled(String),
}

/// What the window shows about the line.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Default)]
pub struct LineInfo {
    pub ready: bool,
    pub source: Option<LineSource>,
    pub own_number: Option<String>,
    pub network: Network,
    /// `devices` or `tone` (no sound server: a test tone is sent, nothing played).
    pub audio: &'static str,
    pub notes: Vec<String>,
    pub error: Option<String>,
    /// The impairment on every media packet (a named network such as `3g`, or a spec),
    /// for testing; none on a clean network.
    pub impairment: Option<String>,
}

struct OpenLine {
    line: Line,
    recorder: HistoryRecorder,
    /// Each call's report and recording (none without a data directory).
    files: Option<Arc<CallFiles>>,
    forwarders: Vec<JoinHandle<()>>,
}

/// The app's state: one line at a time.
#[derive(Default)]
pub struct Phone {
    open: RwLock<Option<OpenLine>>,
    info: Mutex<LineInfo>,
    /// A number handed over (a `tel:` link that dials at once) before the line was ready.
    pending_dial: Mutex<Option<String>>,
    /// The last link's number, waiting for the person to dial it or not.
    offered_link: Mutex<Option<LinkOffer>>,
    /// What the next lines impair (Settings → Network): not saved, so the app never
    /// starts on a bad network by surprise.
    impairment: Mutex<Option<(String, Impairment)>>,
    /// The account and network the line was last opened with (a preflight uses them).
    opened_as: Mutex<(Option<String>, Network)>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Phone {
    pub fn info(&self) -> LineInfo {
        locked(&self.info).clone()
    }

    fn set_info<R: Runtime>(&self, app: &AppHandle<R>, info: LineInfo) {
        *locked(&self.info) = info.clone();
        let _ = app.emit(events::LINE, info);
    }

    /// The running call driver, or why there is none.
    pub async fn call(&self) -> Result<CallHandle, String> {
        match self.open.read().await.as_ref() {
            Some(o) => Ok(o.line.call.clone()),
            None => Err(self.not_open()),
        }
    }

    /// The call's state as its `state` event, with what the line's call machine allows.
    pub async fn state_event(&self) -> Result<CallEvent, String> {
        match self.open.read().await.as_ref() {
            Some(o) => {
                let s = o.line.call.state();
                let allowed = match o.line.network {
                    Network::Lex => dialtone_core::call::bot::BotMachine::allowed(&s),
                    _ => dialtone_core::call::CallMachine::allowed(&s),
                };
                Ok(CallEvent::state(&s, allowed))
            }
            None => Err(self.not_open()),
        }
    }

    /// Runs `f` on the open line.
    pub async fn with_line<T>(&self, f: impl FnOnce(&Line) -> T) -> Result<T, String> {
        match self.open.read().await.as_ref() {
            Some(o) => Ok(f(&o.line)),
            None => Err(self.not_open()),
        }
    }

    /// Dials `number` (as typed, or a `tel:`/`callto:` URI) and tells the window; the
    /// E.164 form dialled.
    pub async fn dial<R: Runtime>(&self, app: &AppHandle<R>, number: &str) -> Answer<String> {
        let number = Address::parse(number).map_err(|e| CommandError::new("INVALID_NUMBER", e))?;
        // Whatever a link offered has been answered by this dial.
        locked(&self.offered_link).take();
        let open = self.open.read().await;
        let Some(o) = open.as_ref() else {
            return Err(not_ready(self.not_open()));
        };
        // A dial during a call is refused by the call machine: keep the history on the
        // call that is up.
        if !o.line.call.state().is_active() {
            o.recorder.dialing(&number.to_string());
        }
        let shown = Dialing {
            number: number.to_string(),
            pretty: number.pretty(),
        };
        o.line
            .call
            .command(Command::Dial(number.clone()))
            .await
            .map_err(|e| CommandError::new(e.code(), e))?;
        let _ = app.emit(events::DIALING, shown);
        Ok(number.to_string())
    }

    /// A link from the desktop, a second instance or the command line: offered to the
    /// window, which fills in the number and asks; dialled at once only when Settings say
    /// so (`links.json`). The offer, or the number dialled.
    pub async fn open_link<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        link: &str,
        prefs: LinkPrefs,
    ) -> Answer<Opened> {
        if prefs.dial_at_once {
            return self.dial_link(app, link).await.map(Opened::Dialled);
        }
        let offer = LinkOffer::from_link(link).map_err(|e| CommandError::new("INVALID_NUMBER", e))?;
        *locked(&self.offered_link) = Some(offer.clone());
        let _ = app.emit(events::LINK, offer.clone());
        Ok(Opened::Offered(offer))
    }

    /// The link waiting to be confirmed, if any (the window asks as it starts, for a link
    /// that came before it listened); taking it clears it.
    pub fn take_link_offer(&self) -> Option<LinkOffer> {
        locked(&self.offered_link).take()
    }

    /// Dials a number handed over by a link or the command line, now or as soon as
    /// the line is open.
    async fn dial_link<R: Runtime>(&self, app: &AppHandle<R>, link: &str) -> Answer<String> {
        let number = Address::parse(link).map_err(|e| CommandError::new("INVALID_NUMBER", e))?;
        if self.open.read().await.is_none() && self.info().error.is_none() {
            *locked(&self.pending_dial) = Some(number.to_string());
            return Ok(number.to_string());
        }
        self.dial(app, link).await
    }

    /// Has the embedded sandbox call us.
    pub async fn call_me(&self) -> Result<(), String> {
        match self.open.read().await.as_ref() {
            Some(o) => o.line.call_me().await.map(|_| ()).map_err(|e| e.to_string()),
            None => Err(self.not_open()),
        }
    }

    fn not_open(&self) -> String {
        match self.info().error {
            Some(e) => format!("the line is not open: {e}"),
            None => "the line is still opening; try again in a moment".to_owned(),
        }
    }

    /// The impairment the next lines carry: a named network or a spec, or `""` for none.
    pub fn set_impairment(&self, spec: &str) -> Result<(), String> {
        let spec = spec.trim();
        let parsed = if spec.is_empty() {
            None
        } else {
            let i: Impairment = spec.parse().map_err(|e: ImpairmentParseError| e.to_string())?;
            Some((spec.to_owned(), i))
        };
        *locked(&self.impairment) = parsed;
        Ok(())
    }

    /// Closes the current line (hanging up) and opens one on `network` with `account`
    /// (`None`: the default account, or the embedded sandbox when there is none).
    pub async fn open<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        account: Option<String>,
        network: Network,
    ) -> Result<LineInfo, String> {
        let mut open = self.open.write().await;
        if let Some(old) = open.take() {
            for f in &old.forwarders {
                f.abort();
            }
            old.line.close().await;
        }
        self.set_info(app, LineInfo::default());
        *locked(&self.opened_as) = (account.clone(), network);
        let options = self.options(account, network);
        let audio = match options.audio {
            AudioChoice::Devices { .. } => "devices",
            AudioChoice::Files { .. } => "tone",
        };
        let line = match Line::open(&options).await {
            Ok(l) => l,
            Err(e) => {
                let error = e.to_string();
                self.set_info(
                    app,
                    LineInfo {
                        error: Some(error.clone()),
                        audio,
                        ..Default::default()
                    },
                );
                return Err(error);
            }
        };
        let files = self.call_files(app, &line);
        let forwarders = forward(app, &line, files.clone());
        let saved_app = app.clone();
        let recorder = HistoryRecorder::start(
            Tracker::incoming(),
            line.call.subscribe_line(),
            false,
            files.clone(),
            move |saved| {
                let body = match saved {
                    Ok(id) => HistorySaved {
                        id: Some(id),
                        error: None,
                    },
                    Err(e) => HistorySaved {
                        id: None,
                        error: Some(format!("the call was not saved to the history: {e}")),
                    },
                };
                let _ = saved_app.emit(events::HISTORY, body);
            },
        );
        // Registered, calls can come in. The call machine takes a dial once registering
        // is over, so the line is ready only then.
        let mut notes = line.notes.clone();
        match line.call.command(Command::Register).await {
            Ok(()) => {
                let settled = line
                    .call
                    .wait_state(Duration::from_secs(15), |s| !matches!(s, CallState::Registering))
                    .await;
                match settled {
                    Some(CallState::Ended(reason)) => notes.push(format!("incoming calls are off: {reason}")),
                    None => notes.push("registering is taking long; incoming calls may not arrive".into()),
                    Some(_) => {}
                }
            }
            Err(e) => notes.push(format!("incoming calls are off: {e}")),
        }
        let info = LineInfo {
            ready: true,
            source: Some(line.source.clone()),
            own_number: line.own_number(),
            network,
            audio,
            notes,
            error: None,
            impairment: locked(&self.impairment).as_ref().map(|(spec, _)| spec.clone()),
        };
        *open = Some(OpenLine {
            line,
            recorder,
            files,
            forwarders,
        });
        drop(open);
        self.set_info(app, info.clone());
        let pending = locked(&self.pending_dial).take();
        if let Some(number) = pending
            && let Err(e) = self.dial(app, &number).await
        {
            let _ = app.emit(
                events::CALL,
                CallEvent::Error {
                    code: e.code.into(),
                    message: e.message,
                },
            );
        }
        Ok(info)
    }

    /// A line's options as Settings have them.
    fn options(&self, account: Option<String>, network: Network) -> LineOptions {
        LineOptions {
            network,
            account,
            sandbox_url: None,
            audio: AudioChoice::automatic(),
            lex: Default::default(),
            codecs: dialtone_core::audio::DevicePrefs::load().codec_list(),
            impairment: locked(&self.impairment).as_ref().map(|(_, i)| i.clone()),
            media_timeout: None,
            camara: None,
            caller_name: None,
            capture: None,
            // Set by the window tests, which read the sandbox's status over HTTP.
            sandbox_control_token: std::env::var("DIALTONE_SANDBOX_CONTROL_TOKEN").ok(),
        }
    }

    /// Runs a preflight on a line of its own, opened as the window's line was, calling
    /// `number` (the sandbox's echo when not given). Refused while a call is up.
    pub async fn preflight(&self, number: Option<String>) -> Answer<Preflight> {
        if let Some(o) = self.open.read().await.as_ref()
            && o.line.call.state().is_active()
        {
            return Err(CommandError::new(
                "LINE_BUSY",
                "a call is up: run the preflight once it has ended",
            ));
        }
        let (account, network) = locked(&self.opened_as).clone();
        let options = self.options(account, network);
        let number = number
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| dialtone_phone::preflight::ECHO.to_owned());
        dialtone_phone::preflight::run(
            &options,
            &number,
            PREFLIGHT_LISTEN,
            dialtone_report::WireTap::global(),
        )
        .await
        .map_err(|e| match e {
            PreflightError::InvalidNumber(e) => CommandError::new("INVALID_NUMBER", e),
            PreflightError::NotApplicable(e) => CommandError::new("INVALID_ARGUMENT", e),
        })
    }

    /// What the line keeps of its calls, in the data directory.
    fn call_files<R: Runtime>(&self, app: &AppHandle<R>, line: &Line) -> Option<Arc<CallFiles>> {
        let dir = match dialtone_core::history::History::data_dir() {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "calls are not reported or recorded");
                return None;
            }
        };
        let impairment = locked(&self.impairment).as_ref().map(|(spec, _)| spec.clone());
        let news_app = app.clone();
        Some(CallFiles::start(
            dir,
            LineFacts::of(line, impairment),
            dialtone_report::WireTap::global().clone(),
            line.call.clone(),
            line.embedded_sandbox().cloned(),
            move |news| {
                let _ = news_app.emit(events::RECORDING, news);
            },
        ))
    }

    /// Starts (`true`) or stops recording the call that is up; the recording's file.
    pub async fn record(&self, on: bool) -> Answer<Option<PathBuf>> {
        let open = self.open.read().await;
        let Some(o) = open.as_ref() else {
            return Err(not_ready(self.not_open()));
        };
        let files = o.files.as_ref().ok_or_else(|| {
            CommandError::new(
                "NO_DATA_DIR",
                "there is no data directory to keep recordings in; set HOME or XDG_DATA_HOME",
            )
        })?;
        if !on {
            return Ok(files.stop_recording());
        }
        if !o.line.call.state().is_active() {
            return Err(CommandError::new(
                "NO_CALL",
                "there is no call to record; start recording once a call is up",
            ));
        }
        files
            .start_recording()
            .map(Some)
            .map_err(|e| CommandError::new("RECORDING_FAILED", e))
    }

    /// Records our own number once registration has given it.
    pub async fn refresh_own_number<R: Runtime>(&self, app: &AppHandle<R>) {
        let own = self.with_line(Line::own_number).await.ok().flatten();
        if let Some(Some(f)) = self.open.read().await.as_ref().map(|o| o.files.as_ref()) {
            f.set_own_number(own.clone());
        }
        // Changed in place: a copy taken while a line was opening (its info still the
        // default) and written back after the open once replaced the open line's info.
        // An opening line takes the number itself.
        let changed = {
            let mut info = locked(&self.info);
            (info.ready && info.own_number != own).then(|| {
                info.own_number = own;
                info.clone()
            })
        };
        if let Some(info) = changed {
            let _ = app.emit(events::LINE, info);
        }
    }

    /// Hangs up and stops the line (the app is quitting).
    pub async fn close(&self) {
        if let Some(old) = self.open.write().await.take() {
            for f in &old.forwarders {
                f.abort();
            }
            old.line.close().await;
        }
    }
}

/// Call and audio events to the webview, and the level meters during a call (to the
/// call's report too).
fn forward<R: Runtime>(
    app: &AppHandle<R>,
    line: &Line,
    files: Option<Arc<CallFiles>>,
) -> Vec<JoinHandle<()>> {
    let call_app = app.clone();
    let mut calls = line.call.subscribe_line();
    let calls = tauri::async_runtime::spawn(async move {
        while let Some(e) = next_event(&mut calls).await {
            if matches!(&e.event, CallEvent::State { state, .. } if state == "Idle") {
                let phone = tauri::Manager::state::<Phone>(&call_app);
                phone.refresh_own_number(&call_app).await;
            }
            crate::desktop::on_call_event(&call_app, &e.event);
            let _ = call_app.emit(events::CALL, &e);
        }
    });
    let audio_app = app.clone();
    let mut audio = line.audio.subscribe();
    let audio = tauri::async_runtime::spawn(async move {
        while let Some(e) = next_event(&mut audio).await {
            let _ = audio_app.emit(events::AUDIO, &e);
        }
    });
    let level_app = app.clone();
    let levels = line.audio.levels();
    let call = line.call.clone();
    let meters = tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut was_active = false;
        loop {
            tick.tick().await;
            let active = call.state().is_active();
            let (i, o) = (levels.input.take(), levels.output.take());
            if active && let Some(f) = &files {
                f.levels(i, o);
            }
            // One last silent reading so the meters drop when the call ends.
            if active || was_active {
                let round = |x: f32| (f64::from(if active { x } else { SILENCE_DBFS }) * 10.0).round() / 10.0;
                let _ = level_app.emit(
                    events::LEVELS,
                    Levels {
                        input_dbfs: round(i),
                        output_dbfs: round(o),
                    },
                );
            }
            was_active = active;
        }
    });
    vec![calls, audio, meters]
}
