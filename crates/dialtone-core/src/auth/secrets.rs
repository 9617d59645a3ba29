//! Secrets (client secrets, cached tokens) in the OS keyring through keyring-core:
//! the Secret Service on Linux. The boundary is keyring-core's credential store, so
//! unit tests plug in its in-memory mock store and the code under test is the same.

use keyring_core::{CredentialStore, Error as KeyringError};
use std::sync::Arc;

/// The keyring "service" all of Dialtone's entries live under.
pub const SERVICE: &str = "dev.dialtone.app";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "the OS keyring is not available ({0}). On Linux Dialtone needs a Secret Service \
         (gnome-keyring or KeePassXC) on the session D-Bus; start one and unlock it"
    )]
    NoKeyring(String),
    #[error("the OS keyring refused access to '{what}' ({detail}); unlock the keyring and try again")]
    Refused { what: String, detail: String },
}

/// What a secret is for, per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    ClientSecret,
    AccessToken,
    /// An LWA refresh token (Alexa accounts).
    RefreshToken,
}

impl SecretKind {
    fn label(self) -> &'static str {
        match self {
            SecretKind::ClientSecret => "client-secret",
            SecretKind::AccessToken => "access-token",
            SecretKind::RefreshToken => "refresh-token",
        }
    }
}

/// A handle on the keyring. Cheap to clone.
#[derive(Clone)]
pub struct Secrets {
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets").finish_non_exhaustive()
    }
}

fn user(account: &str, kind: SecretKind) -> String {
    format!("{account}/{}", kind.label())
}

impl Secrets {
    /// The OS keyring (Secret Service over D-Bus). Blocking: call off the async threads.
    pub fn os() -> Result<Self, SecretError> {
        let store = zbus_secret_service_keyring_store::Store::new()
            .map_err(|e| SecretError::NoKeyring(e.to_string()))?;
        Ok(Self { store })
    }

    /// Any keyring-core store (the mock store in unit tests).
    pub fn with_store(store: Arc<CredentialStore>) -> Self {
        Self { store }
    }

    /// A store that lives as long as the process: for unit tests, and for the embedded
    /// sandbox's throwaway tokens.
    pub fn in_memory() -> Result<Self, SecretError> {
        let store = keyring_core::mock::Store::new().map_err(|e| SecretError::NoKeyring(e.to_string()))?;
        Ok(Self { store })
    }

    fn entry(&self, account: &str, kind: SecretKind) -> Result<keyring_core::Entry, SecretError> {
        self.store
            .build(SERVICE, &user(account, kind), None)
            .map_err(|e| refused(account, kind, e))
    }

    /// The secret, or `None` when there is none.
    pub fn get(&self, account: &str, kind: SecretKind) -> Result<Option<String>, SecretError> {
        match self.entry(account, kind)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(refused(account, kind, e)),
        }
    }

    pub fn set(&self, account: &str, kind: SecretKind, value: &str) -> Result<(), SecretError> {
        self.entry(account, kind)?
            .set_password(value)
            .map_err(|e| refused(account, kind, e))
    }

    /// Removes the secret; a secret that is not there is not an error.
    pub fn delete(&self, account: &str, kind: SecretKind) -> Result<(), SecretError> {
        match self.entry(account, kind)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(refused(account, kind, e)),
        }
    }

    /// Removes every secret of an account.
    pub fn forget(&self, account: &str) -> Result<(), SecretError> {
        self.delete(account, SecretKind::ClientSecret)?;
        self.delete(account, SecretKind::AccessToken)?;
        self.delete(account, SecretKind::RefreshToken)
    }
}

fn refused(account: &str, kind: SecretKind, e: KeyringError) -> SecretError {
    // keyring errors never carry the secret itself, only what went wrong.
    match e {
        KeyringError::NoStorageAccess(_)
        | KeyringError::PlatformFailure(_)
        | KeyringError::NoDefaultStore => SecretError::NoKeyring(e.to_string()),
        other => SecretError::Refused {
            what: user(account, kind),
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Secrets {
        Secrets::with_store(keyring_core::mock::Store::new().expect("mock store"))
    }

    #[test]
    fn a_secret_round_trips_and_is_forgotten() {
        let s = memory();
        assert_eq!(s.get("op", SecretKind::ClientSecret).expect("get"), None);
        s.set("op", SecretKind::ClientSecret, "hunter2").expect("set");
        s.set("op", SecretKind::AccessToken, "tok").expect("set");
        assert_eq!(
            s.get("op", SecretKind::ClientSecret).expect("get").as_deref(),
            Some("hunter2")
        );
        assert_eq!(s.get("other", SecretKind::ClientSecret).expect("get"), None);
        s.forget("op").expect("forget");
        assert_eq!(s.get("op", SecretKind::ClientSecret).expect("get"), None);
        assert_eq!(s.get("op", SecretKind::AccessToken).expect("get"), None);
        // Forgetting twice is fine.
        s.forget("op").expect("forget again");
    }

    #[test]
    fn a_keyring_failure_is_a_clear_error_that_names_the_entry_not_the_secret() {
        let s = memory();
        s.set("op", SecretKind::ClientSecret, "hunter2").expect("set");
        let entry = s.entry("op", SecretKind::ClientSecret).expect("entry");
        let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().expect("mock cred");
        cred.set_error(KeyringError::Invalid("locked".into(), "collection".into()));
        let err = s.get("op", SecretKind::ClientSecret).expect_err("injected");
        let text = err.to_string();
        assert!(text.contains("op/client-secret"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        // The failure did not lose the secret.
        assert_eq!(
            s.get("op", SecretKind::ClientSecret).expect("get").as_deref(),
            Some("hunter2")
        );
    }
}
