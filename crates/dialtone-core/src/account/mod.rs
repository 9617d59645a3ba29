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
use crate::signaling::camara::{CamaraClient, CamaraConfig, CamaraEndpoints, CamaraProvider, Dialect};
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
    /// The CAMARA version the operator speaks (books written before there was a choice
    /// were wip).
    #[serde(default)]
    pub camara: Dialect,
    /// The number this account registers (CAMARA next with a client-credentials token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// An HTTPS event sink even towards an operator on this machine.
    #[serde(default)]
    pub https_sink: bool,
}

impl Account {
    /// An account whose three APIs live under `api_root` at `camara`'s base paths.
    pub fn new(
        name: &str,
        api_root: &str,
        token_url: &str,
        client_id: &str,
        camara: Dialect,
    ) -> Result<Self, AccountError> {
        let a = Account {
            name: name.to_owned(),
            token_url: token_url.to_owned(),
            client_id: client_id.to_owned(),
            endpoints: CamaraEndpoints::under(api_root, camara),
            device_id: crate::new_device_id(),
            camara,
            phone_number: None,
            https_sink: false,
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
        if let Some(n) = &self.phone_number
            && crate::call::PhoneNumber::parse(n).map(|p| p.as_e164() == n) != Ok(true)
        {
            return Err(AccountError::Invalid(format!(
                "the phone number '{n}' is not in E.164 form (+ and 8 to 15 digits)"
            )));
        }
        Ok(())
    }

    /// A CAMARA provider for this account: the secret comes from the keyring, and
    /// tokens are cached there too. Blocking (keyring): call off the async threads.
    pub fn camara_provider(&self, secrets: &Secrets) -> Result<CamaraProvider, AccountError> {
        let secret = secrets
            .get(&self.name, SecretKind::ClientSecret)?
            .ok_or_else(|| AccountError::NoSecret(self.name.clone()))?;
        let tokens = ClientCredentials::new(
            &self.client_id,
            &secret,
            &self.token_url,
            self.camara.client_scopes(),
        )?
        .cached_in(secrets.clone(), &self.name);
        let client = CamaraClient::new(
            self.endpoints.clone(),
            self.camara,
            Arc::new(tokens),
            Duration::from_secs(10),
        );
        let mut config = CamaraConfig::new(self.device_id.clone());
        config.phone_number = self.phone_number.clone();
        config.https_sink = self.https_sink;
        Ok(CamaraProvider::new(client, config))
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
            Dialect::R2_2,
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
            let e = Account::new(name, root, token, cid, Dialect::Wip)
                .expect_err(name)
                .to_string();
            assert!(e.contains(expect), "{name}: {e}");
        }
    }

    #[test]
    fn a_provider_needs_the_secret_in_the_keyring() {
        let secrets = Secrets::with_store(keyring_core::mock::Store::new().expect("mock"));
        let a = Account::new(
            "op",
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/token",
            "cid",
            Dialect::Next,
        )
        .expect("account");
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
