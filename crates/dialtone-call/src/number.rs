//! Phone numbers as Dialtone dials them: E.164 (`+`, country code, up to 15 digits).
//!
//! Checked by syntax, not against numbering-plan metadata: the sandbox's fictional
//! 555-01xx numbers (`+15550100`) are shorter than real NANP numbers and must dial.
//! The metadata (the `phonenumber` crate) is used only to show numbers the way their
//! country writes them.

use std::fmt;

/// A number in E.164 form, `+` followed by 5 to 15 digits (CAMARA's `tel:` pattern).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("no number given: enter a number in international format, such as +15550100")]
    Empty,
    #[error("'{0}' is not in international format: start with + and the country code, such as +15550100")]
    NoPlus(String),
    #[error("'{input}' contains '{bad}': after the + a phone number has only digits")]
    BadCharacter { input: String, bad: char },
    #[error("'{input}' has {digits} digits: international numbers have 5 to 15")]
    Length { input: String, digits: usize },
    #[error("'{0}' starts with +0: country codes start with 1-9")]
    LeadingZero(String),
    #[error(
        "'{0}' is not an Alexa device address: after 'alexa:' give the device's name, 1-128 letters, digits, '.', '_' or '-', such as alexa:kitchen"
    )]
    DeviceName(String),
    /// A `lex:` address that breaks one of Lex's id rules (the message says which).
    #[error("{0}")]
    Bot(String),
}

impl PhoneNumber {
    /// Parses what a person or a link may give: `+1 555-0100`, `(+1) 555.0100`,
    /// `tel:+1-555-0100`, `tel:+15550100;ext=1` (parameters are dropped).
    pub fn parse(input: &str) -> Result<Self, NumberError> {
        let raw = input.trim();
        let lower = raw.to_ascii_lowercase();
        let without_scheme = ["tel:", "callto:", "callto://"]
            .iter()
            .rev()
            .find_map(|s| lower.starts_with(s).then(|| &raw[s.len()..]))
            .unwrap_or(raw);
        let number = without_scheme.split(';').next().unwrap_or("").trim();
        if number.is_empty() {
            return Err(NumberError::Empty);
        }
        let visual = |c: char| matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}');
        let compact: String = number.chars().filter(|&c| !visual(c)).collect();
        let Some(digits) = compact.strip_prefix('+') else {
            return Err(NumberError::NoPlus(input.trim().to_owned()));
        };
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(NumberError::BadCharacter {
                input: input.trim().to_owned(),
                bad,
            });
        }
        if !(5..=15).contains(&digits.len()) {
            return Err(NumberError::Length {
                input: input.trim().to_owned(),
                digits: digits.len(),
            });
        }
        if digits.starts_with('0') {
            return Err(NumberError::LeadingZero(input.trim().to_owned()));
        }
        Ok(Self(format!("+{digits}")))
    }

    /// `+15550100`
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// `tel:+15550100`, as CAMARA addresses it.
    pub fn to_tel_uri(&self) -> String {
        format!("tel:{}", self.0)
    }

    /// For people: `+44 20 7946 0000` where the numbering plan knows the number, the
    /// E.164 form otherwise (the sandbox's numbers, say).
    pub fn pretty(&self) -> String {
        pretty(&self.0).unwrap_or_else(|| self.0.clone())
    }
}

/// Why a number deserves a second look before a link dials it: what its numbering plan
/// says it is (`phonenumber`'s number types), in words for the prompt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Caution {
    /// `premium-rate`, `shared-cost`, `personal`, `uan`, `voicemail`, `pager` or `unknown`.
    pub kind: String,
    pub message: String,
}

impl PhoneNumber {
    /// `None` for the numbers people call every day (fixed, mobile, toll-free, VoIP).
    pub fn caution(&self) -> Option<Caution> {
        use phonenumber::Type;
        use phonenumber::metadata::DATABASE;
        // Parsed once: the message shows the number as `pretty()` would (grouped when the
        // plan knows it, E.164 otherwise) without parsing it again.
        let said = |shown: &str, kind: &str, what: &str| {
            Some(Caution {
                kind: kind.to_owned(),
                message: format!("{shown} is {what}"),
            })
        };
        let Ok(n) = phonenumber::parse(None, &self.0) else {
            return said(&self.0, "unknown", "not a number of any country's numbering plan");
        };
        if !n.is_valid() {
            return said(
                &self.0,
                "unknown",
                "not a number its country's numbering plan knows: check it before you call",
            );
        }
        let shown = n.format().mode(phonenumber::Mode::International).to_string();
        let caution = |kind: &str, what: &str| said(&shown, kind, what);
        match n.number_type(&DATABASE) {
            Type::PremiumRate => caution(
                "premium-rate",
                "a premium-rate number: calls to it can cost much more than a normal call",
            ),
            Type::SharedCost => caution(
                "shared-cost",
                "a shared-cost number: the caller pays part of the call at a special rate",
            ),
            Type::PersonalNumber => caution(
                "personal",
                "a personal number: it forwards anywhere and is often charged at a premium",
            ),
            Type::Uan => caution(
                "uan",
                "a universal access number: a company line, often charged at a special rate",
            ),
            Type::Voicemail => caution("voicemail", "a voicemail access number"),
            Type::Pager => caution("pager", "a pager number: nobody will answer it"),
            _ => None,
        }
    }
}

fn pretty(e164: &str) -> Option<String> {
    let n = phonenumber::parse(None, e164).ok()?;
    phonenumber::is_valid(&n).then(|| n.format().mode(phonenumber::Mode::International).to_string())
}

/// What a number field shows while someone types: the characters they may type (a
/// leading `+`, digits) and nothing else, grouped as their country writes them once the
/// number is complete.
pub fn format_as_typed(input: &str) -> String {
    let plus = input.trim_start().starts_with('+');
    let digits: String = input.chars().filter(char::is_ascii_digit).take(15).collect();
    let typed = if plus { format!("+{digits}") } else { digits };
    if plus && let Some(p) = pretty(&typed) {
        return p;
    }
    typed
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<PhoneNumber> for String {
    fn from(n: PhoneNumber) -> String {
        n.0
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shown_as_their_country_writes_them() {
        let uk = PhoneNumber::parse("+442079460000").expect("uk");
        assert_eq!(uk.pretty(), "+44 20 7946 0000");
        let sandbox = PhoneNumber::parse("+15550100").expect("sandbox");
        assert_eq!(
            sandbox.pretty(),
            "+15550100",
            "unknown to the plan: shown as dialled"
        );
    }

    #[test]
    fn premium_rate_and_unusual_numbers_carry_a_caution_and_everyday_numbers_none() {
        let kind = |n: &str| PhoneNumber::parse(n).expect(n).caution().map(|c| c.kind);
        // The plans' own examples: UK 09 premium rate, Spain 901 shared cost, UK 070
        // personal, US 900 premium rate.
        assert_eq!(kind("+449098790000").as_deref(), Some("premium-rate"));
        assert_eq!(kind("+34901123456").as_deref(), Some("shared-cost"));
        assert_eq!(kind("+447012345678").as_deref(), Some("personal"));
        assert_eq!(kind("+19002345678").as_deref(), Some("premium-rate"));
        // The sandbox's fictional numbers are in no plan: said, not hidden.
        assert_eq!(kind("+15550100").as_deref(), Some("unknown"));
        // Fixed, mobile and toll-free numbers dial without a caution.
        assert_eq!(kind("+442079460000"), None);
        assert_eq!(kind("+447400123456"), None);
        assert_eq!(kind("+18002345678"), None);
        let premium = PhoneNumber::parse("+449098790000").expect("uk").caution();
        assert_eq!(
            premium.map(|c| c.message),
            Some("+44 909 879 0000 is a premium-rate number: calls to it can cost much more than a normal call".to_owned())
        );
    }

    #[test]
    fn typing_keeps_digits_and_groups_a_complete_number() {
        assert_eq!(format_as_typed("+4420"), "+4420");
        assert_eq!(format_as_typed("+44 (20) 7946-0000"), "+44 20 7946 0000");
        assert_eq!(format_as_typed("+1a5b5"), "+155");
        assert_eq!(
            format_as_typed("5550100"),
            "5550100",
            "no + yet: left for the validator to explain"
        );
        assert_eq!(
            format_as_typed("+1234567890123456789").len(),
            16,
            "at most 15 digits"
        );
        assert_eq!(format_as_typed(""), "");
    }

    #[test]
    fn accepts_e164_with_visual_separators_and_tel_uris() {
        for ok in [
            "+15550100",
            " +1 555-0100 ",
            "(+1) 555.0100",
            "tel:+1-555-0100",
            "tel:+15550100;ext=1",
            "TEL:+15550100",
            "callto:+15550100",
        ] {
            assert_eq!(
                PhoneNumber::parse(ok).map(|n| n.to_string()),
                Ok("+15550100".to_owned()),
                "{ok}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("+442079460000").expect("uk").to_tel_uri(),
            "tel:+442079460000"
        );
    }

    #[test]
    fn refuses_what_the_issue_lists_with_a_reason() {
        assert!(matches!(PhoneNumber::parse("12ab"), Err(NumberError::NoPlus(_))));
        assert!(matches!(
            PhoneNumber::parse("+12ab"),
            Err(NumberError::BadCharacter { bad: 'a', .. })
        ));
        assert!(matches!(
            PhoneNumber::parse("5550100"),
            Err(NumberError::NoPlus(_))
        ));
        let sixteen = PhoneNumber::parse("+1234567890123456").expect_err("16 digits");
        assert_eq!(
            sixteen,
            NumberError::Length {
                input: "+1234567890123456".into(),
                digits: 16
            }
        );
        assert!(sixteen.to_string().contains("5 to 15"));
        assert_eq!(PhoneNumber::parse("  "), Err(NumberError::Empty));
        assert_eq!(PhoneNumber::parse("tel:"), Err(NumberError::Empty));
        assert!(matches!(
            PhoneNumber::parse("+0123456"),
            Err(NumberError::LeadingZero(_))
        ));
        assert!(matches!(
            PhoneNumber::parse("+1234"),
            Err(NumberError::Length { digits: 4, .. })
        ));
    }
}
