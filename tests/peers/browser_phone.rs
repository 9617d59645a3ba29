//! The sandbox's browser phone (`/phone`) in Chromium, against Dialtone through the same
//! sandbox: the page registers over the CAMARA APIs, takes its events from the sandbox's
//! stream, and calls and takes calls with libwebrtc. Each side checks the other by ear
//! (the page sends its 440 Hz test tone, Dialtone 1 kHz), holds and resumes the other, and
//! the page's DTMF reaches Dialtone.

use dialtone_core::call::{Address, CallEvent, Command};
use dialtone_e2e::chromium::Chromium;
use dialtone_e2e::line::{Line, line, sandbox};
use serde_json::Value;
use std::time::{Duration, Instant};

const PAGE_HZ: f64 = 440.0;
const DIALTONE_HZ: f64 = 1000.0;

async fn info(page: &Chromium) -> Value {
    page.eval("return await phone.info();").await
}

/// Waits until the page's `info()` satisfies `pred`; panics with the last one.
async fn page_until(page: &Chromium, within: Duration, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let i = info(page).await;
        if pred(&i) {
            return i;
        }
        if start.elapsed() > within {
            panic!("the page never got {what}: {i}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn hears(i: &Value, freq: f64) -> bool {
    (i["freq"].as_f64().unwrap_or(0.0) - freq).abs() < 30.0 && i["level"].as_f64().unwrap_or(-100.0) > -50.0
}

async fn page_number(page: &Chromium) -> String {
    let i = page_until(page, Duration::from_secs(10), "registered", |i| {
        i["state"] == "Idle"
    })
    .await;
    page.eval("document.getElementById('tone').checked = true;").await;
    i["number"].as_str().expect("number").to_owned()
}

/// Dialtone registered on the sandbox, and the number it got (the one that is not the page's).
async fn dialtone_registered(sb: &dialtone_sandbox::Sandbox, page_number: &str) -> (Line, String) {
    let us = line(sb, DIALTONE_HZ).await;
    us.call.command(Command::Register).await.expect("register");
    us.wait("Idle", Duration::from_secs(5)).await;
    let number = sb
        .status()
        .await
        .registrations
        .into_iter()
        .map(|r| r.phone_number)
        .find(|n| n != page_number)
        .expect("Dialtone's registration");
    (us, number)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_phone_calls_dialtone_and_dialtone_calls_it_back_with_hold_and_dtmf() {
    let sb = sandbox(Default::default()).await;
    let page = Chromium::start().await;
    page.open(&format!("{}/phone", sb.base_url())).await;
    let theirs = page_number(&page).await;
    let (us, ours) = dialtone_registered(&sb, &theirs).await;

    // The page calls Dialtone.
    page.eval(&format!("await phone.call('{ours}');")).await;
    us.wait("Alerting", Duration::from_secs(5)).await;
    us.call.command(Command::Answer).await.expect("answer");
    us.wait("Connected", Duration::from_secs(10)).await;
    page_until(&page, Duration::from_secs(5), "Connected", |i| {
        i["state"] == "Connected"
    })
    .await;
    assert!(
        us.hears(PAGE_HZ, Duration::from_secs(5)).await,
        "Dialtone does not hear the page"
    );
    page_until(&page, Duration::from_secs(5), "Dialtone's tone", |i| {
        hears(i, DIALTONE_HZ)
    })
    .await;

    // Dialtone holds the page (recvonly): the page is told, still sends, hears nothing.
    us.call.command(Command::Hold).await.expect("hold");
    us.wait("Held", Duration::from_secs(5)).await;
    page_until(&page, Duration::from_secs(5), "held", |i| {
        i["heldByFarEnd"] == true
    })
    .await;
    assert!(
        us.hears(PAGE_HZ, Duration::from_secs(2)).await,
        "holding, Dialtone lost the page"
    );
    page_until(&page, Duration::from_secs(3), "silence", |i| {
        !hears(i, DIALTONE_HZ)
    })
    .await;
    us.call.command(Command::Resume).await.expect("resume");
    us.wait("Connected", Duration::from_secs(5)).await;
    page_until(&page, Duration::from_secs(2), "Dialtone back", |i| {
        hears(i, DIALTONE_HZ)
    })
    .await;

    // The page's RTCDTMFSender reaches Dialtone.
    page.eval("phone.dtmf('159');").await;
    us.wait_event(
        Duration::from_secs(5),
        |e| matches!(e, CallEvent::Dtmf { digit, received: true } if digit == "9"),
    )
    .await;
    let digits: String = us
        .events()
        .into_iter()
        .filter_map(|e| match e {
            CallEvent::Dtmf {
                digit,
                received: true,
            } => Some(digit),
            _ => None,
        })
        .collect();
    assert_eq!(digits, "159");

    page.eval("await phone.hangUp();").await;
    let ended = us.wait("Ended", Duration::from_secs(5)).await;
    assert_eq!(ended.to_string(), "Ended (Terminated)");

    // Dialtone calls the page; the page answers, holds and resumes; Dialtone hangs up.
    let us = line(&sb, DIALTONE_HZ).await;
    us.call
        .command(Command::Dial(Address::parse(&theirs).expect("number")))
        .await
        .expect("dial");
    page_until(&page, Duration::from_secs(5), "the invitation", |i| {
        i["state"] == "Incoming"
    })
    .await;
    us.wait("Ringing", Duration::from_secs(5)).await;
    page.eval("await phone.answer();").await;
    us.wait("Connected", Duration::from_secs(10)).await;
    assert!(
        us.hears(PAGE_HZ, Duration::from_secs(5)).await,
        "no audio from the page it called"
    );
    page_until(&page, Duration::from_secs(5), "Dialtone's tone", |i| {
        hears(i, DIALTONE_HZ)
    })
    .await;
    page.eval("await phone.hold();").await;
    page_until(&page, Duration::from_secs(5), "Held", |i| i["state"] == "Held").await;
    us.wait_event(Duration::from_secs(5), |e| {
        matches!(e, CallEvent::RemoteHold { held: true })
    })
    .await;
    page.eval("await phone.resume();").await;
    page_until(&page, Duration::from_secs(5), "Connected again", |i| {
        i["state"] == "Connected"
    })
    .await;
    us.wait_event(Duration::from_secs(5), |e| {
        matches!(e, CallEvent::RemoteHold { held: false })
    })
    .await;
    assert!(
        us.hears(PAGE_HZ, Duration::from_secs(3)).await,
        "no audio after the page resumed"
    );
    us.call.command(Command::Hangup).await.expect("hang up");
    us.wait("Ended", Duration::from_secs(5)).await;
    let i = page_until(&page, Duration::from_secs(5), "the end", |i| i["state"] == "Idle").await;
    assert_eq!(i["lastError"], "", "{i}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sb.status().await.sessions.is_empty(), "a leg was left behind");
}
