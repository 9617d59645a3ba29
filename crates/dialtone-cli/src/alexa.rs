//! `dialtone alexa start-session`: StartCommunicationSession, every rule of the API
//! checked here before anything is sent.

use crate::output::Reporter;
use clap::Subcommand;
use dialtone_core::signaling::alexa::session::StartSessionRequest;
use dialtone_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum AlexaCmd {
    /// Have an Alexa device start a call to a phone number (StartCommunicationSession).
    StartSession {
        /// The calling device's endpointId (the sandbox's devices: kitchen, office, bedroom).
        #[arg(long)]
        device: String,
        /// The device's own number, E.164 (+12045551111).
        #[arg(long)]
        from: String,
        /// The number to call, E.164. On the sandbox: a Dialtone client on its skill relay
        /// (`dialtone listen --network alexa` prints its number).
        #[arg(long)]
        to: String,
        /// clientContext.clientSessionId (default: a fresh UUID).
        #[arg(long, value_name = "ID")]
        client_session_id: Option<String>,
        /// The sandbox to send it to (default: a built-in one).
        #[arg(long, value_name = "URL")]
        sandbox: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cmd: AlexaCmd) -> anyhow::Result<ExitCode> {
    let AlexaCmd::StartSession {
        device,
        from,
        to,
        client_session_id,
        sandbox,
        json,
    } = cmd;
    let out = Reporter::new(json);
    let request = StartSessionRequest::from_parts(&device, &from, &to, client_session_id.as_deref());
    if let Err(rule) = request.validate() {
        out.error("INVALID_INPUT", &format!("not sent: {rule}"));
        return Ok(ExitCode::from(2));
    }
    let embedded = match &sandbox {
        Some(_) => None,
        None => Some(Sandbox::start(([127, 0, 0, 1], 0).into(), SandboxConfig::default()).await?),
    };
    let root = sandbox.unwrap_or_else(|| embedded.as_ref().map(Sandbox::base_url).unwrap_or_default());
    let client = SandboxCredentials::at(&root)
        .alexa_client(&root, Duration::from_secs(10))
        .await?;
    let result = client.start_session(&request).await;
    if let Some(s) = embedded {
        s.stop().await;
    }
    match result {
        Ok(session_id) => {
            out.session_started(&session_id, &request.client_context.client_session_id);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            out.error(&e.code(), &e.to_string());
            Ok(ExitCode::from(1))
        }
    }
}
