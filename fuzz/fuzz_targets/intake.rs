//! What an event intake does with a request whose bearer was right (`net/intake.rs`): the
//! body is written to the transcript with secrets taken out and named by its type, then
//! read as the CAMARA sink's CloudEvent or the Alexa intake's message. The bearer itself
//! never survives into the transcript.
//! Input: one byte of secret length, the secret's bytes (mapped onto letters and digits, as
//! our tokens are), then the body.
#![no_main]

use dialtone_wire::alexa::Inbound;
use dialtone_wire::camara::wire::CloudEvent;
use dialtone_wire::transcript::{name_of, redact};
use libfuzzer_sys::fuzz_target;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 40).max(8).min(rest.len());
    let (secret, body) = rest.split_at(n);
    let secret: String = secret
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    let shown = redact(body, &[&secret]);
    if secret.len() >= 8 {
        assert!(!shown.contains(&secret), "the bearer survived: {shown}");
    }
    if let Some(name) = name_of(body) {
        assert!(name.chars().count() <= 120);
    }
    let _ = serde_json::from_slice::<CloudEvent>(body);
    let _ = serde_json::from_slice::<Inbound>(body);
});
