//! The CLI over Alexa: `listen --network alexa` answers a device with the same script
//! and events as a CAMARA call; `alexa start-session` refuses each rule the CLI can break
//! before any request, rings a Dialtone client's number as InitiateOutboundCall, and
//! returns the API's error statuses as their exception names.

use dialtone_core::call::{CallEvent, Command};
use dialtone_core::signaling::alexa::client::exception;
use dialtone_e2e::cli::{Cli, json_lines, states};
use dialtone_e2e::line::{alexa_line, sandbox};
use dialtone_sandbox::FaultKind;
use std::process::Output;
use std::time::Duration;

async fn start_session(url: &str, args: &[&str]) -> Output {
    let mut all = vec!["alexa", "start-session", "--json", "--sandbox", url];
    all.extend_from_slice(args);
    run_cli(&all, &[]).await
}

/// A client registered on the sandbox's skill relay, and the number it answers at.
async fn registered_client(sandbox: &dialtone_sandbox::Sandbox) -> (dialtone_e2e::line::Line, String) {
    let a = alexa_line(sandbox, 1000.0).await;
    a.call.command(Command::Register).await.expect("register");
    a.wait("Idle", Duration::from_secs(5)).await;
    let number = sandbox.alexa_numbers().pop().expect("a number on the relay");
    (a, number)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_the_cli_can_break_is_refused_before_anything_is_sent() {
    let sandbox = sandbox(Default::default()).await;
    let url = sandbox.base_url();
    let long_device = "d".repeat(513);
    let long_id = "s".repeat(101);
    let cases: [(&[&str], &str); 6] = [
        (
            &["--device", "", "--from", "+12045551111", "--to", "+15550190"],
            "endpointId",
        ),
        (
            &[
                "--device",
                &long_device,
                "--from",
                "+12045551111",
                "--to",
                "+15550190",
            ],
            "it has 513",
        ),
        (
            &[
                "--device",
                "kitchen",
                "--from",
                "+1 204 555 1111",
                "--to",
                "+15550190",
            ],
            "write it as +12045551111",
        ),
        (
            &[
                "--device",
                "kitchen",
                "--from",
                "+12045551111",
                "--to",
                "15550190",
            ],
            "start with +",
        ),
        (
            &[
                "--device",
                "kitchen",
                "--from",
                "+12045551111",
                "--to",
                "+15550190",
                "--client-session-id",
                "",
            ],
            "clientSessionId",
        ),
        (
            &[
                "--device",
                "kitchen",
                "--from",
                "+12045551111",
                "--to",
                "+15550190",
                "--client-session-id",
                &long_id,
            ],
            "it has 101",
        ),
    ];
    for (args, reason) in cases {
        let out = start_session(&url, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let events = json_lines(&out.stdout);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["code"], "INVALID_INPUT");
        let message = events[0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("not sent: ") && message.contains(reason),
            "{args:?}: {message}"
        );
    }
    let status = sandbox.status().await;
    assert_eq!(
        (status.requests, status.tokens_issued),
        (0, 0),
        "something was sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_to_a_dialtone_number_rings_the_client_and_connects() {
    let sandbox = sandbox(Default::default()).await;
    let (a, number) = registered_client(&sandbox).await;
    let out = start_session(
        &sandbox.base_url(),
        &["--device", "kitchen", "--from", "+12045551111", "--to", &number],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = json_lines(&out.stdout);
    let session = events[0]["sessionId"].as_str().expect("sessionId").to_owned();
    assert_eq!(events[0]["clientSessionId"].as_str().map(str::len), Some(36));
    answer_the_device(&a, "alexa:kitchen").await;
    assert_eq!(
        sandbox.alexa_log(&session).first().map(String::as_str),
        Some("←InitiateOutboundCall")
    );
    // A number nobody registered is the API's 404.
    let out = start_session(
        &sandbox.base_url(),
        &[
            "--device",
            "kitchen",
            "--from",
            "+12045551111",
            "--to",
            "+15550177",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out.stdout)[0]["code"], "InvalidInput");
}

/// As a skill calls it: the apiAccessToken and deviceId of the skill request Alexa sent,
/// from the request itself or from the environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skill_starts_a_session_with_its_requests_token_and_device_id() {
    let sandbox = sandbox(Default::default()).await;
    let (a, number) = registered_client(&sandbox).await;
    let skill_request = skill_request(&sandbox, "den").await;
    let file = std::env::temp_dir().join(format!("dialtone-skill-request-{}.json", std::process::id()));
    std::fs::write(&file, skill_request.to_string()).expect("write");
    let path = file.to_string_lossy().into_owned();
    let out = run_cli(
        &[
            "alexa",
            "start-session",
            "--json",
            "--skill-request",
            &path,
            "--from",
            "+12045551111",
            "--to",
            &number,
        ],
        &[],
    )
    .await;
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let session = json_lines(&out.stdout)[0]["sessionId"]
        .as_str()
        .expect("sessionId")
        .to_owned();
    answer_the_device(&a, "alexa:den").await;
    assert!(
        sandbox
            .alexa_log(&session)
            .first()
            .is_some_and(|m| m == "←InitiateOutboundCall")
    );
    a.call.command(Command::Hangup).await.expect("hang up");
    a.wait("Ended", Duration::from_secs(5)).await;

    // --device-id with the token in the environment, never on the command line.
    let system = &skill_request["context"]["System"];
    let device_id = system["device"]["deviceId"].as_str().expect("deviceId");
    let token = system["apiAccessToken"].as_str().expect("apiAccessToken");
    let api = system["apiEndpoint"].as_str().expect("apiEndpoint");
    let args = [
        "alexa",
        "start-session",
        "--json",
        "--device-id",
        device_id,
        "--api-endpoint",
        api,
        "--from",
        "+12045551111",
        "--to",
        &number,
    ];
    let out = run_cli(&args, &[]).await;
    assert_eq!(out.status.code(), Some(2), "no token: refused before sending");
    assert!(
        json_lines(&out.stdout)[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ALEXA_API_ACCESS_TOKEN"))
    );
    let out = run_cli(&args, &[("ALEXA_API_ACCESS_TOKEN", token)]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    a.wait("Alerting", Duration::from_secs(5)).await;
    a.call.command(Command::Decline).await.expect("decline");
}

/// The device `device` rings `a`; `a` answers and hears its echo.
async fn answer_the_device(a: &dialtone_e2e::line::Line, device: &str) {
    a.wait("Alerting", Duration::from_secs(5)).await;
    assert!(
        a.events()
            .iter()
            .any(|e| matches!(e, CallEvent::Incoming { from } if from == device)),
        "{:?}",
        a.events()
    );
    a.call.command(Command::Answer).await.expect("answer");
    a.wait("Connected", Duration::from_secs(10)).await;
    assert!(a.hears(1000.0, Duration::from_secs(3)).await, "no echo");
}

async fn skill_request(sandbox: &dialtone_sandbox::Sandbox, device: &str) -> serde_json::Value {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http")
        .post(format!("{}/sandbox/v1/alexa/skill-request", sandbox.base_url()))
        .json(&serde_json::json!({"device": device}))
        .send()
        .await
        .expect("skill request")
        .json()
        .await
        .expect("json")
}

async fn run_cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tokio::task::spawn_blocking(move || {
        let cli = Cli::new(env!("CARGO_BIN_EXE_dialtone"));
        let mut c = cli.cmd();
        c.args(&args).env_remove("ALEXA_API_ACCESS_TOKEN");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run dialtone")
    })
    .await
    .expect("join")
}

/// Each of the reference's errors, as the sandbox's Alexa gives it for the reason the
/// reference names (no fault injected): a bad request, a bad token, a token without the
/// calling permission.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apis_errors_come_for_their_documented_reasons() {
    let sandbox = sandbox(Default::default()).await;
    let api = format!("{}{}", sandbox.base_url(), dialtone_sandbox::alexa::API_ROOT);
    let camara_token = camara_token(&sandbox).await;
    for (device_id, token, code) in [
        (
            "amzn1.ask.device.NOSUCHDEVICE",
            skill_token(&sandbox).await,
            "InvalidInput",
        ),
        (
            "amzn1.ask.device.SANDBOXKITCHEN",
            "not-a-token".to_owned(),
            "BadToken",
        ),
        ("amzn1.ask.device.SANDBOXKITCHEN", camara_token, "AccessDenied"),
    ] {
        let out = run_cli(
            &[
                "alexa",
                "start-session",
                "--json",
                "--device-id",
                device_id,
                "--api-endpoint",
                &api,
                "--from",
                "+12045551111",
                "--to",
                "+15550190",
            ],
            &[("ALEXA_API_ACCESS_TOKEN", &token)],
        )
        .await;
        assert_eq!(out.status.code(), Some(1), "{code}");
        let e = &json_lines(&out.stdout)[0];
        assert_eq!(e["code"], code, "{e}");
    }
}

/// A token of the sandbox's CAMARA operator: good, but without the calling permission.
async fn camara_token(sandbox: &dialtone_sandbox::Sandbox) -> String {
    let c = sandbox.credentials();
    let v: serde_json::Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http")
        .post(&c.token_url)
        .basic_auth(&c.client_id, Some(&c.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    v["access_token"].as_str().expect("access_token").to_owned()
}

async fn skill_token(sandbox: &dialtone_sandbox::Sandbox) -> String {
    skill_request(sandbox, "kitchen").await["context"]["System"]["apiAccessToken"]
        .as_str()
        .expect("token")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apis_errors_come_back_as_their_exception_names() {
    let sandbox = sandbox(Default::default()).await;
    let args = [
        "--device",
        "kitchen",
        "--from",
        "+12045551111",
        "--to",
        "+15550190",
    ];
    // 401 and 429 earn one retry: inject two.
    for (status, faults, name) in [
        (400, 1, "InvalidInput"),
        (401, 2, "BadToken"),
        (403, 1, "AccessDenied"),
        (429, 2, "Throttling"),
        (500, 1, "InternalServerError"),
    ] {
        assert_eq!(exception(status), name);
        if status == 429 {
            // The fault switch a person uses, as the test does.
            let r = reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("http")
                .post(format!("{}/sandbox/v1/faults", sandbox.base_url()))
                .bearer_auth(sandbox.credentials().control_token)
                .json(&serde_json::json!({"status": status, "count": faults}))
                .send()
                .await
                .expect("fault switch");
            assert_eq!(r.status().as_u16(), 204);
        } else {
            sandbox.inject_fault(FaultKind::Status(status), faults);
        }
        let out = start_session(&sandbox.base_url(), &args).await;
        assert_eq!(out.status.code(), Some(1), "{status}");
        let e = &json_lines(&out.stdout)[0];
        assert_eq!(e["code"], name, "{e}");
        assert!(
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("starting the communication session failed")),
            "{e}"
        );
    }
}

#[test]
fn listen_over_alexa_answers_the_device_and_runs_the_script() {
    let out = Cli::new(env!("CARGO_BIN_EXE_dialtone")).run(&[
        "listen",
        "--network",
        "alexa",
        "--auto-answer",
        "--calls",
        "1",
        "--call-me-after",
        "500ms",
        "--json",
        "--script",
        "wait 1s; hold; wait 1s; resume; wait 500ms; hangup",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = json_lines(&out.stdout);
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "incoming" && e["from"] == "alexa:kitchen"),
        "{events:?}"
    );
    let key: Vec<String> = states(&events)
        .into_iter()
        .filter(|s| ["Alerting", "Connected", "Held", "Ended"].contains(&s.as_str()))
        .collect();
    assert_eq!(key, ["Alerting", "Connected", "Held", "Connected", "Ended"]);
    let held = events
        .iter()
        .filter(|e| e["event"] == "media")
        .any(|e| e["direction"] == "recvonly");
    assert!(held, "no media event with direction recvonly");
}

#[test]
fn an_alexa_account_signs_in_through_the_browser_and_calls_with_its_keyring_token() {
    if !dialtone_e2e::cli::in_keyring_session(
        "an_alexa_account_signs_in_through_the_browser_and_calls_with_its_keyring_token",
    ) {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = rt.block_on(sandbox(Default::default()));
    let root = sb.base_url();
    let cli = Cli::new(env!("CARGO_BIN_EXE_dialtone"));
    let c = sb.credentials();
    let added = cli.run_with_stdin(
        &[
            "accounts",
            "add-alexa",
            "home",
            "--region",
            "eu",
            "--client-id",
            &c.lwa_client_id,
            "--relay",
            &format!("{root}/alexa/relay"),
            "--api-root",
            &format!("{root}/alexa"),
            "--lwa-root",
            &format!("{root}/lwa"),
        ],
        &format!("{}\n", c.lwa_client_secret),
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert_eq!(
        dialtone_e2e::cli::keyring_lookup("home/client-secret").as_deref(),
        Some(c.lwa_client_secret.as_str())
    );

    // Sign in: the test is the browser that opens the printed URL.
    let mut child = cli
        .cmd()
        .args(["accounts", "sign-in", "home", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn sign-in");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).expect("the sign-in URL");
    let url = serde_json::from_str::<serde_json::Value>(&first).expect("json")["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let page = rt.block_on(dialtone_e2e::browse(&url));
    assert!(page.contains("Signed in"), "{page}");
    let status = child.wait().expect("sign-in exits");
    assert!(status.success());
    let refresh =
        dialtone_e2e::cli::keyring_lookup("home/refresh-token").expect("refresh token in the keyring");
    assert!(refresh.starts_with("Atzr|"));
    let listed = json_lines(&cli.run(&["accounts", "list", "--json"]).stdout);
    assert!(
        listed
            .iter()
            .any(|a| a["name"] == "home" && a["signed_in"] == true && a["region"] == "EU"),
        "{listed:?}"
    );

    // A call on the account: its access token comes from the keyring's refresh token.
    let out = cli.run(&[
        "call",
        "alexa:kitchen",
        "--account",
        "home",
        "--json",
        "--script",
        "wait 500ms; hold; wait 500ms; resume; wait 500ms; hangup",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("using the account 'home'"));
    let key: Vec<String> = states(&json_lines(&out.stdout))
        .into_iter()
        .filter(|s| ["Connected", "Held", "Ended"].contains(&s.as_str()))
        .collect();
    assert_eq!(key, ["Connected", "Held", "Connected", "Ended"]);

    let removed = cli.run(&["accounts", "remove", "home"]);
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    assert_eq!(dialtone_e2e::cli::keyring_lookup("home/refresh-token"), None);
}
