//! The sandbox's Alexa devices (`alexa:<name>`): real WebRTC peers on Dialtone's media
//! engine, and their side of each flow.

use super::relay::{self, RelayEndpoint};
use super::{AlexaCall, Phase, end_call};
use crate::far_end::FarEnd;
use crate::state::{Sandbox, lock};
use dialtone_core::media::Direction;
use dialtone_core::signaling::alexa::wire::{
    IdType, Message, Name, Participant, ParticipantId, RenegotiationType, SdpDetails, SdpType, result_codes,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Rings briefly, answers, sends back what it hears.
    Echo,
    /// Echo that puts you on hold after 3 s (CallUpdate CALL_HOLD) and resumes 3 s later.
    HoldsYou,
    /// Busy on another call: CallEnded DEVICE_BUSY.
    Busy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    pub name: &'static str,
    pub behaviour: Behaviour,
    pub description: &'static str,
}

pub const DEVICES: [Device; 3] = [
    Device {
        name: "kitchen",
        behaviour: Behaviour::Echo,
        description: "an Echo in the kitchen: rings, answers, sends back what it hears",
    },
    Device {
        name: "office",
        behaviour: Behaviour::HoldsYou,
        description: "echo that holds you after 3 s and resumes 3 s later (CallUpdate)",
    },
    Device {
        name: "bedroom",
        behaviour: Behaviour::Busy,
        description: "busy on another call (CallEnded DEVICE_BUSY)",
    },
];

/// The device that calls the client by default.
pub const CALLER: &str = "kitchen";

impl Device {
    pub fn lookup(name: &str) -> Option<Device> {
        DEVICES.into_iter().find(|d| d.name.eq_ignore_ascii_case(name))
    }
}

/// How long the device waits for each ack or answer from the client.
const CLIENT_WAIT: Duration = Duration::from_secs(10);

/// Delivers `m` and waits for the client's `reply`; None when the call ended, the
/// intake refused, or the client never answered.
async fn exchange(call: &AlexaCall, m: Message, reply: Name) -> Option<Message> {
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
    relay::deliver(call, &Message::ended(&call.id, code, message)).await;
    end_call(s, &call.id).await;
}

/// The client called `device`: CallRinging, CallInProgress and CallAccepted with the
/// device's answer, each waiting for its ack.
pub async fn ring(s: Arc<Sandbox>, call: Arc<AlexaCall>, device: Device, offer: String) {
    let ringing = Message::bare(Name::CallRinging, &call.id);
    if exchange(&call, ringing, Name::CallRingingAck).await.is_none() {
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
    let progress = Message::bare(Name::CallInProgress, &call.id).with_sdp(SdpDetails::answer(answer.clone()));
    if exchange(&call, progress, Name::CallInProgressAck).await.is_none() {
        return hang_up(
            &s,
            &call,
            result_codes::SESSION_TIMEOUT,
            "CallInProgress was not acknowledged",
        )
        .await;
    }
    let accepted = Message::bare(Name::CallAccepted, &call.id).with_sdp(SdpDetails::answer(answer));
    if exchange(&call, accepted, Name::CallAcceptedAck).await.is_none() {
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

/// The client's answer to the device's offer (a call the device placed).
pub async fn accept_answer(call: &AlexaCall, answer: &str) -> Result<(), String> {
    let media = call.device_media().await.ok_or("the device has hung up")?;
    media
        .accept_answer(answer)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The client re-offered (hold, resume): the device answers in CallUpdateResponse and
/// waits for CallUpdateAck.
pub async fn answer_update(s: Arc<Sandbox>, call: Arc<AlexaCall>, kind: RenegotiationType, offer: String) {
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
    let response = Message::bare(Name::CallUpdateResponse, &call.id)
        .with_renegotiation(kind)
        .with_sdp(SdpDetails::answer(answer));
    if exchange(&call, response, Name::CallUpdateAck).await.is_none() {
        tracing::info!(call = %call.id, "CallUpdateResponse was not acknowledged");
    }
}

/// The device holds (`sendonly`) or resumes the client with a CallUpdate, and applies the
/// client's CallUpdateResponse.
pub async fn renegotiate(call: &AlexaCall, hold: bool) -> Result<(), String> {
    let media = call.device_media().await.ok_or("the device has hung up")?;
    let (kind, offer) = if hold {
        (
            RenegotiationType::CallHold,
            media.hold_with(Direction::SendOnly).await,
        )
    } else {
        (RenegotiationType::CallResume, media.resume().await)
    };
    let offer = offer.map_err(|e| e.to_string())?;
    let update = Message::bare(Name::CallUpdate, &call.id)
        .with_renegotiation(kind)
        .with_sdp(SdpDetails::offer(offer));
    let Some(response) = exchange(call, update, Name::CallUpdateResponse).await else {
        let _ = media.cancel_offer().await;
        return Err("the client did not answer the CallUpdate".into());
    };
    let answer = response.sdp(SdpType::Answer)?.to_owned();
    media.accept_answer(&answer).await.map_err(|e| e.to_string())?;
    relay::deliver(call, &Message::bare(Name::CallUpdateAck, &call.id)).await;
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
    let mut m = Message::bare(Name::InitiateOutboundCall, &id).with_sdp(SdpDetails::offer(offer));
    m.participants = Some(vec![
        Participant {
            id: ParticipantId {
                kind: IdType::RawAddress,
                value: device.name.to_owned(),
            },
            is_originator: Some(true),
        },
        Participant {
            id: ParticipantId {
                kind: IdType::RawAddress,
                value: relay.address.clone(),
            },
            is_originator: Some(false),
        },
    ]);
    let call = Arc::new(AlexaCall {
        id: id.clone(),
        device: device.name.to_owned(),
        device_called: true,
        relay,
        phase: Mutex::new(Phase::Offered),
        awaiting: Mutex::default(),
        log: Mutex::default(),
        far_end: tokio::sync::Mutex::new(Some(far)),
        ended: tokio::sync::Notify::new(),
    });
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
