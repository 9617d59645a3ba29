//! CAMARA Commonalities, the same in every dialect: the `x-correlator` request header is
//! checked and echoed on every response, unknown paths and methods answer in the
//! `ErrorInfo` shape, and (next) request bodies with unknown properties are refused.

use crate::errors::{ApiError, ApiResult, parse_json};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dialtone_core::signaling::camara::Dialect;

const CORRELATOR: &str = "x-correlator";

/// `XCorrelator`: `^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$`.
fn valid_correlator(v: &str) -> bool {
    v.len() <= 256
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:;./<>{}".contains(c))
}

/// Echoes the request's `x-correlator` on the response; one that breaks the pattern is
/// a 400 `INVALID_ARGUMENT` (and is not echoed).
pub async fn correlator(req: Request, next: Next) -> Response {
    let given = req.headers().get(CORRELATOR).cloned();
    if let Some(v) = &given
        && !v.to_str().is_ok_and(valid_correlator)
    {
        return ApiError::invalid("the x-correlator header does not match its pattern").into_response();
    }
    let mut resp = next.run(req).await;
    if let Some(v) = given {
        resp.headers_mut().insert(CORRELATOR, v);
    } else if resp.headers().get(CORRELATOR).is_none()
        && let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
    {
        // Commonalities: a response carries one even when the request had none.
        resp.headers_mut().insert(CORRELATOR, v);
    }
    resp
}

pub async fn unknown_path() -> ApiError {
    ApiError::not_found("there is no such resource (check the path and the API version)")
}

pub async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "this resource does not support the method",
    )
}

/// A request body as `T`. No property of any version's schemas is nullable, so a `null`
/// is a 400 `INVALID_ARGUMENT` (serde would read it as absent); in a dialect with
/// request-body strictness, so is a property `T` does not know.
pub fn body<T>(dialect: Dialect, bytes: &[u8]) -> ApiResult<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let parsed: T = parse_json(bytes)?;
    let given: serde_json::Value = parse_json(bytes)?;
    if let Some(path) = first_null(&given, String::new()) {
        return Err(ApiError::invalid(format!("{path} must not be null")));
    }
    if dialect.strict_bodies() {
        let known = serde_json::to_value(&parsed)
            .map_err(|e| ApiError::invalid(format!("the request body is not valid: {e}")))?;
        if let Some(path) = unknown_property(&given, &known, String::new()) {
            return Err(ApiError::invalid(format!(
                "the request body has a property the API does not define: {path}"
            )));
        }
    }
    Ok(parsed)
}

fn first_null(v: &serde_json::Value, at: String) -> Option<String> {
    match v {
        serde_json::Value::Null => Some(if at.is_empty() { "the body".into() } else { at }),
        serde_json::Value::Object(m) => m.iter().find_map(|(k, v)| {
            first_null(
                v,
                if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                },
            )
        }),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_null(v, format!("{at}[{i}]"))),
        _ => None,
    }
}

/// The first property of `given` that `known` (the same body read and written back by
/// its type) lost. Free-form values (`locationDetails`) come back whole, so they pass.
fn unknown_property(given: &serde_json::Value, known: &serde_json::Value, at: String) -> Option<String> {
    match (given, known) {
        (serde_json::Value::Object(g), serde_json::Value::Object(k)) => g.iter().find_map(|(name, v)| {
            let path = if at.is_empty() {
                name.clone()
            } else {
                format!("{at}.{name}")
            };
            match k.get(name) {
                None => Some(path),
                Some(kv) => unknown_property(v, kv, path),
            }
        }),
        (serde_json::Value::Array(g), serde_json::Value::Array(k)) => g
            .iter()
            .zip(k)
            .enumerate()
            .find_map(|(i, (gv, kv))| unknown_property(gv, kv, format!("{at}[{i}]"))),
        _ => None,
    }
}

/// A plain-http URL the sandbox may call back: a loopback host by address or
/// `localhost`, with a port and no user or password. Parsed, never prefix-matched:
/// `http://127.0.0.1:1@evil.example/` names the host `evil.example`.
pub fn loopback_http(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "http"
            && dialtone_core::net::is_loopback_url(url)
            && u.port().is_some()
            && u.username().is_empty()
            && u.password().is_none()
    })
}

/// An https URL with a host and no user or password in it.
pub fn https_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "https" && u.host().is_some() && u.username().is_empty() && u.password().is_none()
    })
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn call_back_urls_are_parsed_not_prefix_matched() {
        for ok in [
            "http://127.0.0.1:8080/events",
            "http://[::1]:9/x",
            "http://localhost:4000/",
        ] {
            assert!(loopback_http(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:1@evil.example/",
            "http://user:pw@127.0.0.1:80/",
            "http://127.0.0.1/no-port",
            "http://127.0.0.1.evil.example:80/",
            "http://10.0.0.1:80/",
            "https://127.0.0.1:443/",
            "not a url",
        ] {
            assert!(!loopback_http(bad), "{bad}");
        }
        assert!(https_url("https://sink.example/events"));
        assert!(!https_url("https://127.0.0.1:1@evil.example:x/"));
        assert!(!https_url("https://user@sink.example/"));
        assert!(!https_url("http://sink.example/"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_core::signaling::camara::wire::MediaSessionStatusChange;

    #[test]
    fn only_next_refuses_a_property_its_schema_does_not_define() {
        let extra = br#"{"status":"Hold","offer":{"sdp":"v=0","sdpType":"offer"}}"#;
        let e = body::<MediaSessionStatusChange>(Dialect::Next, extra).expect_err("strict");
        assert!(e.message.contains("offer.sdpType"), "{}", e.message);
        assert!(body::<MediaSessionStatusChange>(Dialect::Wip, extra).is_ok());
        assert!(body::<MediaSessionStatusChange>(Dialect::Next, br#"{"status":"Hold"}"#).is_ok());
        let located = br#"{"status":"Connected","locationDetails":{"shape":"Circle","any":{"x":1}}}"#;
        assert!(body::<MediaSessionStatusChange>(Dialect::Next, located).is_ok());
        let null = br#"{"status":"Hold","offer":null}"#;
        let e = body::<MediaSessionStatusChange>(Dialect::R2_2, null).expect_err("null");
        assert!(e.message.contains("offer must not be null"), "{}", e.message);
    }

    #[test]
    fn correlators_follow_the_pattern() {
        assert!(valid_correlator("b4333c46-49c0-4f62-80d7-f0ef930f1c46"));
        assert!(valid_correlator("a:b;c./<>{}_"));
        assert!(!valid_correlator("has space"));
        assert!(!valid_correlator(&"a".repeat(257)));
    }
}
