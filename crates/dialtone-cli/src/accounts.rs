//! `dialtone accounts add|list|remove`: the account book on disk, secrets in the keyring.

use anyhow::Context;
use clap::Subcommand;
use dialtone_core::account::{Account, AccountBook};
use dialtone_core::auth::{SecretKind, Secrets};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum AccountsCmd {
    /// Add a CAMARA operator account. The client secret is prompted for (or read from
    /// stdin when it is not a terminal) and goes to the OS keyring only.
    Add {
        name: String,
        /// Where the operator serves the three APIs under their base paths
        /// (`/webrtc-registration/vwip`, ...).
        #[arg(long, value_name = "URL")]
        api_root: String,
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
    /// List the accounts (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an account and its secrets.
    Remove { name: String },
}

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
        } => {
            let mut account = Account::new(&name, &api_root, &token_url, &client_id)?;
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
            anyhow::ensure!(
                book.get(&name).is_none(),
                "an account named '{name}' exists already; remove it first"
            );
            // No keyring, no prompt: say so before asking for the secret.
            keyring(|_| Ok(())).await?;
            let secret = read_secret(&name)?;
            let key = name.clone();
            // The secret first: a book entry without its secret would be useless.
            keyring(move |s| {
                s.forget(&key)?;
                Ok(s.set(&key, SecretKind::ClientSecret, &secret)?)
            })
            .await?;
            book.add(account, default)?;
            eprintln!(
                "added '{name}' to {} (secret in the OS keyring)",
                book.path().display()
            );
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
            if book.accounts().is_empty() && !json {
                println!("no accounts: calls go to the built-in sandbox");
            }
        }
        AccountsCmd::Remove { name } => {
            anyhow::ensure!(
                book.get(&name).is_some(),
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
