//! The networks a line opens on, one entry each: which account it picks, what carries its
//! calls on that account or on a sandbox, what the sandbox lists for it and how the
//! sandbox calls in. Adding a network is its module in dialtone-core, its side of the
//! sandbox, and one entry here ([`Network::entry`]).

use crate::line::{LineError, LineOptions, Network};
use dialtone_core::account::{Account, AccountBook, AccountError, AlexaAccount, LexAccount};
use dialtone_core::auth::Secrets;
use dialtone_core::signaling::SignalingProvider;
use dialtone_core::signaling::camara::CamaraConfig;
use dialtone_core::signaling::lex::LexClient;
use dialtone_sandbox::{Sandbox, SandboxCredentials};
use std::sync::Arc;
use std::time::Duration;

/// What carries a line's calls: a signaling provider, or (for bots) a Lex client.
pub enum Calls {
    Signaling(Arc<dyn SignalingProvider>),
    Bots(LexClient),
}

/// An account a line opens on.
pub(crate) trait OpenAccount: Send {
    fn name(&self) -> &str;
    /// Everything on this machine: the far ends are too, so ICE stays on loopback.
    fn all_loopback(&self) -> bool;
    /// Reads the keyring: call it off the async runtime.
    fn calls(&self, secrets: &Secrets, options: &LineOptions) -> Result<Calls, LineError>;
}

/// A sandbox the line's calls go to: its root, and the one running in-process, if so.
pub(crate) struct OnSandbox<'a> {
    pub root: &'a str,
    pub embedded: Option<&'a Sandbox>,
    pub options: &'a LineOptions,
    pub notes: &'a mut Vec<String>,
}

impl OnSandbox<'_> {
    /// The embedded sandbox's own (private) credentials, or the published defaults of a
    /// sandbox started apart (`dialtone sandbox`).
    fn credentials(&self) -> SandboxCredentials {
        self.embedded
            .map_or_else(|| SandboxCredentials::at(self.root), Sandbox::credentials)
    }

    /// The same sandbox for another network's entry.
    pub fn reborrow(&mut self) -> OnSandbox<'_> {
        OnSandbox {
            root: self.root,
            embedded: self.embedded,
            options: self.options,
            notes: self.notes,
        }
    }
}

/// One thing the sandbox offers on a network: a number, device or bot, and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub address: String,
    pub description: &'static str,
}

#[async_trait::async_trait]
pub(crate) trait NetworkEntry: Sync {
    /// The account by name, or the network's default; `None`: there is none.
    fn pick(
        &self,
        book: &AccountBook,
        name: Option<&str>,
    ) -> Result<Option<Box<dyn OpenAccount>>, AccountError>;
    /// What the user is told when the built-in sandbox at `url` stands in for an account.
    fn sandbox_note(&self, url: &str) -> String;
    async fn sandbox_calls(&self, on: OnSandbox<'_>) -> Result<Calls, LineError>;
    /// The sandbox calls the line: its session id.
    async fn call_me(&self, sandbox: &Sandbox) -> Result<String, String>;
    fn directory(&self) -> Vec<DirectoryEntry>;
}

impl Network {
    pub(crate) fn entry(self) -> &'static dyn NetworkEntry {
        match self {
            Network::Camara => &Camara,
            Network::Alexa => &Alexa,
            Network::Lex => &Lex,
        }
    }

    /// What the built-in sandbox offers on this network.
    pub fn directory(self) -> Vec<DirectoryEntry> {
        self.entry().directory()
    }
}

const TIMEOUT: Duration = Duration::from_secs(10);

struct Camara;

impl OpenAccount for Account {
    fn name(&self) -> &str {
        &self.name
    }
    fn all_loopback(&self) -> bool {
        self.endpoints.all_loopback()
    }
    fn calls(&self, secrets: &Secrets, _: &LineOptions) -> Result<Calls, LineError> {
        Ok(Calls::Signaling(Arc::new(self.camara_provider(secrets)?)))
    }
}

#[async_trait::async_trait]
impl NetworkEntry for Camara {
    fn pick(
        &self,
        book: &AccountBook,
        name: Option<&str>,
    ) -> Result<Option<Box<dyn OpenAccount>>, AccountError> {
        Ok(book
            .pick(name)?
            .cloned()
            .map(|a| Box::new(a) as Box<dyn OpenAccount>))
    }
    fn sandbox_note(&self, url: &str) -> String {
        format!("no operator account configured: using the built-in sandbox at {url}")
    }
    async fn sandbox_calls(&self, on: OnSandbox<'_>) -> Result<Calls, LineError> {
        let dialect = match on.embedded {
            Some(s) => Some(s.camara()),
            None => on.options.camara,
        };
        let config = CamaraConfig::new(dialtone_core::new_device_id());
        let (provider, how) = on
            .credentials()
            .camara_provider(on.root, dialect, config, TIMEOUT)
            .await?;
        if let Some(how) = how {
            on.notes.push(format!("the sandbox speaks {how}"));
        }
        Ok(Calls::Signaling(Arc::new(provider)))
    }
    async fn call_me(&self, sandbox: &Sandbox) -> Result<String, String> {
        sandbox.call_me(None).await
    }
    fn directory(&self) -> Vec<DirectoryEntry> {
        dialtone_sandbox::far_end::DIRECTORY
            .iter()
            .map(|e| DirectoryEntry {
                address: e.number.to_owned(),
                description: e.description,
            })
            .collect()
    }
}

struct Alexa;

impl OpenAccount for AlexaAccount {
    fn name(&self) -> &str {
        &self.name
    }
    fn all_loopback(&self) -> bool {
        [&self.api_root, &self.relay]
            .iter()
            .all(|u| dialtone_core::net::is_loopback_url(u))
    }
    fn calls(&self, secrets: &Secrets, options: &LineOptions) -> Result<Calls, LineError> {
        Ok(Calls::Signaling(Arc::new(
            self.provider(secrets, options.caller_name.as_deref())?,
        )))
    }
}

#[async_trait::async_trait]
impl NetworkEntry for Alexa {
    fn pick(
        &self,
        book: &AccountBook,
        name: Option<&str>,
    ) -> Result<Option<Box<dyn OpenAccount>>, AccountError> {
        Ok(book
            .pick_alexa(name)?
            .cloned()
            .map(|a| Box::new(a) as Box<dyn OpenAccount>))
    }
    fn sandbox_note(&self, url: &str) -> String {
        format!("no Alexa account configured: using the built-in sandbox's Alexa at {url}")
    }
    async fn sandbox_calls(&self, on: OnSandbox<'_>) -> Result<Calls, LineError> {
        let options = dialtone_core::signaling::alexa::AlexaOptions {
            caller_name: on.options.caller_name.clone(),
            ..Default::default()
        };
        let provider = on.credentials().alexa_provider(on.root, TIMEOUT, options).await?;
        Ok(Calls::Signaling(Arc::new(provider)))
    }
    async fn call_me(&self, sandbox: &Sandbox) -> Result<String, String> {
        sandbox
            .alexa_call_me(dialtone_sandbox::alexa::device::CALLER)
            .await
    }
    fn directory(&self) -> Vec<DirectoryEntry> {
        dialtone_sandbox::alexa::device::DEVICES
            .iter()
            .map(|d| DirectoryEntry {
                address: format!("{}{}", dialtone_core::call::address::ALEXA_SCHEME, d.name),
                description: d.description,
            })
            .collect()
    }
}

struct Lex;

impl OpenAccount for LexAccount {
    fn name(&self) -> &str {
        &self.name
    }
    fn all_loopback(&self) -> bool {
        false
    }
    fn calls(&self, secrets: &Secrets, options: &LineOptions) -> Result<Calls, LineError> {
        Ok(Calls::Bots(self.client(secrets, &options.lex)?))
    }
}

#[async_trait::async_trait]
impl NetworkEntry for Lex {
    fn pick(
        &self,
        book: &AccountBook,
        name: Option<&str>,
    ) -> Result<Option<Box<dyn OpenAccount>>, AccountError> {
        Ok(book
            .pick_lex(name)?
            .cloned()
            .map(|a| Box::new(a) as Box<dyn OpenAccount>))
    }
    fn sandbox_note(&self, url: &str) -> String {
        format!(
            "no Lex account configured: using the built-in sandbox's demo bot at {url}/lex (lex:{})",
            dialtone_sandbox::lex::demo_bot::BOT_ID
        )
    }
    async fn sandbox_calls(&self, on: OnSandbox<'_>) -> Result<Calls, LineError> {
        let config = on
            .credentials()
            .lex_config(on.root, on.options.lex.mode)
            .with(&on.options.lex);
        LexClient::new(config)
            .map(Calls::Bots)
            .map_err(|e| LineError::Lex(e.to_string()))
    }
    async fn call_me(&self, _: &Sandbox) -> Result<String, String> {
        Err("bots do not call in; call lex:DEMOBOT001 instead".to_owned())
    }
    fn directory(&self) -> Vec<DirectoryEntry> {
        vec![DirectoryEntry {
            address: format!(
                "{}{}",
                dialtone_core::signaling::lex::LEX_SCHEME,
                dialtone_sandbox::lex::demo_bot::BOT_ID
            ),
            description: "Demo hotel bot: spoken greeting, press 1 or type \"book a room\"",
        }]
    }
}
