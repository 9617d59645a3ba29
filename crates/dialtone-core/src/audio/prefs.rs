//! The devices and voice processing the user chose, remembered across runs (`audio.json`
//! in the config directory). A remembered device that is not plugged in falls back to
//! the default.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicePrefs {
    #[serde(default)]
    pub input: Option<String>,
    #[serde(default)]
    pub output: Option<String>,
    #[serde(default)]
    pub voice: super::VoiceSettings,
}

fn path() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "dialtone", "dialtone").map(|d| d.config_dir().join("audio.json"))
}

impl DevicePrefs {
    /// The remembered choice; nothing remembered (or an unreadable file) is the defaults.
    pub fn load() -> Self {
        let Some(p) = path() else {
            return Self::default();
        };
        match std::fs::read(&p) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(error = %e, path = %p.display(), "ignoring unreadable device settings");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    pub fn save(&self) -> std::io::Result<()> {
        let p = path().ok_or_else(|| std::io::Error::other("no home directory"))?;
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let tmp = p.with_extension("json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(tmp, p)
    }
}
