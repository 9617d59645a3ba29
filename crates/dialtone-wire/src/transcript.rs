//! The signaling transcript: every request we send, every answer and incoming message, and
//! every SDP a call applies, as `tracing` events under one target.
//!
//! Nothing here keeps anything. A call report (`dialtone-report`) listens to [`TARGET`];
//! with nobody listening the bodies are not even formatted. Secrets are taken out here, at
//! the source, so neither a report nor a verbose log can carry one: the bearer we sent,
//! any JSON member named like a credential, and anything shaped like a bearer or a JWT.

use tracing::Level;

/// The `tracing` target every transcript event carries.
pub const TARGET: &str = "dialtone::wire";

/// What stands where a secret was.
pub const REDACTED: &str = "[redacted]";

/// JSON members whose value is a credential, compared without case. Words that merely
/// contain these (`tokenType`, `sinkCredential`) are checked by [`is_secret_key`].
const SECRET_WORDS: &[&str] = &[
    "token",
    "secret",
    "password",
    "authorization",
    "credential",
    "apikey",
    "api_key",
    "assertion",
    "code_verifier",
];

/// The longest body a transcript keeps; the rest is cut with a note (an SDP is ~1 KB).
const MAX_BODY: usize = 64 * 1024;

fn enabled() -> bool {
    tracing::enabled!(target: TARGET, Level::INFO)
}

/// A request about to go out. `secret`: the bearer it carries, taken out of the body too.
pub fn request(operation: &str, method: &str, url: &str, body: Option<&[u8]>, secret: &str) {
    if !enabled() {
        return;
    }
    let body = body.map(|b| redact(b, &[secret])).unwrap_or_default();
    tracing::info!(target: TARGET, kind = "request", operation, method, url, body = %body);
}

/// The answer to `operation` (after any retry).
pub fn response(operation: &str, status: u16, body: &[u8], secret: &str) {
    if !enabled() {
        return;
    }
    let body = redact(body, &[secret]);
    tracing::info!(target: TARGET, kind = "response", operation, status, body = %body);
}

/// A request that got no answer at all.
pub fn no_response(operation: &str, error: &str) {
    if enabled() {
        tracing::info!(target: TARGET, kind = "response", operation, error);
    }
}

/// A message the network sent us (an event notification, an Alexa directive), and the
/// status we answered it with.
pub fn incoming(what: &str, status: u16, body: &[u8], secret: &str) {
    if !enabled() {
        return;
    }
    let named = name_of(body);
    let operation = named.as_deref().unwrap_or(what);
    let body = redact(body, &[secret]);
    tracing::info!(target: TARGET, kind = "incoming", operation, status, body = %body);
}

/// What a message calls itself: a CloudEvent's `type`, an Alexa message's header `name`.
pub fn name_of(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let named = v
        .get("type")
        .or_else(|| v.pointer("/directive/header/name"))
        .or_else(|| v.pointer("/event/header/name"))
        .or_else(|| v.pointer("/header/name"))?;
    named.as_str().map(|s| s.chars().take(120).collect())
}

/// An SDP call `call` applied: `what` is "local offer", "remote answer", and so on;
/// `why` the reason for an offer (hold, resume, ...), empty otherwise.
pub fn sdp(call: u32, what: &str, why: &str, sdp: &str) {
    if enabled() {
        tracing::info!(target: TARGET, kind = "sdp", call, operation = what, why, body = %sdp);
    }
}

/// A milestone of call `call`'s media (`ICE connected`, `DTLS connected`, `first audio
/// received`): when the transport got that far, beside the messages that led to it.
pub fn media(call: u32, what: &str) {
    if enabled() {
        tracing::info!(target: TARGET, kind = "media", call, operation = what, body = "");
    }
}

/// Whether a JSON member of this name carries a credential.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // A credential's type (`token_type`, `credentialType`) or where it goes says nothing
    // secret.
    if k.ends_with("type") || k.contains("url") || k.ends_with("_in") {
        return false;
    }
    SECRET_WORDS.iter().any(|w| k.contains(w))
}

/// `body` as text with every secret replaced by [`REDACTED`]: the exact `secrets` given,
/// credential-named JSON members, `Bearer …` and JWT-shaped words. Binary bodies are
/// summarised, long ones cut.
pub fn redact(body: &[u8], secrets: &[&str]) -> String {
    let Ok(text) = std::str::from_utf8(body) else {
        return format!("({} bytes, not text)", body.len());
    };
    let text = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut v) => {
            redact_json(&mut v);
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_owned())
        }
        Err(_) => text.to_owned(),
    };
    let mut text = redact_words(&text);
    for s in secrets.iter().filter(|s| s.len() >= 8) {
        text = text.replace(s, REDACTED);
    }
    if text.len() > MAX_BODY {
        let mut end = MAX_BODY;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("\n… (cut)");
    }
    text
}

fn redact_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_key(k) && !v.is_null() && !v.is_object() && !v.is_array() {
                    *v = serde_json::Value::String(REDACTED.into());
                } else {
                    redact_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// The characters a token is made of, after `Bearer `.
const TOKEN_CHARS: &str = "-._~+/=";

/// `Bearer <token>` and JWTs (`eyJ…` in three dot-separated base64url parts) anywhere.
fn redact_words(text: &str) -> String {
    // ASCII lowercasing keeps every byte where it was: one copy serves every search.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(i) = find_secret_start(text, &lower, pos) {
        out.push_str(&text[pos..i]);
        let token_at = if lower[i..].starts_with("bearer ") {
            out.push_str(&text[i..i + 7]);
            i + 7
        } else {
            i
        };
        out.push_str(REDACTED);
        pos = token_at + word(&text[token_at..], TOKEN_CHARS).len();
    }
    out.push_str(&text[pos..]);
    out
}

/// The run of letters, digits and `extra` that `s` starts with.
fn word<'a>(s: &'a str, extra: &str) -> &'a str {
    let n = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || extra.contains(c)))
        .unwrap_or(s.len());
    &s[..n]
}

/// Where the next secret at or after `from` starts.
fn find_secret_start(text: &str, lower: &str, from: usize) -> Option<usize> {
    let bearer = lower[from..]
        .match_indices("bearer ")
        .map(|(i, _)| from + i)
        .find(|&i| {
            // Only when a token follows, not "bearer" as a word in prose: tokens are long
            // and rarely plain words.
            let w = word(&text[i + 7..], TOKEN_CHARS);
            w.len() >= 6 && (w.len() >= 20 || w.chars().any(|c| !c.is_ascii_alphabetic()))
        });
    let jwt = text[from..]
        .match_indices("eyJ")
        .map(|(i, _)| from + i)
        .find(|&i| word(&text[i..], "-_.").matches('.').count() == 2);
    match (bearer, jwt) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_we_sent_is_taken_out_of_an_answer_that_echoes_it() {
        let token = "s3cr3t-t0ken-value";
        let body = format!(r#"{{"status":500,"message":"debug: got {token} from you"}}"#);
        let r = redact(body.as_bytes(), &[token]);
        assert!(!r.contains(token), "{r}");
        assert!(r.contains("debug: got [redacted] from you"), "{r}");
    }

    #[test]
    fn credential_members_bearers_and_jwts_are_redacted_and_the_rest_kept() {
        let body = br#"{"access_token":"abc","token_type":"Bearer","expires_in":3600,
            "sink":"https://127.0.0.1/x","sinkCredential":{"credentialType":"ACCESSTOKEN","accessToken":"zz"},
            "note":"header was Bearer q1w2e3.r4t5 ok","jwt":"eyJhbGciOi.eyJzdWIi.sig-_x",
            "sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1"}"#;
        let r = redact(body, &[]);
        for gone in ["abc", "zz", "q1w2e3", "eyJhbGciOi"] {
            assert!(!r.contains(gone), "{gone} in {r}");
        }
        for kept in [
            "\"Bearer\"",
            "3600",
            "https://127.0.0.1/x",
            "ACCESSTOKEN",
            "v=0",
            "ok",
        ] {
            assert!(r.contains(kept), "{kept} missing from {r}");
        }
    }

    #[test]
    fn prose_and_binary_bodies_are_left_readable() {
        assert_eq!(redact(b"the bearer of bad news", &[]), "the bearer of bad news");
        assert_eq!(redact(b"Bearer mechanism", &[]), "Bearer mechanism");
        // A "bearer" in prose does not hide a token after it.
        assert_eq!(
            redact(b"the bearer of bad news sent Bearer abc123def456", &[]),
            "the bearer of bad news sent Bearer [redacted]"
        );
        assert_eq!(redact(&[0xff, 0xfe, 0], &[]), "(3 bytes, not text)");
        assert_eq!(redact(b"", &["short"]), "");
    }
}
