//! Which bot a call goes to (`lex:<botId>[/<aliasId>/<localeId>]`) and the session id
//! of each conversation, checked against Lex's rules before anything is sent.

use std::fmt;

/// The scheme of a Lex bot address.
pub const LEX_SCHEME: &str = "lex:";
/// Lex's built-in test alias, used when the address names none.
pub const TEST_ALIAS: &str = "TSTALIASID";
pub const DEFAULT_LOCALE: &str = "en_US";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BotIdError {
    #[error(
        "'{0}' is not a Lex bot id: it is 10 letters or digits, such as lex:DEMOBOT001 (the console shows it under Bot details)"
    )]
    BotId(String),
    #[error("'{0}' is not a Lex alias id: it is 10 letters or digits, or TSTALIASID for the draft version")]
    AliasId(String),
    #[error("'{0}' is not a Lex locale id: use the form en_US or es_419")]
    LocaleId(String),
    #[error("'{0}' is not a Lex session id: 2-100 of letters, digits, '.', '_', ':' or '-'")]
    SessionId(String),
    #[error("'{0}' is not a Lex address: use lex:<botId> or lex:<botId>/<aliasId>/<localeId>")]
    Shape(String),
}

/// A bot, its alias and its locale.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LexBot {
    pub bot_id: String,
    pub bot_alias_id: String,
    pub locale_id: String,
}

fn ten_alnum(s: &str) -> bool {
    s.len() == 10 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

impl LexBot {
    /// Checks every id. The address's alias and locale default to the test alias and en_US.
    pub fn new(bot_id: &str, alias: Option<&str>, locale: Option<&str>) -> Result<Self, BotIdError> {
        if !ten_alnum(bot_id) {
            return Err(BotIdError::BotId(bot_id.to_owned()));
        }
        let alias = alias.unwrap_or(TEST_ALIAS);
        if !ten_alnum(alias) {
            return Err(BotIdError::AliasId(alias.to_owned()));
        }
        let locale = locale.unwrap_or(DEFAULT_LOCALE);
        let good_locale = locale.split_once('_').is_some_and(|(lang, region)| {
            lang.len() == 2
                && lang.chars().all(|c| c.is_ascii_lowercase())
                && (2..=3).contains(&region.len())
                && region.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if !good_locale {
            return Err(BotIdError::LocaleId(locale.to_owned()));
        }
        Ok(Self {
            bot_id: bot_id.to_owned(),
            bot_alias_id: alias.to_owned(),
            locale_id: locale.to_owned(),
        })
    }

    /// What follows `lex:`.
    pub fn parse(rest: &str) -> Result<Self, BotIdError> {
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [bot] => Self::new(bot, None, None),
            [bot, alias, locale] => Self::new(bot, Some(alias), Some(locale)),
            _ => Err(BotIdError::Shape(format!("{LEX_SCHEME}{rest}"))),
        }
    }
}

impl fmt::Display for LexBot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bot_alias_id == TEST_ALIAS && self.locale_id == DEFAULT_LOCALE {
            write!(f, "{LEX_SCHEME}{}", self.bot_id)
        } else {
            write!(
                f,
                "{LEX_SCHEME}{}/{}/{}",
                self.bot_id, self.bot_alias_id, self.locale_id
            )
        }
    }
}

/// Checks a session id against Lex's rule.
pub fn check_session_id(id: &str) -> Result<(), BotIdError> {
    let good = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-');
    if (2..=100).contains(&id.len()) && id.chars().all(good) {
        Ok(())
    } else {
        Err(BotIdError::SessionId(id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_take_a_bot_or_a_bot_alias_and_locale() {
        let b = LexBot::parse("DEMOBOT001").expect("bot");
        assert_eq!(
            (b.bot_alias_id.as_str(), b.locale_id.as_str()),
            (TEST_ALIAS, "en_US")
        );
        assert_eq!(b.to_string(), "lex:DEMOBOT001");
        let b = LexBot::parse("DEMOBOT001/ALIAS00001/es_419").expect("full");
        assert_eq!(b.to_string(), "lex:DEMOBOT001/ALIAS00001/es_419");
    }

    #[test]
    fn every_bad_id_is_refused_with_its_rule() {
        for (bad, want) in [
            ("DEMOBOT01", "bot id"),
            ("DEMOBOT0011", "bot id"),
            ("DEMO-BOT01", "bot id"),
            ("DEMOBOT001/ALIAS/en_US", "alias id"),
            ("DEMOBOT001/ALIAS00001/english", "locale id"),
            ("DEMOBOT001/ALIAS00001", "Lex address"),
        ] {
            let e = LexBot::parse(bad).expect_err(bad);
            assert!(e.to_string().contains(want), "{bad}: {e}");
        }
        assert!(check_session_id("a").is_err());
        assert!(check_session_id(&"a".repeat(101)).is_err());
        assert!(check_session_id("has space").is_err());
        check_session_id("ok:session_1.2-3").expect("good id");
    }
}
