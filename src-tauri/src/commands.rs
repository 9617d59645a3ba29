//! The window's commands: each checks its input with the core and hands it on.

use crate::phone::{LineInfo, Phone};
use dialtone_core::account::AccountBook;
use dialtone_core::audio::{DeviceInfo, DeviceKind, DevicePrefs, VoiceSettings};
use dialtone_core::call::{Address, Command, LineCommand, format_as_typed};
use dialtone_core::history::{CallRecord, History};
use dialtone_phone::Network;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

/// What a refused command tells the window: a stable code and a sentence to show.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Serialize, PartialEq)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

impl CommandError {
    pub(crate) fn new(code: &'static str, message: impl ToString) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }
}

pub type Answer<T> = Result<T, CommandError>;

pub(crate) fn not_ready(message: String) -> CommandError {
    CommandError::new("LINE_NOT_READY", message)
}

/// What the window shows about the build.
#[tauri::command]
pub fn app_info() -> dialtone_core::AppInfo {
    dialtone_core::app_info()
}

/// What the app's process holds (memory, descriptors, threads, tasks): `make soak` reads it
/// before and after many calls. Async, so it runs on the runtime whose tasks it counts.
#[tauri::command]
pub async fn process_figures() -> Answer<dialtone_core::process::ProcessFigures> {
    dialtone_core::process::ProcessFigures::now().map_err(|e| CommandError::new("PROCESS_FIGURES", e))
}

#[tauri::command]
pub fn line_info(phone: State<'_, Phone>) -> LineInfo {
    phone.info()
}

/// Switches the line to an account (`sandbox` for the built-in sandbox).
#[tauri::command]
pub async fn open_line<R: Runtime>(
    app: AppHandle<R>,
    phone: State<'_, Phone>,
    account: Option<String>,
    network: Option<Network>,
    impair: Option<String>,
) -> Answer<LineInfo> {
    // A bad spec changes nothing: the line stays as it is.
    if let Some(spec) = impair {
        phone
            .set_impairment(&spec)
            .map_err(|e| CommandError::new("INVALID_IMPAIRMENT", e))?;
    }
    phone
        .open(&app, account, network.unwrap_or_default())
        .await
        .map_err(|e| CommandError::new("LINE_FAILED", e))
}

/// A named network Settings → Network offers (`--impair` in the CLI).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Serialize)]
pub struct NetworkPreset {
    pub name: &'static str,
    pub loss_pct: f64,
    pub delay_ms: u64,
    pub jitter_ms: u64,
    pub what: &'static str,
}

#[tauri::command]
pub fn network_presets() -> Vec<NetworkPreset> {
    dialtone_core::media::impair::PRESETS
        .iter()
        .map(|p| NetworkPreset {
            name: p.name,
            loss_pct: p.loss_pct,
            delay_ms: p.delay.as_millis() as u64,
            jitter_ms: p.jitter.as_millis() as u64,
            what: p.what,
        })
        .collect()
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Serialize)]
pub struct Accounts {
    /// CAMARA operator accounts.
    pub accounts: Vec<String>,
    pub default: Option<String>,
    /// Alexa accounts.
    pub alexa: Vec<String>,
    /// Lex (AWS) accounts.
    pub lex: Vec<String>,
}

#[tauri::command]
pub fn accounts() -> Answer<Accounts> {
    let book = AccountBook::open_default().map_err(|e| CommandError::new("ACCOUNTS", e))?;
    Ok(Accounts {
        accounts: book.accounts().iter().map(|a| a.name.clone()).collect(),
        default: book.default_name().map(str::to_owned),
        alexa: book.alexa_accounts().iter().map(|a| a.name.clone()).collect(),
        lex: book.lex_accounts().iter().map(|a| a.name.clone()).collect(),
    })
}

/// The number field as typed: how to show it, and whether it can be dialled.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Serialize, PartialEq)]
pub struct NumberCheck {
    pub formatted: String,
    pub e164: Option<String>,
    pub error: Option<String>,
}

#[tauri::command]
pub fn check_number(input: String) -> NumberCheck {
    // A scheme being typed (`alexa:`, `tel:`) is left as it is; numbers are formatted.
    let scheme = input.trim_start().starts_with(|c: char| c.is_ascii_alphabetic());
    let formatted = if scheme {
        input.trim_start().to_owned()
    } else {
        format_as_typed(&input)
    };
    // The field shows the formatted number: what is said is about that, with what the
    // formatting left out, in one message.
    let left_out: String = if scheme {
        String::new()
    } else {
        input
            .chars()
            .filter(|c| !c.is_ascii_digit() && !"+ -().".contains(*c))
            .collect()
    };
    let parsed = Address::parse(if scheme { &input } else { &formatted });
    let (e164, error) = match parsed {
        Ok(n) => (Some(n.to_string()), None),
        Err(_) if formatted.is_empty() && !left_out.is_empty() => (
            None,
            Some(format!(
                "'{left_out}' is not part of a phone number: type digits, + first"
            )),
        ),
        Err(e) if !left_out.is_empty() => (
            None,
            Some(format!(
                "'{left_out}' was left out (a phone number is digits); {e}"
            )),
        ),
        Err(e) => (None, Some(e.to_string())),
    };
    NumberCheck {
        formatted,
        e164,
        error,
    }
}

/// Dials `number` (as typed, or a `tel:`/`callto:` URI); the E.164 form it dials.
#[tauri::command]
pub async fn dial<R: Runtime>(app: AppHandle<R>, phone: State<'_, Phone>, number: String) -> Answer<String> {
    phone.dial(&app, &number).await
}

async fn send(phone: &Phone, c: Command) -> Answer<()> {
    let call = phone.call().await.map_err(not_ready)?;
    call.command(c).await.map_err(|e| CommandError::new(e.code(), e))
}

#[tauri::command]
pub async fn answer(phone: State<'_, Phone>) -> Answer<()> {
    send(&phone, Command::Answer).await
}

#[tauri::command]
pub async fn decline(phone: State<'_, Phone>) -> Answer<()> {
    send(&phone, Command::Decline).await
}

#[tauri::command]
pub async fn hangup(phone: State<'_, Phone>) -> Answer<()> {
    send(&phone, Command::Hangup).await
}

#[tauri::command]
pub async fn hold(phone: State<'_, Phone>) -> Answer<()> {
    send(&phone, Command::Hold).await
}

#[tauri::command]
pub async fn resume(phone: State<'_, Phone>) -> Answer<()> {
    send(&phone, Command::Resume).await
}

#[tauri::command]
pub async fn mute(phone: State<'_, Phone>, muted: bool) -> Answer<()> {
    send(&phone, Command::Mute(muted)).await
}

#[tauri::command]
pub async fn dtmf(phone: State<'_, Phone>, digits: String) -> Answer<()> {
    send(&phone, Command::Dtmf(digits)).await
}

/// What the call list's buttons ask of one call (or, for `split`, of the line).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallAction {
    Answer,
    Decline,
    Hangup,
    Hold,
    /// With another call up, a swap.
    Resume,
    Merge,
    Split,
}

/// One call's action from the call list; the call it concerns.
#[tauri::command]
pub async fn call_action(phone: State<'_, Phone>, call: u32, action: CallAction) -> Answer<Option<u32>> {
    let handle = phone.call().await.map_err(not_ready)?;
    let c = match action {
        CallAction::Answer => LineCommand::Answer(call),
        CallAction::Decline => LineCommand::Decline(call),
        CallAction::Hangup => LineCommand::Hangup(call),
        CallAction::Hold => LineCommand::Hold(call),
        CallAction::Resume => LineCommand::Resume(call),
        CallAction::Merge => LineCommand::Merge(call),
        CallAction::Split => LineCommand::Split,
    };
    handle.line(c).await.map_err(|e| CommandError::new(e.code(), e))
}

/// Typed text for the bot on a Lex call.
#[tauri::command]
pub async fn send_text(phone: State<'_, Phone>, text: String) -> Answer<()> {
    send(&phone, Command::Text(text)).await
}

/// The current call state as a `state` event (with what may be done now), for a window
/// that (re)loads mid-call or whose line just opened.
#[tauri::command]
pub async fn call_state(phone: State<'_, Phone>) -> Answer<dialtone_core::call::CallEvent> {
    phone.state_event().await.map_err(not_ready)
}

/// Has the built-in sandbox call us (the incoming-call demo).
#[tauri::command]
pub async fn call_me(phone: State<'_, Phone>) -> Answer<()> {
    phone.call_me().await.map_err(|e| CommandError::new("CALL_ME", e))
}

/// One sandbox number and what it does.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Serialize)]
pub struct DirectoryEntry {
    pub number: String,
    pub description: &'static str,
}

/// The sandbox's numbers, its Alexa devices on Alexa, or its demo bot on Lex; empty when
/// the line is an account.
#[tauri::command]
pub fn directory(phone: State<'_, Phone>) -> Vec<DirectoryEntry> {
    let info = phone.info();
    if !info.source.is_some_and(|s| s.is_sandbox()) {
        return Vec::new();
    }
    info.network
        .directory()
        .into_iter()
        .map(|e| DirectoryEntry {
            number: e.address,
            description: e.description,
        })
        .collect()
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Serialize)]
pub struct HistoryRow {
    #[serde(flatten)]
    pub record: CallRecord,
    /// The number as its country writes it.
    pub pretty: String,
}

#[tauri::command]
pub async fn history(limit: Option<usize>) -> Answer<Vec<HistoryRow>> {
    let limit = limit.unwrap_or(50).min(500);
    let rows = tauri::async_runtime::spawn_blocking(move || History::open_default()?.recent(limit))
        .await
        .map_err(|e| CommandError::new("HISTORY", e))?
        .map_err(|e| CommandError::new("HISTORY", e))?;
    Ok(rows
        .into_iter()
        .map(|mut record| {
            // A report pruned (the newest 50 are kept) or a recording moved away is not
            // offered.
            let kept = |p: &Option<String>| p.as_ref().is_some_and(|p| std::path::Path::new(p).is_file());
            if !kept(&record.report) {
                record.report = None;
            }
            if !kept(&record.recording) {
                record.recording = None;
            }
            HistoryRow {
                pretty: Address::parse(&record.number).map_or_else(|_| record.number.clone(), |n| n.pretty()),
                record,
            }
        })
        .collect())
}

/// Saves a copy of the report of history row `id` into `to` (a folder; the Downloads
/// folder when not given); the copy's path.
#[tauri::command]
pub async fn export_report(id: i64, to: Option<String>) -> Answer<String> {
    let history = |e: dialtone_core::history::HistoryError| CommandError::new("HISTORY", e);
    let row = tauri::async_runtime::spawn_blocking(move || History::open_default()?.get(id))
        .await
        .map_err(|e| CommandError::new("HISTORY", e))?
        .map_err(history)?
        .ok_or_else(|| CommandError::new("NO_SUCH_CALL", format!("there is no call {id} in the history")))?;
    let report = row.report.ok_or_else(|| {
        CommandError::new(
            "NO_REPORT",
            "this call has no report (calls made before reports were kept, or from the CLI, have none)",
        )
    })?;
    let to = match to {
        Some(dir) => std::path::PathBuf::from(dir),
        None => {
            dialtone_phone::call_files::export_dir().map_err(|e| CommandError::new("EXPORT_FAILED", e))?
        }
    };
    tauri::async_runtime::spawn_blocking(move || {
        dialtone_phone::call_files::export_report(std::path::Path::new(&report), &to)
    })
    .await
    .map_err(|e| CommandError::new("EXPORT_FAILED", e))?
    .map(|p| p.display().to_string())
    .map_err(|e| CommandError::new("EXPORT_FAILED", e))
}

/// Checks everything a demo needs on a line of its own (the sandbox's echo, or
/// `number`): each phase's time, pass or fail, and what to do about a failure.
#[tauri::command]
pub async fn preflight(
    phone: State<'_, Phone>,
    number: Option<String>,
) -> Answer<dialtone_phone::preflight::Preflight> {
    phone.preflight(number).await
}

/// Starts (`on`) or stops recording the call that is up, into the data directory; the
/// recording's path.
#[tauri::command]
pub async fn record(phone: State<'_, Phone>, on: bool) -> Answer<Option<String>> {
    Ok(phone.record(on).await?.map(|p| p.display().to_string()))
}

#[tauri::command]
pub async fn clear_history() -> Answer<()> {
    tauri::async_runtime::spawn_blocking(|| History::open_default()?.clear())
        .await
        .map_err(|e| CommandError::new("HISTORY", e))?
        .map_err(|e| CommandError::new("HISTORY", e))
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Serialize)]
pub struct Devices {
    pub inputs: Vec<DeviceInfo>,
    pub outputs: Vec<DeviceInfo>,
    /// The remembered choice (`None`: the OS default).
    pub input: Option<String>,
    pub output: Option<String>,
    pub voice: VoiceSettings,
    /// The remembered codec order (`opus,pcmu`), `None` for the default.
    pub codecs: Option<String>,
    /// Why there is no list (no sound server), if so.
    pub error: Option<String>,
}

#[tauri::command]
pub async fn devices() -> Devices {
    let prefs = DevicePrefs::load();
    let listed = tauri::async_runtime::spawn_blocking(|| {
        Ok::<_, dialtone_core::audio::AudioError>((
            dialtone_core::audio::list_devices(DeviceKind::Input)?,
            dialtone_core::audio::list_devices(DeviceKind::Output)?,
        ))
    })
    .await;
    let (inputs, outputs, error) = match listed {
        Ok(Ok((i, o))) => (i, o, None),
        Ok(Err(e)) => (Vec::new(), Vec::new(), Some(e.to_string())),
        Err(e) => (Vec::new(), Vec::new(), Some(e.to_string())),
    };
    Devices {
        inputs,
        outputs,
        input: prefs.input,
        output: prefs.output,
        voice: prefs.voice,
        codecs: prefs.codecs,
        error,
    }
}

/// Chooses the devices (from the next call), voice processing (at once) and the codec
/// order (when the line is next opened: the window reopens it), and remembers them.
#[tauri::command]
pub async fn set_audio(
    phone: State<'_, Phone>,
    input: Option<String>,
    output: Option<String>,
    voice: VoiceSettings,
    codecs: Option<String>,
) -> Answer<()> {
    let (input, output) = (input.filter(|s| !s.is_empty()), output.filter(|s| !s.is_empty()));
    let codecs = codecs.filter(|s| !s.trim().is_empty());
    if let Some(list) = &codecs
        && let Some(Err(e)) = dialtone_core::audio::parse_codecs(list)
            .into_iter()
            .find(Result::is_err)
    {
        return Err(CommandError::new("SETTINGS", e.to_string()));
    }
    let prefs = DevicePrefs {
        input: input.clone(),
        output: output.clone(),
        voice,
        codecs,
    };
    phone
        .with_line(|line| {
            if let Some(d) = &line.devices {
                d.choose(input, output);
                d.voice().set(voice);
            }
        })
        .await
        .map_err(not_ready)?;
    prefs.save().map_err(|e| {
        CommandError::new(
            "SETTINGS",
            format!("the audio settings apply now but could not be remembered: {e}"),
        )
    })
}
