//! `dialtone`: scripted calls for headless QA, with JSON-lines events.
//!
//! With no operator configured it starts the sandbox network in-process (the embedded
//! default), so `dialtone call +15550100` works on a fresh machine.

mod accounts;
mod alexa;
mod history;
mod line;
mod output;
mod report;
mod script;
mod steps;
mod verify;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use dialtone_core::call::{Address, CallEvent, CallState, Command};
use output::Reporter;
use script::Step;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "dialtone",
    version,
    about = "A softphone for real WebRTC calls, from the command line."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// Log details to stderr (also RUST_LOG=debug).
    #[arg(long, short, global = true)]
    verbose: bool,
}

#[derive(Args, Debug, Clone)]
struct CallArgs {
    /// Steps to run once the call is up, such as "wait 2s; hold; wait 2s; resume; dtmf 12#; hangup".
    /// A script that does not hang up hangs up when it runs out.
    #[arg(long)]
    script: Option<String>,
    /// One JSON object per line on stdout.
    #[arg(long)]
    json: bool,
    /// Where the call's audio goes: `devices` (microphone and speaker; the default when a
    /// sound server runs) or `tone` (a 1 kHz test tone, nothing played; or the WAV files).
    #[arg(long, value_enum)]
    audio: Option<AudioMode>,
    /// Microphone by name (`dialtone devices`); remembered for later calls.
    #[arg(long, value_name = "NAME")]
    input_device: Option<String>,
    /// Speaker by name; remembered for later calls.
    #[arg(long, value_name = "NAME")]
    output_device: Option<String>,
    /// Voice processing on the microphone with devices: `on`, `off`, or a list of
    /// `aec` (echo cancellation), `ns` (noise suppression), `agc` (gain control).
    /// Remembered for later calls; on by default.
    #[arg(long, value_name = "on|off|aec,ns,agc")]
    voice_processing: Option<dialtone_core::audio::VoiceSettings>,
    /// WAV file to send as the microphone (default: a 1 kHz test tone).
    #[arg(long, value_name = "FILE")]
    audio_in: Option<PathBuf>,
    /// WAV file to record what the far end sends (48 kHz, whatever the codec).
    #[arg(long, value_name = "FILE")]
    audio_out: Option<PathBuf>,
    /// Codecs in order of preference, such as `opus,pcmu,pcma`; one name allows only that
    /// codec.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_codec)]
    codec: Option<Vec<dialtone_core::media::CodecName>>,
    /// Impair every media packet (STUN, DTLS, RTP, RTCP; both ways; never the signaling):
    /// a named network (4g, 3g, edge, satellite, high-jitter, lossy, very-lossy), or
    /// "loss=5%,delay=20ms,jitter=30ms,seed=7", or both ("3g,seed=7"). Also: drop=dtls:2 (the 2nd DTLS
    /// datagram; dtls-out:1, stun-in:3, ...), blackout=3s+5s (everything, from 3 s for 5 s),
    /// only=rtp+rtcp (random loss and delay on those classes only).
    #[arg(long, value_name = "SPEC")]
    impair: Option<dialtone_core::media::impair::Impairment>,
    /// End the call (reason MediaTimeout) when no audio arrives for this long while the
    /// far end should be sending, such as 30s (the default).
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    media_timeout: Option<Duration>,
    /// Use a sandbox already running at this URL (from `dialtone sandbox`) instead of an
    /// embedded one.
    #[arg(long, value_name = "URL", conflicts_with = "account")]
    sandbox: Option<String>,
    /// The CAMARA version of the sandbox: the embedded one speaks it (default wip); one
    /// at --sandbox is found to speak one unless given (r2.2, wip or next).
    #[arg(long, value_name = "VERSION", value_parser = accounts::parse_dialect, conflicts_with = "account")]
    camara: Option<dialtone_core::signaling::camara::Dialect>,
    /// The name an Alexa device shows for us when we call it (InitiateInboundCall's
    /// customParams.callerName). Default: the account's, or none.
    #[arg(long, value_name = "NAME")]
    caller_name: Option<String>,
    /// The operator account to use (`dialtone accounts list`); `sandbox` means the
    /// built-in sandbox. Default: the default account, or the sandbox when there is none.
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// The network: `camara` (phone numbers), `alexa` (Alexa devices) or `lex` (bots).
    /// Default: what the address calls for (`alexa:<name>` is Alexa, `lex:<botId>` Lex),
    /// CAMARA for `listen`.
    #[arg(long, value_enum)]
    network: Option<NetworkArg>,
    /// Bot calls: `audio` (speech, keys and text) or `text` (typed text only).
    #[arg(long, value_enum, default_value = "audio")]
    lex_mode: LexModeArg,
    /// Bot calls: a welcome message the bot says first.
    #[arg(long, value_name = "TEXT")]
    lex_welcome: Option<String>,
    /// Bot calls: Lex does not wait for the client to play its prompts.
    #[arg(long)]
    lex_disable_playback: bool,
    /// Write a call report when the call ends: one self-contained HTML page (a timeline
    /// plot with holds shaded, verdicts on each hold and resume, the signaling transcript
    /// and every SDP), or its JSON twin for a path ending in .json.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Record the call to a stereo WAV (48 kHz): left what we sent, right what we heard,
    /// on one clock through holds. Script steps 'record stop' and 'record start' pause it.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
}

type Prepared = (Option<report::Report>, report::Watch);

impl CallArgs {
    /// What a run needs before it dials: the report's file, the watch on the call (and
    /// its recording), `out` feeding it levels; refused (exit 2) when a file cannot be
    /// written or a script records without `--record`. A script that changes the network
    /// mid-call gets the impairment layer from the start (clean unless `--impair` says).
    fn prepare(
        &mut self,
        out: &mut Reporter,
        steps: Option<&[Step]>,
    ) -> Result<Prepared, (&'static str, String)> {
        if self.record.is_none() && steps.is_some_and(|s| s.iter().any(Step::records)) {
            return Err((
                "INVALID_SCRIPT",
                "'record start' and 'record stop' need --record FILE".into(),
            ));
        }
        let report = report::Report::open(self.report.as_deref()).map_err(|e| ("INVALID_REPORT", e))?;
        let watch = report::Watch::new(out, self.record.as_deref()).map_err(|e| ("INVALID_RECORDING", e))?;
        out.set_report(Some(watch.collector()));
        if self.impair.is_none() && steps.is_some_and(|s| s.iter().any(Step::impairs)) {
            self.impair = Some(Default::default());
        }
        Ok((report, watch))
    }
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum NetworkArg {
    Camara,
    Alexa,
    Lex,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum LexModeArg {
    Audio,
    Text,
}

impl From<LexModeArg> for dialtone_core::signaling::lex::Mode {
    fn from(m: LexModeArg) -> Self {
        match m {
            LexModeArg::Audio => Self::Audio,
            LexModeArg::Text => Self::Text,
        }
    }
}

impl From<NetworkArg> for dialtone_phone::Network {
    fn from(n: NetworkArg) -> Self {
        match n {
            NetworkArg::Camara => dialtone_phone::Network::Camara,
            NetworkArg::Alexa => dialtone_phone::Network::Alexa,
            NetworkArg::Lex => dialtone_phone::Network::Lex,
        }
    }
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum AudioMode {
    Devices,
    Tone,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Place a call and run a script on it.
    Call {
        /// The number to call, in international format (+15550100), a tel: URI, an Alexa
        /// device as alexa:<name> (the sandbox has alexa:kitchen), or a Lex bot as
        /// lex:<botId>[/<aliasId>/<localeId>] (the sandbox has lex:DEMOBOT001).
        number: String,
        #[command(flatten)]
        args: CallArgs,
        /// Place an emergency call (CAMARA callType EMERGENCY).
        #[arg(long)]
        emergency: bool,
        /// Caller location as PIDF-LO shaped JSON (CAMARA locationDetails).
        #[arg(long, value_name = "JSON")]
        location: Option<String>,
    },
    /// The standard hold check: calls NUMBER, then holds and resumes it again and again,
    /// checking each way with distinct tones (we send 1000 Hz; the far end must send
    /// another, as the sandbox's +15550101 does), and prints one JSON verdict. Exit 0 when
    /// every check passed, 1 when one failed.
    VerifyHold {
        /// The number to call (default: the sandbox's tone far end).
        #[arg(default_value = "+15550101")]
        number: String,
        /// How many hold/resume cycles.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
        cycles: u32,
        /// How long each hold lasts.
        #[arg(long, value_name = "TIME", default_value = "1s", value_parser = parse_duration)]
        hold_for: Duration,
        #[command(flatten)]
        args: CallArgs,
    },
    /// Register and wait for incoming calls.
    Listen {
        #[command(flatten)]
        args: CallArgs,
        /// Answer incoming calls at once.
        #[arg(long, conflicts_with = "decline")]
        auto_answer: bool,
        /// Decline incoming calls at once.
        #[arg(long)]
        decline: bool,
        /// Exit after this many calls.
        #[arg(long, value_name = "N")]
        calls: Option<u32>,
        /// With the embedded sandbox: have it call you after this long (such as 5s).
        #[arg(long, value_name = "DURATION")]
        call_me_after: Option<String>,
    },
    /// Run the sandbox network on its own, for other clients and for demos.
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:7300")]
        listen: SocketAddr,
        /// Call the newest registered client after this long (such as 5s).
        #[arg(long, value_name = "DURATION")]
        call_me_after: Option<String>,
        /// The CAMARA version it speaks: r2.2 (the published release), wip or next.
        #[arg(long, value_name = "VERSION", value_parser = accounts::parse_dialect, default_value = "wip")]
        camara: dialtone_core::signaling::camara::Dialect,
    },
    /// List the sandbox's numbers and what each does.
    Numbers,
    /// The calls placed and taken, latest first.
    History {
        #[arg(long)]
        json: bool,
        /// How many calls to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Forget every call.
        #[arg(long)]
        clear: bool,
    },
    /// List the sound devices (the default first in each direction).
    Devices {
        #[arg(long)]
        json: bool,
    },
    /// Alexa: StartCommunicationSession.
    Alexa {
        #[command(subcommand)]
        cmd: alexa::AlexaCmd,
    },
    /// Operator accounts: settings in the config directory, secrets in the OS keyring.
    Accounts {
        #[command(subcommand)]
        cmd: accounts::AccountsCmd,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let reporting = match &cli.command {
        Cmd::Call { args, .. } | Cmd::Listen { args, .. } | Cmd::VerifyHold { args, .. } => {
            args.report.is_some()
        }
        _ => false,
    };
    init_logging(cli.verbose, reporting);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dialtone: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        match run(cli.command).await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("dialtone: {e:#}");
                ExitCode::from(1)
            }
        }
    })
}

/// Logs to stderr as asked; with a report, the transcript's tap listens beside them (each
/// with its own filter, so a quiet log still fills the report).
fn init_logging(verbose: bool, reporting: bool) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // The PulseAudio client logs a normal disconnect at exit as an error.
    let default = if verbose {
        "info,dialtone=debug,pulseaudio=warn"
    } else {
        "error,pulseaudio=off"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter);
    let tap = reporting.then(|| report::tap().layer(dialtone_core::net::wire::TARGET));
    let _ = tracing_subscriber::registry().with(log).with(tap).try_init();
}

async fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::Call {
            number,
            args,
            emergency,
            location,
        } => call(number, args, emergency, location).await,
        Cmd::VerifyHold {
            number,
            cycles,
            hold_for,
            args,
        } => verify_hold(number, cycles, hold_for, args).await,
        Cmd::Listen {
            args,
            auto_answer,
            decline,
            calls,
            call_me_after,
        } => listen(args, auto_answer, decline, calls, call_me_after).await,
        Cmd::Sandbox {
            listen,
            call_me_after,
            camara,
        } => sandbox(listen, call_me_after, camara).await,
        Cmd::Accounts { cmd } => accounts::run(cmd).await,
        Cmd::Alexa { cmd } => alexa::run(cmd).await,
        Cmd::Devices { json } => devices(json),
        Cmd::History { json, limit, clear } => history::list(json, limit, clear),
        Cmd::Numbers => {
            for e in dialtone_sandbox::far_end::DIRECTORY {
                println!("{}  {}", e.number, e.description);
            }
            println!("{}", dialtone_sandbox::far_end::CLIENT_NUMBERS);
            for d in dialtone_sandbox::alexa::device::DEVICES {
                println!("alexa:{}  {}", d.name, d.description);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn devices(json: bool) -> anyhow::Result<ExitCode> {
    use dialtone_core::audio::{DeviceKind, list_devices};
    let prefs = dialtone_core::audio::DevicePrefs::load();
    for kind in [DeviceKind::Input, DeviceKind::Output] {
        let list = list_devices(kind)?;
        let chosen = match kind {
            DeviceKind::Input => prefs.input.as_deref(),
            DeviceKind::Output => prefs.output.as_deref(),
        };
        for d in list {
            if json {
                let mut v = serde_json::to_value(&d).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("chosen".into(), (chosen == Some(d.name.as_str())).into());
                }
                println!("{v}");
            } else {
                let mark = if chosen == Some(d.name.as_str()) {
                    "chosen"
                } else if d.is_default {
                    "default"
                } else {
                    ""
                };
                println!(
                    "{kind:6} {:7} {}  ({} Hz, {} ch, {})",
                    mark, d.name, d.sample_rate, d.channels, d.sample_format
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses bad input before anything is sent.
fn usage_error(out: &Reporter, code: &str, message: String) -> anyhow::Result<ExitCode> {
    out.error(code, &message);
    Ok(ExitCode::from(2))
}

async fn call(
    number: String,
    mut args: CallArgs,
    emergency: bool,
    location: Option<String>,
) -> anyhow::Result<ExitCode> {
    let mut out = Reporter::new(args.json);
    let number = match Address::parse(&number) {
        Ok(n) => n,
        Err(e) => return usage_error(&out, "INVALID_NUMBER", e.to_string()),
    };
    let steps = match args.script.as_deref().map(script::parse).transpose() {
        Ok(s) => s,
        Err(e) => return usage_error(&out, "INVALID_SCRIPT", e.to_string()),
    };
    let location = match location
        .map(|l| serde_json::from_str::<serde_json::Value>(&l))
        .transpose()
    {
        Ok(l) => l,
        Err(e) => return usage_error(&out, "INVALID_LOCATION", format!("--location is not JSON: {e}")),
    };
    let (report, mut watch) = match args.prepare(&mut out, steps.as_deref()) {
        Ok(r) => r,
        Err((code, e)) => return usage_error(&out, code, e),
    };
    let network = args
        .network
        .map_or_else(|| dialtone_phone::Network::for_address(&number), Into::into);
    let line = line::open(&args, &out, network).await?;
    line.set_call_options(emergency, location);
    watch.follow(&line);
    let facts = report::facts(&line, &args, &number.to_string(), true);
    let printer = out.follow(line.call.subscribe_line());
    let recorder = history::record(
        dialtone_core::history::Tracker::outgoing(&number.to_string()),
        line.call.subscribe_line(),
        out.clone(),
        true,
    );
    let meters = out.follow_audio(line.audio.clone());
    line.call
        .command(Command::Dial(number))
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let outcome = run_call(&line, &out, steps.as_deref(), true, &watch).await;
    line.close().await;
    meters.abort();
    printer.finish().await;
    // The Ended event is already out; saving it is a moment's work.
    let _ = tokio::time::timeout(Duration::from_secs(5), recorder.finish()).await;
    let outcome = report::write(report, watch, facts, &out, outcome);
    finish(&out, outcome)
}

async fn verify_hold(
    number: String,
    cycles: u32,
    hold_for: Duration,
    mut args: CallArgs,
) -> anyhow::Result<ExitCode> {
    let mut out = Reporter::new(args.json);
    let address = match Address::parse(&number) {
        Ok(n) => n,
        Err(e) => return usage_error(&out, "INVALID_NUMBER", e.to_string()),
    };
    if args.script.is_some() || args.audio.is_some() || args.audio_in.is_some() {
        return usage_error(
            &out,
            "INVALID_ARGUMENT",
            "verify-hold runs its own steps with its own tones: leave out --script, --audio and --audio-in"
                .into(),
        );
    }
    let (report, mut watch) = match args.prepare(&mut out, None) {
        Ok(r) => r,
        Err((code, e)) => return usage_error(&out, code, e),
    };
    let network = args
        .network
        .map_or_else(|| dialtone_phone::Network::for_address(&address), Into::into);
    let (audio, ears) = verify::audio();
    let line = line::open_with(&args, &out, network, Some(audio)).await?;
    watch.follow(&line);
    let facts = report::facts(&line, &args, &address.to_string(), true);
    let printer = out.follow(line.call.subscribe_line());
    let meters = out.follow_audio(line.audio.clone());
    line.call
        .command(Command::Dial(address))
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let up = line
        .call
        .wait_state(Duration::from_secs(120), |s| {
            *s == CallState::Connected || matches!(s, CallState::Ended(_))
        })
        .await;
    let outcome = match up {
        Some(CallState::Connected) => {
            let verdict = verify::run(&line, &watch.collector(), &ears, &number, cycles, hold_for).await;
            let _ = steps::hang_up_all(&line).await;
            println!("{}", serde_json::to_string(&verdict).unwrap_or_default());
            if verdict.pass {
                Ok(())
            } else {
                Err("the hold check failed: see the verdict's checks".to_owned())
            }
        }
        Some(s) => Err(format!("the call did not connect: {s}")),
        None => Err("the call was not set up in time".to_owned()),
    };
    line.close().await;
    meters.abort();
    printer.finish().await;
    let outcome = report::write(report, watch, facts, &out, outcome);
    finish(&out, outcome)
}

fn finish(out: &Reporter, outcome: Result<(), String>) -> anyhow::Result<ExitCode> {
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(message) => {
            out.error("SCRIPT", &message);
            Ok(ExitCode::from(1))
        }
    }
}

/// Waits for the call to come up, runs the script, and hangs up at its end.
async fn run_call(
    line: &dialtone_phone::Line,
    out: &Reporter,
    steps: Option<&[Step]>,
    outgoing: bool,
    watch: &report::Watch,
) -> Result<(), String> {
    let setup = if outgoing {
        Duration::from_secs(120)
    } else {
        Duration::from_secs(30)
    };
    let state = line
        .call
        .wait_state(setup, |s| {
            *s == CallState::Connected || matches!(s, CallState::Ended(_))
        })
        .await
        .ok_or("the call was not set up in time")?;
    if let CallState::Ended(reason) = state {
        return Err(format!("the call did not connect: {reason}"));
    }
    let Some(steps) = steps else {
        // No script: stay on the call until it ends or Ctrl-C.
        tokio::select! {
            _ = line.call.wait_state(Duration::MAX, |s| matches!(s, CallState::Ended(_))) => {}
            _ = tokio::signal::ctrl_c() => {
                out.note("hanging up (Ctrl-C)");
                steps::hang_up_all(line).await?;
            }
        }
        return Ok(());
    };
    steps::run(line, steps, watch).await
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    script::parse_duration(s.trim())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("'{s}' is not a time such as 30s or 500ms"))
}

fn parse_codec(name: &str) -> Result<dialtone_core::media::CodecName, String> {
    dialtone_core::media::CodecName::parse(name.trim()).map_err(|e| format!("{e}; use opus, pcmu or pcma"))
}

async fn listen(
    mut args: CallArgs,
    auto_answer: bool,
    decline: bool,
    calls: Option<u32>,
    call_me_after: Option<String>,
) -> anyhow::Result<ExitCode> {
    let mut out = Reporter::new(args.json);
    let steps = match args.script.as_deref().map(script::parse).transpose() {
        Ok(s) => s,
        Err(e) => return usage_error(&out, "INVALID_SCRIPT", e.to_string()),
    };
    let (report, mut watch) = match args.prepare(&mut out, steps.as_deref()) {
        Ok(r) => r,
        Err((code, e)) => return usage_error(&out, code, e),
    };
    let call_me_after = match call_me_after
        .as_deref()
        .map(|d| script::parse_duration(d).ok_or(d))
        .transpose()
    {
        Ok(d) => d,
        Err(d) => {
            return usage_error(
                &out,
                "INVALID_DURATION",
                format!("'{d}' is not a duration such as 5s"),
            );
        }
    };
    let network = args.network.map_or_else(Default::default, Into::into);
    let line = line::open(&args, &out, network).await?;
    watch.follow(&line);
    let mut facts = report::facts(&line, &args, "", false);
    let printer = out.follow(line.call.subscribe_line());
    let meters = out.follow_audio(line.audio.clone());
    let _recorder = history::record(
        dialtone_core::history::Tracker::incoming(),
        line.call.subscribe_line(),
        out.clone(),
        false,
    );
    let mut events = line.call.subscribe();
    line.call
        .command(Command::Register)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    line.call
        .wait_state(Duration::from_secs(30), |s| {
            *s == CallState::Idle || matches!(s, CallState::Ended(_))
        })
        .await
        .context("registration took too long")?;
    if let CallState::Ended(reason) = line.call.state() {
        line.close().await;
        printer.finish().await;
        return finish(&out, Err(format!("could not register: {reason}")));
    }
    out.registered(line.own_number().as_deref());
    if let Some(after) = call_me_after {
        line.call_me_after(after)?;
    }
    let mut handled = 0u32;
    let mut outcome = Ok(());
    loop {
        let incoming = tokio::select! {
            e = events.recv() => e,
            _ = tokio::signal::ctrl_c() => break,
        };
        let Ok(CallEvent::Incoming { from }) = incoming else {
            continue;
        };
        if facts.remote.is_empty() {
            facts.remote = from;
        }
        if decline {
            let _ = line.call.command(Command::Decline).await;
        } else if auto_answer {
            let _ = line.call.command(Command::Answer).await;
        } else {
            out.note("incoming call: run with --auto-answer or --decline to take it without a prompt");
            let _ = line.call.command(Command::Decline).await;
        }
        if !decline {
            outcome = run_call(&line, &out, steps.as_deref(), false, &watch).await;
        }
        handled += 1;
        if calls.is_some_and(|n| handled >= n) || outcome.is_err() {
            break;
        }
    }
    line.close().await;
    meters.abort();
    printer.finish().await;
    let outcome = report::write(report, watch, facts, &out, outcome);
    finish(&out, outcome)
}

async fn sandbox(
    listen: SocketAddr,
    call_me_after: Option<String>,
    camara: dialtone_core::signaling::camara::Dialect,
) -> anyhow::Result<ExitCode> {
    let after = match call_me_after
        .as_deref()
        .map(|d| script::parse_duration(d).ok_or(d))
        .transpose()
    {
        Ok(d) => d,
        Err(d) => anyhow::bail!("'{d}' is not a duration such as 5s"),
    };
    let config = dialtone_sandbox::SandboxConfig {
        camara,
        ..Default::default()
    };
    let sandbox = dialtone_sandbox::Sandbox::start(listen, config)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let creds = sandbox.credentials();
    println!("Dialtone sandbox at {} speaking {camara}", sandbox.base_url());
    println!(
        "  CAMARA APIs    {0}{1}, {0}{2}, {0}{3}",
        sandbox.base_url(),
        camara.registration_base(),
        camara.call_handling_base(),
        camara.events_base()
    );
    println!(
        "  token endpoint {} (client id {}, secret {})",
        creds.token_url, creds.client_id, creds.client_secret
    );
    println!("  status         {}/sandbox/v1/status", sandbox.base_url());
    println!(
        "  browser phone  {}/phone (registers as a client you can call)",
        sandbox.base_url()
    );
    println!("Numbers:");
    for e in dialtone_sandbox::far_end::DIRECTORY {
        println!("  {}  {}", e.number, e.description);
    }
    println!("  {}", dialtone_sandbox::far_end::CLIENT_NUMBERS);
    if let Some(after) = after {
        tokio::time::sleep(after).await;
        // Waits for a client to register if none has yet.
        loop {
            match sandbox.call_me(None).await {
                Ok(id) => {
                    println!("calling the newest registered client (session {id})");
                    break;
                }
                Err(e) => {
                    tracing::info!(%e, "nobody to call yet");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    sandbox.stop().await;
    Ok(ExitCode::SUCCESS)
}
