//! The sandbox's control routes (status, call-me, faults) read every call and make the
//! sandbox call the client: only the holder of its control token gets in. An embedded
//! sandbox's token is its own, so no other local process can use them.

use dialtone_e2e::line::sandbox;
use dialtone_sandbox::SandboxConfig;
use reqwest::StatusCode;

#[tokio::test]
async fn control_routes_answer_only_the_control_token() {
    let sb = sandbox(SandboxConfig::default().with_private_secrets()).await;
    let token = sb.credentials().control_token;
    assert_ne!(
        token,
        SandboxConfig::default().control_token,
        "a private sandbox's token is its own"
    );
    let http = reqwest::Client::builder().no_proxy().build().expect("http");
    let url = |path: &str| format!("{}{path}", sb.base_url());
    let status = |bearer: Option<String>| {
        let mut r = http.get(url("/sandbox/v1/status"));
        if let Some(b) = bearer {
            r = r.bearer_auth(b);
        }
        r.send()
    };
    let mut wrong = token.clone();
    wrong.replace_range(..1, if wrong.starts_with('0') { "1" } else { "0" });
    for bearer in [
        None,
        Some(wrong.clone()),
        Some("sandbox-control".into()),
        Some(token[1..].to_owned()),
    ] {
        let r = status(bearer.clone()).await.expect("status");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bearer:?}");
        let body: serde_json::Value = r.json().await.expect("error body");
        assert_eq!(body["code"], "UNAUTHENTICATED", "{body}");
    }
    for (path, body) in [
        ("/sandbox/v1/call-me", "{}"),
        ("/sandbox/v1/faults", r#"{"status": 500, "count": 1}"#),
    ] {
        let r = http
            .post(url(path))
            .bearer_auth(&wrong)
            .body(body)
            .send()
            .await
            .expect(path);
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }

    let r = status(Some(token.clone())).await.expect("status");
    assert_eq!(r.status(), StatusCode::OK);
    let seen: dialtone_sandbox::SandboxStatus = r.json().await.expect("status json");
    assert!(seen.sessions.is_empty());
    let r = http
        .post(url("/sandbox/v1/faults"))
        .bearer_auth(&token)
        .body(r#"{"status": 503, "count": 1}"#)
        .send()
        .await
        .expect("faults");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}
