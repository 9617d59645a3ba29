//! Who a call goes to: a phone number, an Alexa device (`alexa:<name>`) or a Lex bot
//! (`lex:<botId>`).

use crate::lex::{LEX_SCHEME, LexBot};
use crate::number::{NumberError, PhoneNumber};
use std::fmt;

/// The scheme of an Alexa device address.
pub const ALEXA_SCHEME: &str = "alexa:";

/// A call's far end as the user names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
pub enum Address {
    Phone(PhoneNumber),
    /// An Alexa endpoint, by the name its provider knows it under (`alexa:kitchen`).
    Alexa(String),
    /// An Amazon Lex V2 bot (`lex:DEMOBOT001`).
    Lex(LexBot),
}

fn has_scheme(raw: &str, scheme: &str) -> bool {
    raw.get(..scheme.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
}

impl Address {
    /// `alexa:<name>` (1–128 of letters, digits, `.`, `_`, `-`), or anything
    /// [`PhoneNumber::parse`] takes, or `lex:` and what [`LexBot::parse`] takes.
    pub fn parse(input: &str) -> Result<Self, NumberError> {
        let raw = input.trim();
        if has_scheme(raw, LEX_SCHEME) {
            return LexBot::parse(&raw[LEX_SCHEME.len()..])
                .map(Address::Lex)
                .map_err(|e| NumberError::Bot(e.to_string()));
        }
        if !has_scheme(raw, ALEXA_SCHEME) {
            return PhoneNumber::parse(input).map(Address::Phone);
        }
        let name = &raw[ALEXA_SCHEME.len()..];
        let good = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if name.is_empty() || name.len() > 128 || !name.chars().all(good) {
            return Err(NumberError::DeviceName(raw.to_owned()));
        }
        Ok(Address::Alexa(name.to_owned()))
    }

    pub fn phone(&self) -> Option<&PhoneNumber> {
        match self {
            Address::Phone(n) => Some(n),
            Address::Alexa(_) | Address::Lex(_) => None,
        }
    }

    /// For people: a number as its country writes it, a device as `alexa:<name>`.
    pub fn pretty(&self) -> String {
        match self {
            Address::Phone(n) => n.pretty(),
            Address::Alexa(_) | Address::Lex(_) => self.to_string(),
        }
    }
}

impl From<PhoneNumber> for Address {
    fn from(n: PhoneNumber) -> Self {
        Address::Phone(n)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Phone(n) => n.fmt(f),
            Address::Alexa(name) => write!(f, "{ALEXA_SCHEME}{name}"),
            Address::Lex(bot) => bot.fmt(f),
        }
    }
}

impl From<Address> for String {
    fn from(a: Address) -> String {
        a.to_string()
    }
}

impl std::str::FromStr for Address {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alexa_devices_and_numbers_parse_to_their_kind() {
        assert_eq!(
            Address::parse(" Alexa:kitchen-echo.2 ").expect("device"),
            Address::Alexa("kitchen-echo.2".into())
        );
        let n = Address::parse("tel:+1-555-0100").expect("number");
        assert_eq!(n.phone().map(PhoneNumber::as_e164), Some("+15550100"));
        assert_eq!(
            Address::parse("alexa:kitchen").expect("device").to_string(),
            "alexa:kitchen"
        );
    }

    #[test]
    fn bad_device_names_are_refused_with_the_rule() {
        for bad in [
            "alexa:",
            "alexa:two words",
            "alexa:ümlaut",
            &format!("alexa:{}", "a".repeat(129)),
        ] {
            let e = Address::parse(bad).expect_err(bad);
            assert!(matches!(e, NumberError::DeviceName(_)), "{bad}: {e}");
            assert!(e.to_string().contains("alexa:kitchen"), "{e}");
        }
    }
}
