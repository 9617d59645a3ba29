//! `dialtone alexa start-session`: StartCommunicationSession, every rule of the API
//! checked here before anything is sent. Two ways in:
//! - as a skill calls it: the `apiAccessToken`, `apiEndpoint` and `deviceId` of the skill
//!   request Alexa sent (`--skill-request FILE`, or `--device-id` with the token in
//!   `ALEXA_API_ACCESS_TOKEN` and `--api-endpoint`);
//! - on the sandbox: a device name and the sandbox's own sign-in.

use crate::output::Reporter;
use anyhow::Context;
use clap::Subcommand;
use dialtone_core::auth::SkillToken;
use dialtone_core::signaling::alexa::AlexaClient;
use dialtone_core::signaling::alexa::session::StartSessionRequest;
use dialtone_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum AlexaCmd {
    /// Have an Alexa device start a call to a phone number (StartCommunicationSession).
    StartSession {
        /// The calling device on the sandbox (kitchen, office, …), or its endpointId.
        #[arg(long, conflicts_with_all = ["device_id", "skill_request"])]
        device: Option<String>,
        /// The skill request Alexa sent the skill, as JSON (a file, or - for stdin): its
        /// context.System gives the apiAccessToken, apiEndpoint and device.deviceId.
        #[arg(long, value_name = "FILE")]
        skill_request: Option<String>,
        /// The endpointId: the skill request's context.System.device.deviceId. The token,
        /// its context.System.apiAccessToken, comes from the environment variable
        /// ALEXA_API_ACCESS_TOKEN (never an argument: the process list shows arguments).
        #[arg(long, value_name = "ID")]
        device_id: Option<String>,
        /// The skill request's context.System.apiEndpoint (default: the sandbox's Alexa).
        #[arg(long, value_name = "URL")]
        api_endpoint: Option<String>,
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

/// Where `--device-id` finds the skill request's apiAccessToken.
const TOKEN_VAR: &str = "ALEXA_API_ACCESS_TOKEN";

/// Where the request goes, and with which token.
struct Skill {
    endpoint_id: String,
    token: Option<String>,
    api_endpoint: Option<String>,
}

/// The skill request's `context.System`, as a skill reads it.
fn from_skill_request(text: &str) -> anyhow::Result<Skill> {
    let v: serde_json::Value = serde_json::from_str(text).context("the skill request is not JSON")?;
    let system = &v["context"]["System"];
    let field = |pointer: &str| {
        system
            .pointer(pointer)
            .and_then(|x| x.as_str())
            .map(str::to_owned)
    };
    Ok(Skill {
        endpoint_id: field("/device/deviceId")
            .context("the skill request has no context.System.device.deviceId")?,
        token: Some(
            field("/apiAccessToken").context("the skill request has no context.System.apiAccessToken")?,
        ),
        api_endpoint: field("/apiEndpoint"),
    })
}

pub async fn run(cmd: AlexaCmd) -> anyhow::Result<ExitCode> {
    let AlexaCmd::StartSession {
        device,
        skill_request,
        device_id,
        api_endpoint,
        from,
        to,
        client_session_id,
        sandbox,
        json,
    } = cmd;
    let out = Reporter::new(json);
    let skill = match (&skill_request, device_id, device) {
        (Some(path), _, _) => {
            let text = if path == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?
            };
            match from_skill_request(&text) {
                Ok(s) => s,
                Err(e) => {
                    out.error("INVALID_INPUT", &format!("not sent: {e:#}"));
                    return Ok(ExitCode::from(2));
                }
            }
        }
        (None, Some(id), _) => match std::env::var(TOKEN_VAR).ok().filter(|t| !t.trim().is_empty()) {
            Some(token) => Skill {
                endpoint_id: id,
                token: Some(token),
                api_endpoint: None,
            },
            None => {
                out.error(
                    "INVALID_INPUT",
                    &format!("not sent: --device-id needs the skill request's apiAccessToken in {TOKEN_VAR}"),
                );
                return Ok(ExitCode::from(2));
            }
        },
        (None, None, Some(name)) => Skill {
            endpoint_id: name,
            token: None,
            api_endpoint: None,
        },
        (None, None, None) => {
            out.error(
                "INVALID_INPUT",
                "not sent: name the calling device: --device (the sandbox), --device-id, or --skill-request",
            );
            return Ok(ExitCode::from(2));
        }
    };
    let api_endpoint = api_endpoint.or(skill.api_endpoint);
    let request =
        StartSessionRequest::from_parts(&skill.endpoint_id, &from, &to, client_session_id.as_deref());
    if let Err(rule) = request.validate() {
        out.error("INVALID_INPUT", &format!("not sent: {rule}"));
        return Ok(ExitCode::from(2));
    }
    let needs_sandbox = skill.token.is_none() || api_endpoint.is_none();
    let embedded = match (&sandbox, needs_sandbox) {
        (None, true) => Some(Sandbox::start(([127, 0, 0, 1], 0).into(), SandboxConfig::default()).await?),
        _ => None,
    };
    let root = sandbox.unwrap_or_else(|| embedded.as_ref().map(Sandbox::base_url).unwrap_or_default());
    let timeout = Duration::from_secs(10);
    let client = match (skill.token, api_endpoint) {
        (Some(token), Some(api)) => AlexaClient::new(&api, Arc::new(SkillToken::new(token)), timeout),
        (Some(token), None) => {
            let api = format!(
                "{}{}",
                root.trim_end_matches('/'),
                dialtone_sandbox::alexa::API_ROOT
            );
            AlexaClient::new(&api, Arc::new(SkillToken::new(token)), timeout)
        }
        (None, _) => SandboxCredentials::at(&root).alexa_client(&root, timeout).await?,
    };
    let result = client.start_session(&request).await;
    if let Some(s) = embedded {
        s.stop().await;
    }
    match result {
        Ok(session_id) => {
            out.session_started(&session_id, request.client_session_id().unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            out.error(&e.code(), &e.to_string());
            Ok(ExitCode::from(1))
        }
    }
}
