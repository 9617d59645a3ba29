//! `dialtone`: scripted calls for headless QA, with JSON-lines events.
//!
//! With no operator configured it starts the sandbox network in-process (the embedded
//! default), so `dialtone call +15550100` works on a fresh machine.

mod accounts;
mod alexa;
mod args;
mod calls;
mod history;
mod line;
mod output;
mod preflight;
mod report;
mod script;
mod steps;
mod verify;

use anyhow::Context;
use args::parse_duration;
pub(crate) use args::{AudioMode, CallArgs};
use calls::{call, listen, verify_hold};
use clap::{Parser, Subcommand};
use output::Reporter;
use std::net::SocketAddr;
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
    /// Before a demo: registers, places a short call (the sandbox's echo by default) and
    /// times each phase (token, registration, subscription, session, ICE, DTLS, first
    /// audio both ways, the audio round trip); pass or fail per check, with what to do.
    /// Exit 0 when all passed, 1 otherwise.
    Preflight {
        /// The number to call (default: the sandbox's echo, which measures the round trip).
        number: Option<String>,
        /// How long the call lasts once connected.
        #[arg(long, value_name = "TIME", default_value = "3s", value_parser = parse_duration)]
        listen_for: Duration,
        #[command(flatten)]
        args: CallArgs,
    },
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
        // Its phases are read from the transcript.
        Cmd::Preflight { .. } => true,
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
        Cmd::Preflight {
            number,
            listen_for,
            args,
        } => preflight::run(number, listen_for, args).await,
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
pub(crate) fn usage_error(out: &Reporter, code: &str, message: String) -> anyhow::Result<ExitCode> {
    out.error(code, &message);
    Ok(ExitCode::from(2))
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
    println!(
        "  control        {0}/sandbox/v1/status, /sandbox/v1/call-me, /sandbox/v1/faults (Authorization: Bearer {1})",
        sandbox.base_url(),
        creds.control_token
    );
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
