//! +15550109 takes callType EMERGENCY with locationDetails; an operator without
//! emergency support answers 501 CALLTYPE_EMERGENCY_NOT_SUPPORTED, explained.

use dialtone_core::call::CallEvent;
use dialtone_e2e::line::{line, sandbox};
use dialtone_sandbox::SandboxConfig;
use std::time::Duration;

fn location() -> serde_json::Value {
    serde_json::json!({"shape": "Circle", "coordinates": {"latitude": 50.7, "longitude": 7.1, "radius": 30.0}, "method": "GPS"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergency_call_with_location_connects() {
    let sandbox = sandbox(Default::default()).await;
    let a = line(&sandbox, 1000.0).await;
    a.phone.set_call_options(true, Some(location()));
    a.dial("+15550109").await;
    a.wait("Connected", Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergency_call_to_an_operator_without_support_fails_with_the_reason() {
    let sandbox = sandbox(SandboxConfig {
        emergency_supported: false,
        ..Default::default()
    })
    .await;
    let a = line(&sandbox, 1000.0).await;
    a.phone.set_call_options(true, Some(location()));
    a.dial("+15550109").await;
    let ended = a.wait("Ended", Duration::from_secs(10)).await;
    assert!(ended.to_string().contains("emergency"), "{ended}");
    let errors: Vec<_> = a
        .events()
        .into_iter()
        .filter(|e| matches!(e, CallEvent::Error { .. }))
        .collect();
    assert!(
        errors.iter().any(
            |e| matches!(e, CallEvent::Error { code, .. } if code == "CALLTYPE_EMERGENCY_NOT_SUPPORTED")
        ),
        "{errors:?}"
    );
    assert!(sandbox.status().await.sessions.is_empty());
}
