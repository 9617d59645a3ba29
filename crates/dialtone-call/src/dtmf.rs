//! DTMF digits as the keypad writes them and RFC 4733 numbers them.

/// Maps a keypad symbol to its event code (0-9, * = 10, # = 11, A-D = 12-15).
pub fn digit_to_event(digit: char) -> Option<u8> {
    match digit.to_ascii_uppercase() {
        d @ '0'..='9' => Some(d as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        d @ 'A'..='D' => Some(d as u8 - b'A' + 12),
        _ => None,
    }
}

pub fn event_to_digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some((b'0' + event) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + event - 12) as char),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a DTMF digit: use 0-9, *, # or A-D")]
pub struct InvalidDigit(pub char);

/// Checks a digit string before anything is queued; the event codes.
pub fn validate_digits(digits: &str) -> Result<Vec<u8>, InvalidDigit> {
    digits
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| digit_to_event(c).ok_or(InvalidDigit(c)))
        .collect()
}
