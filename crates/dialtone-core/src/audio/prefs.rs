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
    /// The codecs to offer, in order, as typed for `--codec` (`opus,pcmu,pcma`); `None`:
    /// all of them, Opus first.
    #[serde(default)]
    pub codecs: Option<String>,
}

fn path() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "dialtone", "dialtone").map(|d| d.config_dir().join("audio.json"))
}

impl DevicePrefs {
    /// The remembered choice; nothing remembered (or an unreadable file) is the defaults.
    pub fn load() -> Self {
        path().map_or_else(Self::default, |p| {
            crate::files::read_json_or_default(&p, "device settings")
        })
    }

    /// The remembered codec order; one the engine does not know is left out (with a
    /// warning), and nothing usable is the default order.
    pub fn codec_list(&self) -> Option<Vec<crate::media::CodecName>> {
        let list: Vec<_> = parse_codecs(self.codecs.as_deref()?)
            .into_iter()
            .filter_map(|c| {
                c.map_err(|e| tracing::warn!(error = %e, "ignoring a remembered codec"))
                    .ok()
            })
            .collect();
        (!list.is_empty()).then_some(list)
    }

    pub fn save(&self) -> std::io::Result<()> {
        let p = path().ok_or_else(|| std::io::Error::other("no home directory"))?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::files::write_private(&p, &json)
    }
}

/// `opus,pcmu` → each name parsed, in order.
pub fn parse_codecs(list: &str) -> Vec<Result<crate::media::CodecName, crate::media::codec::UnknownCodec>> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(crate::media::CodecName::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::CodecName;

    #[test]
    fn a_remembered_codec_order_is_read_back_and_nonsense_is_left_out() {
        let p = DevicePrefs {
            codecs: Some("pcmu, bogus,opus".into()),
            ..Default::default()
        };
        assert_eq!(p.codec_list(), Some(vec![CodecName::Pcmu, CodecName::Opus]));
        let none = DevicePrefs {
            codecs: Some("bogus".into()),
            ..Default::default()
        };
        assert_eq!(none.codec_list(), None);
        assert_eq!(DevicePrefs::default().codec_list(), None);
        // An older file without the field still reads.
        let old: DevicePrefs = serde_json::from_str(r#"{"input":null}"#).expect("old file");
        assert_eq!(old.codecs, None);
    }
}
