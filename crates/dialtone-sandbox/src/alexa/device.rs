//! The sandbox's Alexa devices (`alexa:<name>`): real WebRTC peers on Dialtone's media
//! engine, and their side of each flow. Some take the liberties Amazon's documents
//! allow: an answer only in CallInProgress, no acks, the enveloped form.

use super::amazon::{self, bare, ended, with_renegotiation, with_sdp};
use super::relay::{self, RelayEndpoint};
use super::{AlexaCall, Phase, end_call};
use crate::far_end::FarEnd;
use crate::state::{Sandbox, lock};
use dialtone_core::media::Direction;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// CallEnded's result codes.
pub mod result_codes {
    pub const SUCCESS: &str = "SUCCESS";
    pub const INTERNAL_ERROR: &str = "INTERNAL_ERROR";
    pub const DEVICE_BUSY: &str = "DEVICE_BUSY";
    pub const SESSION_TIMEOUT: &str = "SESSION_TIMEOUT";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Rings briefly, answers, sends back what it hears.
    Echo,
    /// Echo that puts you on hold after 3 s (CallUpdate CALL_HOLD) and resumes 3 s later.
    HoldsYou,
    /// Busy on another call: CallEnded DEVICE_BUSY.
    Busy,
}

/// How a device differs from the documented default, within what the documents allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    /// The answer in both CallInProgress and CallAccepted; acks; flat messages.
    None,
    /// The answer only in CallInProgress; CallAccepted with an empty `sdpDetails`.
    AnswersInProgress,
    /// Never acks the client's requests.
    NeverAcks,
    /// SPI events in the Alexa skill request envelope.
    Enveloped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    pub name: &'static str,
    pub behaviour: Behaviour,
    pub quirk: Quirk,
    pub description: &'static str,
}

pub const DEVICES: [Device; 6] = [
    Device {
        name: "kitchen",
        behaviour: Behaviour::Echo,
        quirk: Quirk::None,
        description: "an Echo in the kitchen: rings, answers, sends back what it hears",
    },
    Device {
        name: "office",
        behaviour: Behaviour::HoldsYou,
        quirk: Quirk::None,
        description: "echo that holds you after 3 s and resumes 3 s later (CallUpdate)",
    },
    Device {
        name: "bedroom",
        behaviour: Behaviour::Busy,
        quirk: Quirk::None,
        description: "busy on another call (CallEnded DEVICE_BUSY)",
    },
    Device {
        name: "den",
        behaviour: Behaviour::Echo,
        quirk: Quirk::AnswersInProgress,
        description: "echo that answers in CallInProgress and accepts without SDP",
    },
    Device {
        name: "attic",
        behaviour: Behaviour::Echo,
        quirk: Quirk::NeverAcks,
        description: "echo that never acks your requests",
    },
    Device {
        name: "garage",
        behaviour: Behaviour::Echo,
        quirk: Quirk::Enveloped,
        description: "echo whose events come in the skill request envelope",
    },
];

/// The device that calls the client by default.
pub const CALLER: &str = "kitchen";

impl Device {
    /// By name (`kitchen`) or by the endpointId a skill sees (`device_id`).
    pub fn lookup(name: &str) -> Option<Device> {
        DEVICES
            .into_iter()
            .find(|d| d.name.eq_ignore_ascii_case(name) || d.device_id() == name)
    }

    /// The `deviceId` a skill request names the device by (StartCommunicationSession's
    /// `endpointId`).
    pub fn device_id(&self) -> String {
        format!("amzn1.ask.device.SANDBOX{}", self.name.to_ascii_uppercase())
    }

    pub fn acks(&self) -> bool {
        self.quirk != Quirk::NeverAcks
    }

    pub fn enveloped(&self) -> bool {
        self.quirk == Quirk::Enveloped
    }
}

/// How long the device waits for each ack or answer from the client.
const CLIENT_WAIT: Duration = Duration::from_secs(10);

/// Delivers `m` and waits for the client's `reply`; None when the call ended, the
/// intake refused, or the client never answered.
async fn exchange(call: &AlexaCall, m: Value, reply: &'static str) -> Option<Value> {
    let rx = call.expect(reply);
    if !relay::deliver(call, &m).await {
        return None;
    }
    tokio::select! {
        r = tokio::time::timeout(CLIENT_WAIT, rx) => r.ok().and_then(Result::ok),
        _ = call.ended.notified() => None,
    }
}

/// Ends the call from Alexa's side with `code`.
pub async fn hang_up(s: &Sandbox, call: &AlexaCall, code: &str, message: &str) {
    relay::deliver(call, &ended(&call.id, code, message)).await;
    end_call(s, &call.id).await;
}

/// The client called `device`: CallRinging, CallInProgress and CallAccepted with the
/// device's answer, each waiting for its ack.
pub async fn ring(s: Arc<Sandbox>, call: Arc<AlexaCall>, device: Device, offer: String) {
    let ringing = bare("CallRinging", &call.id);
    if exchange(&call, ringing, "CallRingingAck").await.is_none() {
        return hang_up(
            &s,
            &call,
            result_codes::SESSION_TIMEOUT,
            "CallRinging was not acknowledged",
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    if device.behaviour == Behaviour::Busy {
        return hang_up(&s, &call, result_codes::DEVICE_BUSY, "The device is busy").await;
    }
    let far = match FarEnd::echo(&s).await {
        Ok(f) => f,
        Err(e) => return hang_up(&s, &call, result_codes::INTERNAL_ERROR, &e.to_string()).await,
    };
    let answer = match far.media.accept_offer(&offer).await {
        Ok(a) => a,
        Err(e) => {
            far.close().await;
            let why = format!("the device could not answer: {e}");
            return hang_up(&s, &call, result_codes::INTERNAL_ERROR, &why).await;
        }
    };
    *call.far_end.lock().await = Some(far);
    let progress = with_sdp(bare("CallInProgress", &call.id), "ANSWER", &answer);
    if exchange(&call, progress, "CallInProgressAck").await.is_none() {
        return hang_up(
            &s,
            &call,
            result_codes::SESSION_TIMEOUT,
            "CallInProgress was not acknowledged",
        )
        .await;
    }
    let accepted = match device.quirk {
        Quirk::AnswersInProgress => {
            let mut m = bare("CallAccepted", &call.id);
            m["sdpDetails"] = serde_json::json!({});
            m
        }
        _ => with_sdp(bare("CallAccepted", &call.id), "ANSWER", &answer),
    };
    if exchange(&call, accepted, "CallAcceptedAck").await.is_none() {
        return hang_up(
            &s,
            &call,
            result_codes::SESSION_TIMEOUT,
            "CallAccepted was not acknowledged",
        )
        .await;
    }
    if device.behaviour == Behaviour::HoldsYou {
        for hold in [true, false] {
            if !wait(&call, Duration::from_secs(3)).await {
                return;
            }
            if let Err(e) = renegotiate(&call, hold).await {
                tracing::warn!(error = %e, "the device could not re-offer");
            }
        }
    }
}

/// Sleeps unless the call ends first; false when it ended.
async fn wait(call: &AlexaCall, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => true,
        _ = call.ended.notified() => false,
    }
}

/// The client's answer to the device's offer (a call the device placed), from its
/// CallInProgress or CallAccepted: the first applies, a different later one replaces it,
/// the same one again changes nothing. Err when there is still no answer at all.
pub async fn take_answer(call: &AlexaCall, answer: Option<&str>) -> Result<(), String> {
    let media = call.device_media().await.ok_or("the device has hung up")?;
    let applied = lock(&call.client_answer).clone();
    let result = match (answer, applied) {
        (None, None) => return Err("no answer has come for the device's offer".into()),
        (None, Some(_)) => return Ok(()),
        (Some(a), Some(before)) if before.trim() == a.trim() => return Ok(()),
        (Some(a), Some(_)) => media.replace_answer(a).await,
        (Some(a), None) => media.accept_answer(a).await,
    };
    result.map_err(|e| e.to_string())?;
    *lock(&call.client_answer) = answer.map(str::to_owned);
    Ok(())
}

/// The client re-offered (hold, resume): the device answers in CallUpdateResponse and
/// waits for CallUpdateAck.
pub async fn answer_update(s: Arc<Sandbox>, call: Arc<AlexaCall>, kind: String, offer: String) {
    let Some(media) = call.device_media().await else {
        return;
    };
    let answer = match media.accept_offer(&offer).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "the device could not answer a re-offer");
            return hang_up(&s, &call, result_codes::INTERNAL_ERROR, &e.to_string()).await;
        }
    };
    let response = with_sdp(
        with_renegotiation(bare("CallUpdateResponse", &call.id), &kind),
        "ANSWER",
        &answer,
    );
    if exchange(&call, response, "CallUpdateAck").await.is_none() {
        tracing::info!(call = %call.id, "CallUpdateResponse was not acknowledged");
    }
}

/// The device holds (`sendonly`) or resumes the client with a CallUpdate, and applies the
/// client's CallUpdateResponse.
pub async fn renegotiate(call: &AlexaCall, hold: bool) -> Result<(), String> {
    let media = call.device_media().await.ok_or("the device has hung up")?;
    let (kind, offer) = if hold {
        ("CALL_HOLD", media.hold_with(Direction::SendOnly).await)
    } else {
        ("CALL_RESUME", media.resume().await)
    };
    let offer = offer.map_err(|e| e.to_string())?;
    let update = with_sdp(
        with_renegotiation(bare("CallUpdate", &call.id), kind),
        "OFFER",
        &offer,
    );
    let Some(response) = exchange(call, update, "CallUpdateResponse").await else {
        let _ = media.cancel_offer().await;
        return Err("the client did not answer the CallUpdate".into());
    };
    let answer = amazon::sdp(&response).ok_or("the CallUpdateResponse carries no answer")?;
    media.accept_answer(answer).await.map_err(|e| e.to_string())?;
    if call.device.acks() {
        relay::deliver(call, &bare("CallUpdateAck", &call.id)).await;
    }
    Ok(())
}

/// The device `from` calls the client registered at `to` (the newest when None):
/// InitiateOutboundCall with the device's offer. The client's requests drive the rest.
pub async fn call_client(s: &Arc<Sandbox>, from: &str, to: Option<&str>) -> Result<String, String> {
    let device = Device::lookup(from).ok_or_else(|| format!("no Alexa device named '{from}'"))?;
    let relay: RelayEndpoint = relay::find(s, to).ok_or("no client is registered with the skill relay")?;
    let far = FarEnd::echo(s).await.map_err(|e| e.to_string())?;
    let offer = far.media.create_offer().await.map_err(|e| e.to_string())?;
    let id = format!("amzn1.comms.session.{}", uuid::Uuid::new_v4().simple());
    let mut m = with_sdp(bare("InitiateOutboundCall", &id), "OFFER", &offer);
    m["participants"] = serde_json::json!([
        amazon::raw_participant(device.name, true),
        amazon::raw_participant(&relay.address, false),
    ]);
    let call = Arc::new(AlexaCall::new(&id, device, true, relay, Some(far)));
    lock(&s.alexa.calls).insert(id.clone(), call.clone());
    if !relay::deliver(&call, &m).await {
        end_call(s, &id).await;
        return Err("the client's intake did not take the call".into());
    }
    // Nobody answers within a minute: Alexa gives up.
    let (s2, call2) = (s.clone(), call.clone());
    tokio::spawn(async move {
        if wait(&call2, Duration::from_secs(60)).await && call2.phase() != Phase::Connected {
            hang_up(&s2, &call2, result_codes::SESSION_TIMEOUT, "Nobody answered").await;
        }
    });
    Ok(id)
}
