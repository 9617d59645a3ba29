//! Registration over time: refreshed before `expiresAt` (so incoming calls keep
//! arriving), and when the network ends it, the user is told and the client registers
//! again on its own. Access tokens that expire mid-call are renewed unnoticed.

use dialtone_core::call::{CallEvent, Command};
use dialtone_core::signaling::camara::{CamaraConfig, CamaraEndpoints};
use dialtone_e2e::line::{Line, line_with, provider_on, sandbox};
use dialtone_sandbox::{Sandbox, SandboxConfig};
use std::time::Duration;

fn line_refreshing(sandbox: &Sandbox, margin: Duration) -> Line {
    let mut config = CamaraConfig::new(dialtone_core::new_device_id());
    config.refresh_margin = margin;
    let endpoints = CamaraEndpoints::under(&sandbox.base_url(), sandbox.camara());
    line_with(
        provider_on(sandbox, endpoints, config, Duration::from_secs(5)),
        1000.0,
    )
}

async fn registered(a: &Line) {
    a.call.command(Command::Register).await.expect("register");
    a.wait("Idle", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registration_is_refreshed_before_it_expires() {
    // Registrations live 4 s here; the client refreshes 2 s before the end.
    let sandbox = sandbox(SandboxConfig {
        registration_ttl: Duration::from_secs(4),
        ..Default::default()
    })
    .await;
    let a = line_refreshing(&sandbox, Duration::from_secs(2));
    registered(&a).await;
    let first = sandbox.status().await.registrations[0].clone();
    // Twice the lifetime: without refreshes it would have ended.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let now = sandbox.status().await.registrations;
    assert_eq!(now.len(), 1, "the registration ended");
    assert_eq!(now[0].registration_id, first.registration_id);
    assert!(now[0].expires_at > first.expires_at, "{first:?} vs {now:?}");
    // And an incoming call still finds us.
    sandbox.call_me(None).await.expect("call me");
    a.wait("Alerting", Duration::from_secs(5)).await;
    a.call.command(Command::Decline).await.expect("decline");
    a.wait("Ended", Duration::from_secs(5)).await;
    assert!(
        !a.events().iter().any(|e| matches!(e, CallEvent::Error { .. })),
        "{:?}",
        a.events()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_the_network_ends_is_reported_and_made_again() {
    let sandbox = sandbox(Default::default()).await;
    let a = line_refreshing(&sandbox, Duration::from_secs(120));
    registered(&a).await;
    let first = sandbox.status().await.registrations[0].registration_id.clone();
    sandbox.end_registrations().await;
    // Registering again is transient: read it from the event log, not the current state.
    let start = std::time::Instant::now();
    while a.states().iter().filter(|s| *s == "Registering").count() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no new registration: {:?}",
            a.states()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.wait("Idle", Duration::from_secs(5)).await;
    let lost = a.events().into_iter().find_map(|e| match e {
        CallEvent::Error { code, message } if code == "REGISTRATION_LOST" => Some(message),
        _ => None,
    });
    let lost = lost.expect("the user was not told");
    assert!(lost.contains("NETWORK_TERMINATED"), "{lost}");
    let regs = sandbox.status().await.registrations;
    assert_eq!(regs.len(), 1);
    assert_ne!(regs[0].registration_id, first);
    // Old subscriptions were replaced, not piled up.
    assert_eq!(sandbox.status().await.subscriptions, 3);
    // Incoming calls reach the new registration.
    sandbox.call_me(None).await.expect("call me");
    a.wait("Alerting", Duration::from_secs(5)).await;
    a.call.command(Command::Answer).await.expect("answer");
    a.wait("Connected", Duration::from_secs(10)).await;
    assert!(a.hears(1000.0, Duration::from_secs(3)).await, "no echo");
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_that_expire_mid_call_are_renewed_unnoticed() {
    // Tokens live 2 s; a 6 s call with a hold and a resume spans several of them.
    let sandbox = sandbox(SandboxConfig {
        token_ttl: Duration::from_secs(2),
        ..Default::default()
    })
    .await;
    let a = line_refreshing(&sandbox, Duration::from_secs(120));
    a.dial("+15550100").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    a.call.command(Command::Hold).await.expect("hold");
    a.wait("Held", Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    a.call.command(Command::Resume).await.expect("resume");
    a.wait("Connected", Duration::from_secs(5)).await;
    assert!(
        a.hears(1000.0, Duration::from_secs(3)).await,
        "no echo after resume"
    );
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;
    let status = sandbox.status().await;
    assert!(status.tokens_issued >= 3, "{status:?}");
    assert!(
        !a.events().iter().any(|e| matches!(e, CallEvent::Error { .. })),
        "{:?}",
        a.events()
    );
    assert!(status.sessions.is_empty());
}
