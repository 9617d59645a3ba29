//! Operator accounts: what Dialtone needs to reach an operator, minus the secrets.
//! The book (`accounts.json` in the user's config directory) holds names, URLs and ids;
//! the client secret and cached tokens live only in the OS keyring (`auth::Secrets`).

mod alexa;
mod book;
mod lex;

pub use alexa::AlexaAccount;
pub use book::AccountBook;
pub use lex::LexAccount;

use crate::auth::{ClientCredentials, SecretError, SecretKind, Secrets, TokenError};
use crate::signaling::camara::wire::scopes;
use crate::signaling::camara::{CamaraClient, CamaraConfig, CamaraEndpoints, CamaraProvider};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The name that always means the embedded sandbox.
pub const SANDBOX: &str = "sandbox";

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("there is no account named '{0}'; `dialtone accounts list` shows the accounts")]
    Unknown(String),
    #[error("an account named '{0}' exists already; remove it first")]
    Exists(String),
    #[error("the account '{0}' has no client secret in the keyring; add the account again to store one")]
    NoSecret(String),
    #[error("cannot read or write the account book {path}: {detail}")]
    Book { path: String, detail: String },
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// A CAMARA operator account.
/// An account name: 1-64 letters, digits, '-', '_' or '.', and not `sandbox`.
pub(crate) fn check_name(name: &str) -> Result<(), AccountError> {
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        return Err(AccountError::Invalid(format!(
            "the account name '{name}' must be 1-64 letters, digits, '-', '_' or '.'"
        )));
    }
    if name == SANDBOX {
        return Err(AccountError::Invalid(
            "'sandbox' is reserved for the built-in sandbox; pick another name".into(),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    /// OAuth2 token endpoint (client credentials).
    pub token_url: String,
    pub client_id: String,
    pub endpoints: CamaraEndpoints,
    /// This installation's `deviceId` with the operator, stable across runs.
    pub device_id: String,
}

impl Account {
    /// An account whose three APIs live under `api_root` at the specs' base paths.
    pub fn new(name: &str, api_root: &str, token_url: &str, client_id: &str) -> Result<Self, AccountError> {
        let a = Account {
            name: name.to_owned(),
            token_url: token_url.to_owned(),
            client_id: client_id.to_owned(),
            endpoints: CamaraEndpoints::under(api_root),
            device_id: crate::new_device_id(),
        };
        a.validate()?;
        Ok(a)
    }

    pub fn validate(&self) -> Result<(), AccountError> {
        check_name(&self.name)?;
        if self.client_id.trim().is_empty() {
            return Err(AccountError::Invalid("the client id is empty".into()));
        }
        let urls = [
            ("the token URL", &self.token_url),
            ("the registration URL", &self.endpoints.registration),
            ("the call-handling URL", &self.endpoints.call_handling),
            ("the events URL", &self.endpoints.events),
        ];
        for (what, url) in urls {
            crate::net::check_service_url(what, url).map_err(AccountError::Invalid)?;
        }
        Ok(())
    }

    /// A CAMARA provider for this account: the secret comes from the keyring, and
    /// tokens are cached there too. Blocking (keyring): call off the async threads.
    pub fn camara_provider(&self, secrets: &Secrets) -> Result<CamaraProvider, AccountError> {
        let secret = secrets
            .get(&self.name, SecretKind::ClientSecret)?
            .ok_or_else(|| AccountError::NoSecret(self.name.clone()))?;
        let tokens = ClientCredentials::new(&self.client_id, &secret, &self.token_url, scopes::all_client())?
            .cached_in(secrets.clone(), &self.name);
        let client = CamaraClient::new(self.endpoints.clone(), Arc::new(tokens), Duration::from_secs(10));
        Ok(CamaraProvider::new(
            client,
            CamaraConfig::new(self.device_id.clone()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_checks_its_name_and_urls() {
        let ok = Account::new(
            "op-1",
            "https://api.example.com",
            "https://auth.example.com/token",
            "cid",
        );
        assert!(ok.is_ok());
        let cases = [
            (
                "",
                "https://a.example.com",
                "https://a.example.com/t",
                "c",
                "must be 1-64",
            ),
            (
                "a b",
                "https://a.example.com",
                "https://a.example.com/t",
                "c",
                "must be 1-64",
            ),
            (
                "sandbox",
                "https://a.example.com",
                "https://a.example.com/t",
                "c",
                "reserved",
            ),
            (
                "op",
                "http://a.example.com",
                "https://a.example.com/t",
                "c",
                "must use https",
            ),
            ("op", "https://a.example.com", "nope", "c", "is not a URL"),
            (
                "op",
                "https://a.example.com",
                "https://a.example.com/t",
                " ",
                "client id",
            ),
        ];
        for (name, root, token, cid, expect) in cases {
            let e = Account::new(name, root, token, cid).expect_err(name).to_string();
            assert!(e.contains(expect), "{name}: {e}");
        }
    }

    #[test]
    fn a_provider_needs_the_secret_in_the_keyring() {
        let secrets = Secrets::with_store(keyring_core::mock::Store::new().expect("mock"));
        let a = Account::new("op", "http://127.0.0.1:9", "http://127.0.0.1:9/token", "cid").expect("account");
        let e = a
            .camara_provider(&secrets)
            .err()
            .expect("no secret yet")
            .to_string();
        assert!(e.contains("no client secret"), "{e}");
        secrets
            .set("op", SecretKind::ClientSecret, "s3cret")
            .expect("set");
        assert!(a.camara_provider(&secrets).is_ok());
    }
}
