//! Login with Amazon against the sandbox's LWA: the authorization code flow with PKCE
//! and a loopback redirect keeps the refresh token in the OS keyring (gnome-keyring in
//! `scripts/with-keyring.sh`); a forged redirect and a wrong PKCE verifier are refused;
//! access tokens are renewed at 90 % of their lifetime.

use dialtone_core::auth::lwa::{CALLBACK_PATH, Grant, SignIn};
use dialtone_core::auth::{LwaTokens, Secrets, TokenError, TokenSource};
use dialtone_e2e::cli::{in_keyring_session, keyring_lookup};
use dialtone_e2e::line::sandbox;
use dialtone_sandbox::{Sandbox, SandboxConfig};
use std::time::Duration;

fn browser() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("http")
}

/// What a person does in the browser: open the URL (the sandbox approves at once).
async fn sign_in(sandbox: &Sandbox) -> (dialtone_core::auth::LwaClient, Grant) {
    let client = sandbox
        .credentials()
        .lwa_client(&sandbox.base_url())
        .expect("client");
    let pending: SignIn = client.begin_sign_in().await.expect("listen");
    assert!(
        pending.url.contains("code_challenge_method=S256"),
        "{}",
        pending.url
    );
    assert!(
        pending.url.contains("scope=amazon_communication%3A%3Acalling"),
        "{}",
        pending.url
    );
    assert!(dialtone_e2e::browse(&pending.url).await.contains("Signed in"));
    let grant = pending.finish(Duration::from_secs(5)).await.expect("grant");
    (client, grant)
}

#[test]
fn signing_in_keeps_only_the_refresh_token_and_only_in_the_keyring() {
    if !in_keyring_session("signing_in_keeps_only_the_refresh_token_and_only_in_the_keyring") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let sandbox = sandbox(SandboxConfig::default()).await;
        let (client, grant) = sign_in(&sandbox).await;
        let refresh = grant.refresh_token.clone();
        let secrets = Secrets::os().expect("keyring");
        let tokens = LwaTokens::new(client.clone(), secrets.clone(), "alexa-home");
        tokens.store(grant).await.expect("store");
        assert_eq!(
            keyring_lookup("alexa-home/refresh-token").as_deref(),
            Some(refresh.as_str())
        );
        assert_eq!(
            keyring_lookup("alexa-home/access-token"),
            None,
            "the access token stays in memory"
        );
        // A later run: a new token source finds the refresh token in the keyring.
        let later = LwaTokens::new(client, secrets.clone(), "alexa-home");
        let issued = sandbox.status().await.tokens_issued;
        let token = later.token(false).await.expect("token from the refresh token");
        assert!(token.starts_with("Atza|"), "{token}");
        assert_eq!(sandbox.status().await.tokens_issued, issued + 1);
        secrets.forget("alexa-home").expect("forget");
        assert_eq!(keyring_lookup("alexa-home/refresh-token"), None);
        let e = later.token(true).await.expect_err("signed out");
        assert!(matches!(e, TokenError::NotSignedIn(_)), "{e}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_redirect_is_refused() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = sandbox
        .credentials()
        .lwa_client(&sandbox.base_url())
        .expect("client");
    let pending = client.begin_sign_in().await.expect("listen");
    let redirect = reqwest::Url::parse(&pending.url).expect("url");
    let back = redirect
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .expect("redirect_uri");
    assert!(
        back.starts_with("http://127.0.0.1:") && back.ends_with(CALLBACK_PATH),
        "{back}"
    );
    browser()
        .get(format!("{back}?code=stolen&state=not-ours"))
        .send()
        .await
        .expect("forged redirect");
    let e = pending
        .finish(Duration::from_secs(5))
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("state does not match"), "{e}");
    assert_eq!(sandbox.status().await.tokens_issued, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_with_the_wrong_pkce_verifier_gets_no_token() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let c = sandbox.credentials();
    let root = sandbox.base_url();
    let no_redirects = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(&oauth2::PkceCodeVerifier::new(
        "the-right-verifier-the-right-verifier-0123456".into(),
    ));
    let redirect_uri = "http://127.0.0.1:9/lwa/callback";
    let approve = no_redirects
        .get(format!("{root}/lwa/ap/oa"))
        .query(&[
            ("client_id", c.lwa_client_id.as_str()),
            ("response_type", "code"),
            ("scope", "amazon_communication::calling"),
            ("redirect_uri", redirect_uri),
            ("state", "s"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .expect("authorize");
    let location = approve.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let code = reqwest::Url::parse(&location)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let exchange = |verifier: &'static str| {
        no_redirects
            .post(format!("{root}/lwa/auth/o2/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect_uri),
                ("client_id", c.lwa_client_id.as_str()),
                ("client_secret", c.lwa_client_secret.as_str()),
                ("code_verifier", verifier),
            ])
            .send()
    };
    let wrong = exchange("a-wrong-verifier-a-wrong-verifier-a-wrong-0123")
        .await
        .expect("post");
    assert_eq!(wrong.status(), 400);
    let body: serde_json::Value = wrong.json().await.expect("json");
    assert_eq!(body["error"], "invalid_grant");
    // The code is spent: even the right verifier gets nothing now.
    let late = exchange("the-right-verifier-the-right-verifier-0123456")
        .await
        .expect("post");
    assert_eq!(late.status(), 400);
    assert_eq!(sandbox.status().await.tokens_issued, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_are_renewed_at_ninety_percent_of_their_lifetime() {
    let config = SandboxConfig {
        token_ttl: Duration::from_secs(4),
        ..Default::default()
    };
    let sandbox = sandbox(config).await;
    let (client, grant) = sign_in(&sandbox).await;
    let first = grant.access_token.clone();
    let tokens = LwaTokens::new(client, Secrets::in_memory().expect("memory"), "alexa");
    tokens.store(grant).await.expect("store");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        tokens.token(false).await.expect("token"),
        first,
        "renewed at half its lifetime"
    );
    // 90 % of 4 s is 3.6 s: past it, and before the token expires, a new one.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let second = tokens.token(false).await.expect("token");
    assert_ne!(second, first, "not renewed at 92 % of its lifetime");
    assert_eq!(sandbox.status().await.tokens_issued, 2);
}
