//! Two Dialtones through one sandbox: dialling the number the sandbox gave a client rings
//! that client (the sandbox relays the signaling between the two legs, the media flows
//! between the clients). Both hear each other, a hold by the caller reaches the callee as
//! the network's own hold, and a hang-up on one side ends the other.

use dialtone_core::call::{Address, CallEvent, Command};
use dialtone_e2e::line::{Line, line, sandbox};
use dialtone_sandbox::Sandbox;
use std::time::Duration;

const CALLEE_HZ: f64 = 1000.0;
const CALLER_HZ: f64 = 2000.0;

/// Registers `a` and returns the number the sandbox gave it.
async fn registered(sb: &Sandbox, a: &Line) -> String {
    a.call.command(Command::Register).await.expect("register");
    a.wait("Idle", Duration::from_secs(5)).await;
    let regs = sb.status().await.registrations;
    assert_eq!(regs.len(), 1, "{regs:?}");
    regs[0].phone_number.clone()
}

async fn ringing(sb: &Sandbox) -> (Line, Line) {
    let callee = line(sb, CALLEE_HZ).await;
    let number = registered(sb, &callee).await;
    assert!(number.starts_with("+1555019"), "{number}");
    let caller = line(sb, CALLER_HZ).await;
    caller
        .call
        .command(Command::Dial(Address::parse(&number).expect("number")))
        .await
        .expect("dial");
    callee.wait("Alerting", Duration::from_secs(5)).await;
    caller.wait("Ringing", Duration::from_secs(5)).await;
    (callee, caller)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dialtones_call_each_other_hold_resume_and_hang_up() {
    let sb = sandbox(Default::default()).await;
    let (callee, caller) = ringing(&sb).await;
    let from = callee
        .events()
        .into_iter()
        .find_map(|e| match e {
            CallEvent::Incoming { from } => Some(from),
            _ => None,
        })
        .expect("incoming");
    let numbers: Vec<String> = sb
        .status()
        .await
        .registrations
        .into_iter()
        .map(|r| r.phone_number)
        .collect();
    assert!(
        numbers.contains(&from) && numbers.len() == 2,
        "the callee sees the caller's number: {from} ({numbers:?})"
    );

    callee.call.command(Command::Answer).await.expect("answer");
    callee.wait("Connected", Duration::from_secs(10)).await;
    caller.wait("Connected", Duration::from_secs(10)).await;
    assert!(
        caller.hears(CALLEE_HZ, Duration::from_secs(3)).await,
        "the caller hears nothing"
    );
    assert!(
        callee.hears(CALLER_HZ, Duration::from_secs(3)).await,
        "the callee hears nothing"
    );

    // The caller holds: recvonly, so it still hears the callee, and the callee hears it
    // stop and is told it is held.
    caller.call.command(Command::Hold).await.expect("hold");
    caller.wait("Held", Duration::from_secs(5)).await;
    callee
        .wait_event(Duration::from_secs(5), |e| {
            matches!(e, CallEvent::RemoteHold { held: true })
        })
        .await;
    assert!(
        caller.hears(CALLEE_HZ, Duration::from_secs(2)).await,
        "holding, the caller lost the callee"
    );
    assert!(
        !callee.hears(CALLER_HZ, Duration::from_millis(800)).await,
        "the held callee still hears the caller"
    );
    caller.call.command(Command::Resume).await.expect("resume");
    caller.wait("Connected", Duration::from_secs(5)).await;
    callee
        .wait_event(Duration::from_secs(5), |e| {
            matches!(e, CallEvent::RemoteHold { held: false })
        })
        .await;
    assert!(
        callee.hears(CALLER_HZ, Duration::from_secs(2)).await,
        "no audio after the resume"
    );

    callee.call.command(Command::Hangup).await.expect("hang up");
    callee.wait("Ended", Duration::from_secs(5)).await;
    let ended = caller.wait("Ended", Duration::from_secs(5)).await;
    assert_eq!(ended.to_string(), "Ended (Terminated)");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sb.status().await.sessions.is_empty(), "a leg was left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_client_call_ends_both_legs() {
    let sb = sandbox(Default::default()).await;
    let (callee, caller) = ringing(&sb).await;
    callee.call.command(Command::Decline).await.expect("decline");
    callee.wait("Ended", Duration::from_secs(5)).await;
    let ended = caller.wait("Ended", Duration::from_secs(5)).await;
    assert_eq!(ended.to_string(), "Ended (Declined)");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sb.status().await.sessions.is_empty(), "a leg was left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_number_nobody_holds_is_not_reachable() {
    let sb = sandbox(Default::default()).await;
    let caller = line(&sb, CALLER_HZ).await;
    caller
        .call
        .command(Command::Dial(Address::parse("+15550197").expect("number")))
        .await
        .expect("dial");
    let ended = caller.wait("Ended", Duration::from_secs(5)).await;
    assert_eq!(ended.to_string(), "Ended (NotReachable)");
}
