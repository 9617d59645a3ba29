//! The event sink over HTTPS with a generated certificate: the sandbox delivers the
//! answer and an invitation to it when it trusts the certificate, and a sink it does not
//! trust gets nothing (the call still connects by polling GET).

use dialtone_core::call::Command;
use dialtone_core::net::LocalTls;
use dialtone_core::signaling::camara::{CamaraConfig, CamaraEndpoints};
use dialtone_e2e::line::{Line, line_with, provider_on, sandbox};
use dialtone_sandbox::{Sandbox, SandboxConfig};
use std::sync::Arc;
use std::time::Duration;

/// A line whose sink speaks HTTPS; `poll_after` decides how soon it falls back to GET.
fn https_line(sandbox: &Sandbox, tls: Arc<LocalTls>, poll_after: Duration) -> Line {
    let mut config = CamaraConfig::new(dialtone_core::new_device_id());
    config.sink_tls = Some(tls);
    config.poll_after = poll_after;
    let endpoints = CamaraEndpoints::under(&sandbox.base_url(), sandbox.camara());
    line_with(
        provider_on(sandbox, endpoints, config, Duration::from_secs(5)),
        1000.0,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_an_https_sink_the_operator_trusts() {
    let tls = Arc::new(LocalTls::generate().expect("certificate"));
    let sandbox = sandbox(SandboxConfig {
        sink_certificates: vec![tls.certificate_pem().to_owned()],
        ..Default::default()
    })
    .await;
    // Polling would take a minute: only an event can connect this call in time.
    let a = https_line(&sandbox, tls, Duration::from_secs(60));
    a.dial("+15550108").await;
    a.wait("Ringing", Duration::from_secs(5)).await;
    a.wait("Connected", Duration::from_secs(8)).await;
    assert!(a.hears(1000.0, Duration::from_secs(3)).await, "no echo");
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;

    // An invitation arrives over the same sink.
    sandbox.call_me(None).await.expect("call me");
    a.wait("Alerting", Duration::from_secs(5)).await;
    a.call.command(Command::Decline).await.expect("decline");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = sandbox.status().await;
    assert!(status.sessions.is_empty());
    assert!(status.events_delivered >= 3, "{status:?}");
    assert_eq!(status.events_failed, 0, "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_sink_certificate_gets_no_events_and_polling_still_connects() {
    let tls = Arc::new(LocalTls::generate().expect("certificate"));
    // The sandbox trusts another certificate, not ours.
    let other = LocalTls::generate().expect("certificate");
    let sandbox = sandbox(SandboxConfig {
        sink_certificates: vec![other.certificate_pem().to_owned()],
        ..Default::default()
    })
    .await;
    let a = https_line(&sandbox, tls, Duration::from_secs(2));
    a.dial("+15550108").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;
    // The Connected event may still be failing its handshake: polling saw the state first.
    let mut status = sandbox.status().await;
    for _ in 0..100 {
        if status.events_failed >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = sandbox.status().await;
    }
    assert_eq!(
        status.events_delivered, 0,
        "an event got through an untrusted certificate"
    );
    assert!(status.events_failed >= 2, "{status:?}");
}

/// `--https-sink` (`CamaraConfig::https_sink`): the sink speaks HTTPS even though the
/// operator is on this machine, so the subscriptions name an `https://` sink, as the
/// specs' `^https://` pattern wants.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_that_asks_for_an_https_sink_gets_one_on_loopback_too() {
    use dialtone_core::call::SignalOp;
    use dialtone_core::signaling::SignalingProvider;
    let sandbox = sandbox(SandboxConfig::default()).await;
    let endpoints = CamaraEndpoints::under(&sandbox.base_url(), sandbox.camara());
    for (https_sink, scheme) in [(false, "http://"), (true, "https://")] {
        let mut config = CamaraConfig::new(dialtone_core::new_device_id());
        config.https_sink = https_sink;
        let p = provider_on(&sandbox, endpoints.clone(), config, Duration::from_secs(5));
        assert_eq!(p.sink_certificate_pem().is_some(), https_sink);
        p.request(dialtone_core::call::LINE, SignalOp::Register)
            .await
            .expect("register");
        let sinks = sandbox.status().await.subscription_sinks;
        assert!(
            !sinks.is_empty() && sinks.iter().all(|s| s.starts_with(scheme)),
            "{https_sink}: {sinks:?}"
        );
        p.shutdown().await;
    }
}
