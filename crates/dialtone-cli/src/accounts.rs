//! `dialtone accounts add|add-alexa|add-lex|sign-in|list|remove`: the account book on disk,
//! secrets and refresh tokens in the keyring.

use anyhow::Context;
use clap::Subcommand;
use dialtone_core::account::{Account, AccountBook, AlexaAccount, LexAccount};
use dialtone_core::auth::{LwaEndpoints, LwaTokens, SecretKind, Secrets};
use dialtone_core::signaling::alexa::AlexaRegion;
use dialtone_core::signaling::camara::{Dialect, detect};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum AccountsCmd {
    /// Add a CAMARA operator account. The client secret is prompted for (or read from
    /// stdin when it is not a terminal) and goes to the OS keyring only.
    Add {
        name: String,
        /// Where the operator serves the three APIs under their base paths
        /// (`/webrtc-registration/v0.3`, ...).
        #[arg(long, value_name = "URL")]
        api_root: String,
        /// The CAMARA version the operator speaks: r2.2 (the published release), wip or
        /// next (the r3.1 candidates). Default: found from the operator (see the README).
        #[arg(long, value_name = "VERSION", value_parser = parse_dialect)]
        camara: Option<Dialect>,
        /// The phone number to register, E.164 (CAMARA next: a client-credentials account
        /// names it).
        #[arg(long, value_name = "NUMBER")]
        phone_number: Option<String>,
        /// An HTTPS event sink even towards an operator on this machine (one that holds
        /// to the specs' https-only sink).
        #[arg(long)]
        https_sink: bool,
        /// OAuth2 token endpoint (client credentials).
        #[arg(long, value_name = "URL")]
        token_url: String,
        #[arg(long, value_name = "ID")]
        client_id: String,
        /// Override one API's base URL (for a mock server that serves a spec at its root).
        #[arg(long, value_name = "URL")]
        registration_url: Option<String>,
        #[arg(long, value_name = "URL")]
        call_handling_url: Option<String>,
        #[arg(long, value_name = "URL")]
        events_url: Option<String>,
        /// Use this account when `call` and `listen` name none (the first account is the default).
        #[arg(long)]
        default: bool,
    },
    /// Add an Alexa account: the skill's Login with Amazon client and its relay. The LWA
    /// client secret is prompted for (or read from stdin) and goes to the OS keyring only.
    /// Then `dialtone accounts sign-in NAME`.
    AddAlexa {
        name: String,
        #[arg(long, value_enum, default_value = "na")]
        region: RegionArg,
        /// The skill's LWA client id.
        #[arg(long, value_name = "ID")]
        client_id: String,
        /// The skill relay that forwards Alexa's SPI events to Dialtone.
        #[arg(long, value_name = "URL")]
        relay: String,
        /// Override the region's Alexa API root (a sandbox: http://127.0.0.1:7300/alexa).
        #[arg(long, value_name = "URL")]
        api_root: Option<String>,
        /// Override the region's Login with Amazon root (a sandbox: http://127.0.0.1:7300/lwa).
        #[arg(long, value_name = "URL")]
        lwa_root: Option<String>,
        /// The name devices show for this account's calls (customParams.callerName).
        #[arg(long, value_name = "NAME")]
        caller_name: Option<String>,
        /// Write CallSignaling requests in the reference's envelope
        /// ({version, context, session, request}) instead of the flat object of Amazon's
        /// sample code.
        #[arg(long)]
        enveloped: bool,
    },
    /// Add an AWS account for Lex bot calls. The secret access key is prompted for (or
    /// read from stdin when it is not a terminal) and goes to the OS keyring only.
    AddLex {
        name: String,
        /// The bots' AWS region, such as us-east-1.
        #[arg(long, value_name = "REGION")]
        region: String,
        #[arg(long, value_name = "ID")]
        access_key_id: String,
        /// Another Lex runtime than the region's (a sandbox: http://127.0.0.1:7300/lex).
        #[arg(long, value_name = "URL")]
        endpoint_url: Option<String>,
    },
    /// Sign an Alexa account in to Amazon in the browser; the refresh token goes to the
    /// OS keyring.
    SignIn {
        name: String,
        /// Print the sign-in URL as a JSON line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the accounts (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an account and its secrets.
    Remove { name: String },
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionArg {
    Na,
    Eu,
}

impl From<RegionArg> for AlexaRegion {
    fn from(r: RegionArg) -> Self {
        match r {
            RegionArg::Na => AlexaRegion::Na,
            RegionArg::Eu => AlexaRegion::Eu,
        }
    }
}

/// How long a sign-in waits for the browser.
const SIGN_IN_WAIT: Duration = Duration::from_secs(300);

/// The keyring, opened off the async threads (D-Bus calls block).
async fn keyring<T: Send + 'static>(
    f: impl FnOnce(&Secrets) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(move || {
        let secrets = Secrets::os()?;
        f(&secrets)
    })
    .await
    .context("the keyring task failed")?
}

/// Stores `secret` for `name`, clearing what an earlier account of that name left.
async fn store_secret(name: &str, secret: String) -> anyhow::Result<()> {
    let key = name.to_owned();
    keyring(move |s| {
        s.forget(&key)?;
        Ok(s.set(&key, SecretKind::ClientSecret, &secret)?)
    })
    .await
}

fn read_secret(name: &str) -> anyhow::Result<String> {
    let secret = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Client secret for '{name}': "))
            .context("cannot read the secret from the terminal")?
    } else {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the secret from stdin")?;
        s
    };
    let secret = secret.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(
        !secret.is_empty(),
        "the client secret is empty; nothing was saved"
    );
    Ok(secret)
}

pub async fn run(cmd: AccountsCmd) -> anyhow::Result<ExitCode> {
    let mut book = AccountBook::open_default()?;
    match cmd {
        AccountsCmd::Add {
            name,
            api_root,
            token_url,
            client_id,
            registration_url,
            call_handling_url,
            events_url,
            default,
            camara,
            phone_number,
            https_sink,
        } => {
            let camara = match camara {
                Some(d) => d,
                None => {
                    let at = registration_url.as_deref().unwrap_or(&api_root);
                    let found = detect::detect(at, Duration::from_secs(5)).await;
                    eprintln!("{}: {}", found.dialect, found.how);
                    found.dialect
                }
            };
            let mut account = Account::new(&name, &api_root, &token_url, &client_id, camara)?;
            account.phone_number = phone_number;
            account.https_sink = https_sink;
            if camara.registration_names_phone_number() && account.phone_number.is_none() {
                eprintln!(
                    "note: {camara} registers a client-credentials account with its number; add --phone-number unless the operator's tokens carry it"
                );
            }
            let e = &mut account.endpoints;
            for (slot, given) in [
                (&mut e.registration, registration_url),
                (&mut e.call_handling, call_handling_url),
                (&mut e.events, events_url),
            ] {
                if let Some(url) = given {
                    *slot = url.trim_end_matches('/').to_owned();
                }
            }
            account.validate()?;
            // Before the keyring: a clash must not overwrite another account's secret.
            anyhow::ensure!(
                !book.has(&name),
                "an account named '{name}' exists already; remove it first"
            );
            // No keyring, no prompt: say so before asking for the secret.
            keyring(|_| Ok(())).await?;
            let secret = read_secret(&name)?;
            // The secret first: a book entry without its secret would be useless.
            store_secret(&name, secret).await?;
            book.add(account, default)?;
            eprintln!(
                "added '{name}' to {} (secret in the OS keyring)",
                book.path().display()
            );
        }
        AccountsCmd::AddAlexa {
            name,
            region,
            client_id,
            relay,
            api_root,
            lwa_root,
            caller_name,
            enveloped,
        } => {
            let mut account = AlexaAccount::new(&name, region.into(), &client_id, &relay)?;
            account.options.caller_name = caller_name.filter(|n| !n.trim().is_empty());
            if enveloped {
                account.options.form = dialtone_core::signaling::alexa::wire::Form::Enveloped;
            }
            if let Some(root) = api_root {
                account.api_root = root.trim_end_matches('/').to_owned();
            }
            if let Some(root) = lwa_root {
                account.lwa = LwaEndpoints::under(&root);
            }
            account.validate()?;
            // Before the keyring: a clash must not overwrite another account's secret.
            anyhow::ensure!(
                !book.has(&name),
                "an account named '{name}' exists already; remove it first"
            );
            keyring(|_| Ok(())).await?;
            let secret = read_secret(&name)?;
            store_secret(&name, secret).await?;
            book.add_alexa(account)?;
            eprintln!(
                "added the Alexa account '{name}' to {}; now `dialtone accounts sign-in {name}`",
                book.path().display()
            );
        }
        AccountsCmd::AddLex {
            name,
            region,
            access_key_id,
            endpoint_url,
        } => {
            let account = LexAccount::new(&name, &region, &access_key_id, endpoint_url.as_deref())?;
            // Before the keyring: a clash must not overwrite another account's secret.
            anyhow::ensure!(
                !book.has(&name),
                "an account named '{name}' exists already; remove it first"
            );
            keyring(|_| Ok(())).await?;
            let secret = read_secret(&name)?;
            store_secret(&name, secret).await?;
            book.add_lex(account)?;
            eprintln!(
                "added the Lex account '{name}' to {}; call a bot with `dialtone call lex:<botId>`",
                book.path().display()
            );
        }
        AccountsCmd::SignIn { name, json } => {
            let account = book
                .pick_alexa(Some(&name))?
                .cloned()
                .with_context(|| format!("'{name}' is not an Alexa account"))?;
            let for_client = account.clone();
            let client = keyring(move |s| Ok(for_client.lwa_client(s)?)).await?;
            let pending = client.begin_sign_in().await?;
            if json {
                println!("{}", serde_json::json!({"event": "sign_in", "url": pending.url}));
            } else {
                println!("Sign in to Amazon in your browser:\n  {}", pending.url);
                open_browser(&pending.url);
            }
            let grant = pending.finish(SIGN_IN_WAIT).await?;
            let secrets = tokio::task::spawn_blocking(Secrets::os).await??;
            LwaTokens::new(client, secrets, &name).store(grant).await?;
            if json {
                println!("{}", serde_json::json!({"event": "signed_in", "account": name}));
            } else {
                println!("signed in; the refresh token is in the OS keyring");
            }
        }
        AccountsCmd::List { json } => {
            let names: Vec<String> = book.accounts().iter().map(|a| a.name.clone()).collect();
            let stored = keyring(move |s| {
                names
                    .iter()
                    .map(|n| Ok(s.get(n, SecretKind::ClientSecret)?.is_some()))
                    .collect::<anyhow::Result<Vec<bool>>>()
            })
            .await
            .unwrap_or_else(|e| {
                eprintln!("dialtone: {e:#}");
                Vec::new()
            });
            for (i, a) in book.accounts().iter().enumerate() {
                let is_default = book.default_name() == Some(a.name.as_str());
                let secret = match stored.get(i) {
                    Some(true) => "in keyring",
                    Some(false) => "missing",
                    None => "unknown",
                };
                if json {
                    let line = serde_json::json!({
                        "name": a.name, "default": is_default, "token_url": a.token_url,
                        "client_id": a.client_id, "endpoints": a.endpoints,
                        "device_id": a.device_id, "secret": secret,
                    });
                    println!("{line}");
                } else {
                    let mark = if is_default { "*" } else { " " };
                    println!(
                        "{mark} {}  {}  client {}  secret {secret}",
                        a.name, a.endpoints.registration, a.client_id
                    );
                }
            }
            let names: Vec<String> = book.alexa_accounts().iter().map(|a| a.name.clone()).collect();
            let signed_in = keyring(move |s| {
                names
                    .iter()
                    .map(|n| Ok(s.get(n, SecretKind::RefreshToken)?.is_some()))
                    .collect::<anyhow::Result<Vec<bool>>>()
            })
            .await
            .unwrap_or_default();
            for (i, a) in book.alexa_accounts().iter().enumerate() {
                let signed = signed_in.get(i).copied();
                if json {
                    let line = serde_json::json!({
                        "name": a.name, "network": "alexa", "region": a.region, "client_id": a.client_id,
                        "api_root": a.api_root, "relay": a.relay, "lwa": a.lwa, "signed_in": signed,
                    });
                    println!("{line}");
                } else {
                    let state = match signed {
                        Some(true) => "signed in",
                        Some(false) => "not signed in",
                        None => "unknown",
                    };
                    println!("  {}  Alexa {:?}  {}  {state}", a.name, a.region, a.api_root);
                }
            }
            for a in book.lex_accounts() {
                if json {
                    let line = serde_json::json!({
                        "name": a.name, "network": "lex", "region": a.region,
                        "access_key_id": a.access_key_id, "endpoint_url": a.endpoint_url,
                    });
                    println!("{line}");
                } else {
                    let at = a.endpoint_url.as_deref().unwrap_or(&a.region);
                    println!("  {}  Lex {at}  key {}", a.name, a.access_key_id);
                }
            }
            if book.accounts().is_empty()
                && book.alexa_accounts().is_empty()
                && book.lex_accounts().is_empty()
                && !json
            {
                println!("no accounts: calls go to the built-in sandbox");
            }
        }
        AccountsCmd::Remove { name } => {
            anyhow::ensure!(
                book.has(&name),
                "there is no account named '{name}'; `dialtone accounts list` shows the accounts"
            );
            // Secrets first: if the keyring is locked, the account stays as it was.
            let key = name.clone();
            keyring(move |s| Ok(s.forget(&key)?)).await?;
            book.remove(&name)?;
            eprintln!("removed '{name}' and its secrets");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens `url` in the desktop's browser, when there is a desktop; the URL is printed anyway.
fn open_browser(url: &str) {
    let desktop = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if !desktop || !std::io::stdout().is_terminal() {
        return;
    }
    if let Err(e) = std::process::Command::new("xdg-open")
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("dialtone: could not open a browser ({e}); open the URL above yourself");
    }
}

/// `r2.2`, `wip` or `next`.
pub fn parse_dialect(s: &str) -> Result<Dialect, String> {
    Dialect::parse(s).ok_or_else(|| format!("'{s}' is not a CAMARA version: use r2.2, wip or next"))
}
