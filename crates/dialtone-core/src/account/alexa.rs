//! Alexa accounts: the skill's Login with Amazon client, the Alexa region (NA or EU), and
//! the skill relay. The LWA client secret and the refresh token live in the keyring.

use super::{AccountError, check_name};
use crate::auth::{LwaClient, LwaEndpoints, LwaTokens, SecretKind, Secrets};
use crate::signaling::alexa::{
    AlexaClient, AlexaConfig, AlexaOptions, AlexaProvider, AlexaRegion, CALLING_SCOPE,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlexaAccount {
    pub name: String,
    pub region: AlexaRegion,
    /// The skill's LWA client id (`amzn1.application-oa2-client.…`).
    pub client_id: String,
    /// The Alexa API root (the region's unless overridden).
    pub api_root: String,
    /// The skill relay's root URL.
    pub relay: String,
    pub lwa: LwaEndpoints,
    /// The caller name and the form of requests.
    #[serde(default, flatten)]
    pub options: AlexaOptions,
}

impl AlexaAccount {
    /// An account on the region's Alexa and LWA endpoints.
    pub fn new(name: &str, region: AlexaRegion, client_id: &str, relay: &str) -> Result<Self, AccountError> {
        let a = Self {
            name: name.to_owned(),
            region,
            client_id: client_id.to_owned(),
            api_root: region.api_root().to_owned(),
            relay: relay.trim_end_matches('/').to_owned(),
            lwa: LwaEndpoints::amazon(region),
            options: AlexaOptions::default(),
        };
        a.validate()?;
        Ok(a)
    }

    pub fn validate(&self) -> Result<(), AccountError> {
        check_name(&self.name)?;
        if self.client_id.trim().is_empty() {
            return Err(AccountError::Invalid("the LWA client id is empty".into()));
        }
        let urls = [
            ("the Alexa API URL", &self.api_root),
            ("the skill relay URL", &self.relay),
            ("the LWA authorization URL", &self.lwa.authorize_url),
            ("the LWA token URL", &self.lwa.token_url),
        ];
        for (what, url) in urls {
            crate::net::check_service_url(what, url).map_err(AccountError::Invalid)?;
        }
        Ok(())
    }

    pub fn lwa_client(&self, secrets: &Secrets) -> Result<LwaClient, AccountError> {
        let secret = secrets
            .get(&self.name, SecretKind::ClientSecret)?
            .ok_or_else(|| AccountError::NoSecret(self.name.clone()))?;
        Ok(LwaClient::new(
            &self.client_id,
            Some(&secret),
            self.lwa.clone(),
            CALLING_SCOPE,
        )?)
    }

    /// The provider, with access tokens from the refresh token in the keyring.
    /// `caller_name` overrides the account's for these calls.
    pub fn provider(
        &self,
        secrets: &Secrets,
        caller_name: Option<&str>,
    ) -> Result<AlexaProvider, AccountError> {
        let tokens = LwaTokens::new(self.lwa_client(secrets)?, secrets.clone(), &self.name);
        let client = AlexaClient::new(&self.api_root, Arc::new(tokens), Duration::from_secs(10));
        let mut options = self.options.clone();
        if let Some(name) = caller_name {
            options.caller_name = Some(name.to_owned());
        }
        Ok(AlexaProvider::new(
            client,
            AlexaConfig::new(self.relay.clone()).with_options(options),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_picks_alexa_and_lwa_endpoints() {
        let eu = AlexaAccount::new("home", AlexaRegion::Eu, "cid", "https://relay.example.com/").expect("eu");
        assert_eq!(eu.api_root, "https://api.eu.amazonalexa.com");
        assert_eq!(eu.lwa.token_url, "https://api.amazon.co.uk/auth/o2/token");
        assert_eq!(eu.relay, "https://relay.example.com");
        let na = AlexaAccount::new("home", AlexaRegion::Na, "cid", "https://relay.example.com").expect("na");
        assert_eq!(na.api_root, "https://api.amazonalexa.com");
        assert_eq!(na.lwa.authorize_url, "https://www.amazon.com/ap/oa");
        assert_eq!(na.lwa.token_url, "https://api.amazon.com/auth/o2/token");
    }

    #[test]
    fn bad_names_ids_and_urls_are_refused() {
        let relay = "https://relay.example.com";
        assert!(AlexaAccount::new("a b", AlexaRegion::Na, "cid", relay).is_err());
        assert!(AlexaAccount::new("sandbox", AlexaRegion::Na, "cid", relay).is_err());
        assert!(AlexaAccount::new("home", AlexaRegion::Na, " ", relay).is_err());
        let e =
            AlexaAccount::new("home", AlexaRegion::Na, "cid", "http://relay.example.com").expect_err("http");
        assert!(e.to_string().contains("must use https"), "{e}");
        assert!(
            AlexaAccount::new(
                "home",
                AlexaRegion::Na,
                "cid",
                "http://127.0.0.1:7300/alexa/relay"
            )
            .is_ok()
        );
    }
}
