//! Dialtone's core: everything a softphone does that is not a window.
//! It knows nothing of Tauri; the desktop shell and the CLI are thin layers over it.

pub mod account;
pub mod audio;
pub mod auth;
pub mod call;
pub mod files;
pub mod history;
pub mod media;
pub mod net;
pub mod process;
pub mod signaling;

/// Locks a mutex, taking over one a panicking holder poisoned: the values behind these
/// locks stay usable, and stopping the call (or its audio) would cost more.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Facts about this build, for "about" screens and `--version`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AppInfo {
    pub version: &'static str,
    /// Audio codecs in default preference order.
    pub codecs: Vec<String>,
}

pub fn app_info() -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        codecs: media::MediaConfig::default()
            .codecs
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

/// A fresh device id (UUID v4), as CAMARA's `deviceId` wants it.
pub fn new_device_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
