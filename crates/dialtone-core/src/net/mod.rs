//! Network helpers shared by the account book and the signaling providers: URL facts,
//! and HTTPS for the endpoints we host on loopback (event sinks, relays).

pub mod api;
mod intake;
mod tls;
// The transcript: what went over the wire, secrets taken out (dialtone-wire, fuzzed).
pub use dialtone_wire::transcript as wire;

pub use intake::{Intake, presents_bearer};
pub use tls::{LocalTls, TlsError, TlsListener, tls_for_remote};

/// True for `http(s)://127.x.x.x`, `[::1]` and `localhost` URLs. No DNS is queried.
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// RFC 3986's unreserved characters stay; everything else in an id is percent-encoded.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `id` (from a server, or typed) as one URL path segment: `/`, `?`, `#` and the rest
/// percent-encoded, and `.`/`..` spelled `%2E`, so an id can never reach another path
/// (`../registrations`) or add a query.
pub fn path_segment(id: &str) -> String {
    if id == "." || id == ".." {
        return id.replace('.', "%2E");
    }
    percent_encoding::utf8_percent_encode(id, SEGMENT).to_string()
}

/// Checks an operator URL: it parses, it is http(s), and it is https unless on loopback.
pub fn check_service_url(what: &str, url: &str) -> Result<(), String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("{what} '{url}' is not a URL ({e})"))?;
    match u.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_url(url) => Ok(()),
        "http" => Err(format!(
            "{what} '{url}' must use https (plain http is only allowed on this machine)"
        )),
        other => Err(format!("{what} '{url}' has scheme '{other}'; use https")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_a_server_stay_one_path_segment() {
        assert_eq!(path_segment("sess-1_a.b~c"), "sess-1_a.b~c");
        assert_eq!(path_segment("../registrations"), "..%2Fregistrations");
        assert_eq!(path_segment(".."), "%2E%2E");
        assert_eq!(path_segment("a?b#c d"), "a%3Fb%23c%20d");
        let url = format!("https://op.example/sessions/{}", path_segment("../../admin?x=1"));
        let parsed = reqwest::Url::parse(&url).expect("url");
        assert_eq!(parsed.path(), "/sessions/..%2F..%2Fadmin%3Fx%3D1");
        assert_eq!(parsed.query(), None);
    }

    #[test]
    fn loopback_urls_are_recognised_without_dns() {
        assert!(is_loopback_url("http://127.0.0.1:7300/x"));
        assert!(is_loopback_url("https://[::1]/"));
        assert!(is_loopback_url("http://localhost:1"));
        assert!(!is_loopback_url("https://api.example.com/"));
        assert!(!is_loopback_url("http://10.0.0.1/"));
        assert!(!is_loopback_url("not a url"));
    }

    #[test]
    fn plain_http_is_refused_off_this_machine() {
        assert!(check_service_url("x", "https://op.example.com/webrtc").is_ok());
        assert!(check_service_url("x", "http://127.0.0.1:4010").is_ok());
        let e = check_service_url("the token URL", "http://op.example.com/token").expect_err("http");
        assert!(e.contains("must use https"), "{e}");
        assert!(check_service_url("x", "ftp://op.example.com").is_err());
        assert!(check_service_url("x", "op.example.com").is_err());
    }
}
