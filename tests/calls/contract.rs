//! Contract tests: Prism proxies (`--errors`), one per CAMARA spec, sit between Dialtone
//! and the sandbox. Every request the client sends and every response the sandbox gives,
//! errors included, must validate against `tests/contract/specs/*.yaml`, or Prism turns it
//! into an error and the scenario fails. The sink is HTTPS, as the spec requires.

use dialtone_core::call::Command;
use dialtone_core::net::LocalTls;
use dialtone_core::signaling::camara::wire::{CALL_HANDLING_BASE, EVENTS_BASE, REGISTRATION_BASE};
use dialtone_core::signaling::camara::{CamaraConfig, CamaraEndpoints};
use dialtone_core::signaling::{CallOptions, SignalingProvider};
use dialtone_e2e::line::{Line, line_with, provider_on, sandbox};
use dialtone_e2e::prism::{Prism, spec};
use dialtone_sandbox::{Sandbox, SandboxConfig};
use std::sync::Arc;
use std::time::Duration;

struct Proxies {
    registration: Prism,
    call_handling: Prism,
    events: Prism,
}

impl Proxies {
    fn start(sandbox: &Sandbox) -> Proxies {
        let base = sandbox.base_url();
        Proxies {
            registration: Prism::proxy(
                &spec("webrtc-registration"),
                &format!("{base}{REGISTRATION_BASE}"),
            ),
            call_handling: Prism::proxy(
                &spec("webrtc-call-handling"),
                &format!("{base}{CALL_HANDLING_BASE}"),
            ),
            events: Prism::proxy(&spec("webrtc-events"), &format!("{base}{EVENTS_BASE}")),
        }
    }

    /// Prism serves each spec at its root: the per-API base URLs a mock server needs.
    fn endpoints(&self) -> CamaraEndpoints {
        CamaraEndpoints {
            registration: self.registration.url(),
            call_handling: self.call_handling.url(),
            events: self.events.url(),
        }
    }

    fn assert_clean(&self) {
        for (api, p) in [
            ("registration", &self.registration),
            ("call-handling", &self.call_handling),
            ("events", &self.events),
        ] {
            let v = p.violations();
            assert!(v.is_empty(), "{api} contract violations:\n{}", v.join("\n"));
        }
    }
}

fn trusting(tls: &LocalTls, emergency_supported: bool) -> SandboxConfig {
    SandboxConfig {
        sink_certificates: vec![tls.certificate_pem().to_owned()],
        emergency_supported,
        ..Default::default()
    }
}

fn line_through(sandbox: &Sandbox, proxies: &Proxies, tls: Arc<LocalTls>, options: CallOptions) -> Line {
    let mut config = CamaraConfig::new(dialtone_core::new_device_id());
    config.sink_tls = Some(tls);
    let p = provider_on(sandbox, proxies.endpoints(), config, Duration::from_secs(10));
    p.set_call_options(options);
    line_with(p, 1000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_and_response_of_real_calls_follows_the_specs() {
    let tls = Arc::new(LocalTls::generate().expect("certificate"));
    let sandbox = sandbox(trusting(&tls, true)).await;
    let proxies = tokio::task::block_in_place(|| Proxies::start(&sandbox));

    // Outgoing call with hold and resume, then a hang-up.
    let a = line_through(&sandbox, &proxies, tls.clone(), CallOptions::default());
    a.dial("+15550100").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    a.call.command(Command::Hold).await.expect("hold");
    a.wait("Held", Duration::from_secs(5)).await;
    a.call.command(Command::Resume).await.expect("resume");
    a.wait("Connected", Duration::from_secs(5)).await;
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "no echo after resume"
    );
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;

    // The far end holds us and resumes: we answer its re-offers with PUT status.
    a.dial("+15550106").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(6_800)).await;
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "no echo after the remote resume"
    );
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;

    // An incoming call accepted (PUT Connected with the answer), then one declined (DELETE).
    sandbox.call_me(None).await.expect("call me");
    a.wait("Alerting", Duration::from_secs(5)).await;
    a.call.command(Command::Answer).await.expect("answer");
    a.wait("Connected", Duration::from_secs(10)).await;
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;
    sandbox.call_me(None).await.expect("call me");
    a.wait("Alerting", Duration::from_secs(5)).await;
    a.call.command(Command::Decline).await.expect("decline");
    a.wait("Ended", Duration::from_secs(5)).await;
    // Unsubscribe and unregister.
    a.call.shutdown().await;

    // An emergency call with location details.
    let e = line_through(
        &sandbox,
        &proxies,
        tls,
        CallOptions {
            emergency: true,
            location: Some(
                serde_json::json!({"shape": "Circle", "coordinates": {"latitude": 50.7, "longitude": 7.1, "radius": 30.0}, "method": "GPS"}),
            ),
        },
    );
    e.dial("+15550109").await;
    e.wait("Connected", Duration::from_secs(10)).await;
    e.call.command(Command::Hangup).await.expect("hangup");
    e.wait("Ended", Duration::from_secs(5)).await;
    e.call.shutdown().await;

    proxies.assert_clean();
    let status = sandbox.status().await;
    assert!(
        status.registrations.is_empty() && status.sessions.is_empty(),
        "{status:?}"
    );
    assert_eq!(status.subscriptions, 0, "{status:?}");
    assert_eq!(status.events_failed, 0, "{status:?}");
}

/// A raw request through a proxy: (status, CAMARA error code).
async fn raw(
    method: reqwest::Method,
    url: String,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<serde_json::Value>,
) -> (u16, String) {
    let http = reqwest::Client::builder().no_proxy().build().expect("client");
    let mut req = http.request(method, url).bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("send");
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    if status == 422 || status >= 500 && body["code"].is_null() {
        // Prism's own verdict, with the violations.
        eprintln!("{body}");
    }
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

async fn token(sandbox: &Sandbox, scope: &str) -> String {
    let creds = sandbox.credentials();
    let http = reqwest::Client::builder().no_proxy().build().expect("client");
    let r: serde_json::Value = http
        .post(&creds.token_url)
        .basic_auth(&creds.client_id, Some(&creds.client_secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    r["access_token"].as_str().expect("access_token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_error_responses_follow_the_specs() {
    use reqwest::Method;
    let tls = LocalTls::generate().expect("certificate");
    let sandbox = sandbox(trusting(&tls, true)).await;
    let proxies = tokio::task::block_in_place(|| Proxies::start(&sandbox));
    let all = dialtone_core::signaling::camara::wire::scopes::all_client().join(" ");
    let tok = token(&sandbox, &all).await;
    let read_only = token(&sandbox, "webrtc-registration:sessions:read").await;
    let (reg, call, ev) = (
        proxies.registration.url(),
        proxies.call_handling.url(),
        proxies.events.url(),
    );
    let unknown = uuid_v4();
    let device = uuid_v4();

    let cases = [
        (
            raw(Method::GET, format!("{call}/sessions/{unknown}"), &tok, &[], None).await,
            (404, "NOT_FOUND"),
        ),
        (
            raw(
                Method::DELETE,
                format!("{reg}/sessions/{unknown}"),
                &tok,
                &[],
                None,
            )
            .await,
            (404, "NOT_FOUND"),
        ),
        (
            raw(
                Method::GET,
                format!("{ev}/subscriptions/{unknown}"),
                &tok,
                &[],
                None,
            )
            .await,
            (404, "NOT_FOUND"),
        ),
        (
            raw(
                Method::GET,
                format!("{reg}/sessions/{unknown}"),
                "not-a-token",
                &[],
                None,
            )
            .await,
            (401, "UNAUTHENTICATED"),
        ),
        (
            raw(
                Method::POST,
                format!("{reg}/sessions"),
                &read_only,
                &[],
                Some(serde_json::json!({"deviceId": device})),
            )
            .await,
            (403, "PERMISSION_DENIED"),
        ),
    ];
    for (i, (got, want)) in cases.iter().enumerate() {
        assert_eq!((got.0, got.1.as_str()), *want, "case {i}");
    }

    // A registration, then a call on a registration that does not exist: 400.
    // (501 CALLTYPE_EMERGENCY_NOT_SUPPORTED cannot be checked here: Prism's proxy answers
    // an upstream 501 with a mock; `emergency.rs` covers it.)
    let (status, _) = raw(
        Method::POST,
        format!("{reg}/sessions"),
        &tok,
        &[],
        Some(serde_json::json!({"deviceId": device})),
    )
    .await;
    assert_eq!(status, 201);
    let registration = sandbox.status().await.registrations[0].clone();
    let reg_id = registration.registration_id;
    let offer = serde_json::json!({
        "originatorAddress": format!("tel:{}", registration.phone_number),
        "receiverAddress": "tel:+15550100",
        "offer": {"sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", "sdpType": "offer"},
    });
    let got = raw(
        Method::POST,
        format!("{call}/sessions"),
        &tok,
        &[("registrationId", &unknown)],
        Some(offer),
    )
    .await;
    assert_eq!((got.0, got.1.as_str()), (400, "INVALID_ARGUMENT"));
    let got = raw(
        Method::DELETE,
        format!("{reg}/sessions/{reg_id}"),
        &tok,
        &[],
        None,
    )
    .await;
    assert_eq!(got.0, 204);
    proxies.assert_clean();
}

fn uuid_v4() -> String {
    dialtone_core::new_device_id()
}

#[test]
fn the_copied_specs_match_the_shared_originals_when_present() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs/camara");
    if !shared.exists() {
        // A clone outside the team's workspace has only the copies.
        return;
    }
    for api in ["webrtc-registration", "webrtc-call-handling", "webrtc-events"] {
        let original = std::fs::read(shared.join(format!("{api}.yaml"))).expect("shared spec");
        let copy = std::fs::read(spec(api)).expect("copied spec");
        assert!(
            original == copy,
            "tests/contract/specs/{api}.yaml differs from the shared spec"
        );
    }
}
