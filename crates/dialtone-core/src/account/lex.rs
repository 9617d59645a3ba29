//! Lex accounts: an AWS region and access key id, and optionally another runtime endpoint.
//! The secret access key lives in the keyring only.

use super::{AccountError, check_name};
use crate::auth::{SecretKind, Secrets};
use crate::signaling::lex::{LexCallOptions, LexClient, LexConfig, client::check_region};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LexAccount {
    pub name: String,
    pub region: String,
    pub access_key_id: String,
    /// Another runtime than AWS's regional one (a VPC endpoint, a sandbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
}

impl LexAccount {
    pub fn new(
        name: &str,
        region: &str,
        access_key_id: &str,
        endpoint_url: Option<&str>,
    ) -> Result<Self, AccountError> {
        let a = Self {
            name: name.to_owned(),
            region: region.to_owned(),
            access_key_id: access_key_id.trim().to_owned(),
            endpoint_url: endpoint_url.map(|u| u.trim_end_matches('/').to_owned()),
        };
        a.validate()?;
        Ok(a)
    }

    pub fn validate(&self) -> Result<(), AccountError> {
        check_name(&self.name)?;
        check_region(&self.region).map_err(|e| AccountError::Invalid(e.to_string()))?;
        let id = &self.access_key_id;
        if !(16..=128).contains(&id.len()) || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(AccountError::Invalid(format!(
                "'{id}' is not an AWS access key id: 16-128 letters and digits, such as AKIAIOSFODNN7EXAMPLE"
            )));
        }
        if let Some(u) = &self.endpoint_url {
            crate::net::check_service_url("the Lex endpoint URL", u).map_err(AccountError::Invalid)?;
        }
        Ok(())
    }

    /// The client for calls made with `options`, with the secret access key from the keyring.
    pub fn client(&self, secrets: &Secrets, options: &LexCallOptions) -> Result<LexClient, AccountError> {
        let secret = secrets
            .get(&self.name, SecretKind::ClientSecret)?
            .ok_or_else(|| AccountError::NoSecret(self.name.clone()))?;
        LexClient::new(
            LexConfig {
                region: self.region.clone(),
                endpoint_url: self.endpoint_url.clone(),
                access_key_id: self.access_key_id.clone(),
                secret_access_key: secret,
                mode: options.mode,
                disable_playback: false,
                welcome: None,
            }
            .with(options),
        )
        .map_err(|e| AccountError::Invalid(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_regions_keys_and_endpoints_are_refused() {
        let key = "AKIAIOSFODNN7EXAMPLE";
        assert!(LexAccount::new("bots", "us-east-1", key, None).is_ok());
        assert!(LexAccount::new("bots", "US East", key, None).is_err());
        assert!(LexAccount::new("bots", "us-east-1", "short", None).is_err());
        assert!(LexAccount::new("bots", "us-east-1", key, Some("http://lex.example.com")).is_err());
        assert!(LexAccount::new("bots", "us-east-1", key, Some("http://127.0.0.1:7300/lex")).is_ok());
        assert!(LexAccount::new("sandbox", "us-east-1", key, None).is_err());
    }

    #[test]
    fn without_its_secret_in_the_keyring_the_account_says_so() {
        let secrets = Secrets::in_memory().expect("memory store");
        let a = LexAccount::new("bots", "us-east-1", "AKIAIOSFODNN7EXAMPLE", None).expect("account");
        assert!(matches!(
            a.client(&secrets, &LexCallOptions::default()),
            Err(AccountError::NoSecret(_))
        ));
        secrets
            .set("bots", SecretKind::ClientSecret, "wJalrXUtnFEMI")
            .expect("store");
        assert!(a.client(&secrets, &LexCallOptions::default()).is_ok());
    }
}
