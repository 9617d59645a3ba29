//! `tel:` and `callto:` links: a link only fills in the number and asks, unless the person
//! chose to have links dial at once (MicroSIP's behaviour). A web page, a mail or any local
//! process can hand Dialtone a link; none of them may place a call on its own.

use dialtone_core::call::number::Caution;
use dialtone_core::call::{Address, NumberError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a link asks for, as the window shows it before anything is dialled.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkOffer {
    /// What dialling it places: `+15550100`.
    pub number: String,
    /// As its country writes it: `+44 20 7946 0000`.
    pub pretty: String,
    /// Premium-rate, shared-cost, unknown to its plan...: said in the prompt.
    pub caution: Option<Caution>,
}

impl LinkOffer {
    pub fn from_link(link: &str) -> Result<Self, NumberError> {
        let address = Address::parse(link)?;
        Ok(Self {
            number: address.to_string(),
            pretty: address.pretty(),
            caution: address.phone().and_then(|n| n.caution()),
        })
    }
}

/// How links are handled, remembered in the config directory (`links.json`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPrefs {
    /// Dial a link at once, without asking (off unless chosen in Settings).
    #[serde(default)]
    pub dial_at_once: bool,
}

fn path() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "dialtone", "dialtone").map(|d| d.config_dir().join("links.json"))
}

impl LinkPrefs {
    /// The remembered choice; none (or an unreadable file) asks before dialling.
    pub fn load() -> Self {
        path().map(|p| Self::load_from(&p)).unwrap_or_default()
    }

    pub fn load_from(p: &Path) -> Self {
        dialtone_core::files::read_json_or_default(p, "link settings (links ask before they dial)")
    }

    pub fn save(&self) -> std::io::Result<()> {
        let p = path().ok_or_else(|| std::io::Error::other("no config directory (HOME is not set)"))?;
        self.save_to(&p)
    }

    pub fn save_to(&self, p: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        dialtone_core::files::write_private(p, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_offers_its_number_as_written_with_the_plans_caution() {
        let uk = LinkOffer::from_link("tel:+44-909-879-0000").expect("uk premium");
        assert_eq!(uk.number, "+449098790000");
        assert_eq!(uk.pretty, "+44 909 879 0000");
        assert_eq!(uk.caution.map(|c| c.kind).as_deref(), Some("premium-rate"));
        let london = LinkOffer::from_link("callto:+442079460000").expect("london");
        assert_eq!(london.pretty, "+44 20 7946 0000");
        assert_eq!(london.caution, None);
        assert!(LinkOffer::from_link("tel:555-0100").is_err(), "no country code");
    }

    #[test]
    fn links_ask_unless_told_otherwise_and_the_choice_is_kept_privately() {
        let dir = std::env::temp_dir().join(format!("dialtone-links-{}", std::process::id()));
        let p = dir.join("links.json");
        assert!(!LinkPrefs::load_from(&p).dial_at_once, "nothing saved: ask");
        LinkPrefs { dial_at_once: true }.save_to(&p).expect("save");
        assert!(LinkPrefs::load_from(&p).dial_at_once);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "only its owner reads it");
        }
        std::fs::write(&p, b"{not json").expect("garble");
        assert!(!LinkPrefs::load_from(&p).dial_at_once, "unreadable: ask");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
