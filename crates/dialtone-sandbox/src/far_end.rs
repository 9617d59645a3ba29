//! The sandbox's numbers and how each far end behaves. Every far end that answers is a
//! real WebRTC peer on Dialtone's media engine, bound to 127.0.0.1.

use crate::events::notify;
use crate::state::{Origin, Sandbox, Session, lock};
use dialtone_core::media::io::{EchoBridge, ToneSource};
use dialtone_core::media::{Direction, MediaError, MediaEvent, MediaSession};
use dialtone_core::signaling::camara::EventKind;
use dialtone_core::signaling::camara::wire::{MediaSession as EventData, SessionStatus, WrtcSdpDescriptor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Echo,
    Tone,
    Busy,
    NoAnswer,
    Declines,
    NotReachable,
    HoldsYou,
    HangsUp,
    RingsThenAnswers,
    Emergency,
    DropsOut,
    /// A tone far end that calls the client back from [`CALLBACK_FROM`] while up.
    CallsBack,
    /// A tone of its own ([`SECOND_TONE_HZ`]), to tell two calls apart.
    SecondTone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub number: &'static str,
    pub behaviour: Behaviour,
    pub description: &'static str,
}

/// 555-01xx is reserved for fiction.
pub const DIRECTORY: [DirectoryEntry; 13] = [
    DirectoryEntry {
        number: "+15550100",
        behaviour: Behaviour::Echo,
        description: "echo: answers at once and sends back what it receives",
    },
    DirectoryEntry {
        number: "+15550101",
        behaviour: Behaviour::Tone,
        description: "tone: plays 440 Hz, and 880 Hz while you hold it",
    },
    DirectoryEntry {
        number: "+15550102",
        behaviour: Behaviour::Busy,
        description: "busy",
    },
    DirectoryEntry {
        number: "+15550103",
        behaviour: Behaviour::NoAnswer,
        description: "rings and never answers (NoAnswer after 20 s)",
    },
    DirectoryEntry {
        number: "+15550104",
        behaviour: Behaviour::Declines,
        description: "rings, then declines",
    },
    DirectoryEntry {
        number: "+15550105",
        behaviour: Behaviour::NotReachable,
        description: "not reachable",
    },
    DirectoryEntry {
        number: "+15550106",
        behaviour: Behaviour::HoldsYou,
        description: "echo that puts you on hold after 3 s and resumes 3 s later",
    },
    DirectoryEntry {
        number: "+15550107",
        behaviour: Behaviour::HangsUp,
        description: "echo that hangs up after 5 s",
    },
    DirectoryEntry {
        number: "+15550108",
        behaviour: Behaviour::RingsThenAnswers,
        description: "rings for 3 s, then answers as echo",
    },
    DirectoryEntry {
        number: "+15550109",
        behaviour: Behaviour::Emergency,
        description: "accepts callType EMERGENCY with locationDetails; echo",
    },
    DirectoryEntry {
        number: "+15550110",
        behaviour: Behaviour::DropsOut,
        description: "echo whose network drops out for 8 s after 3 s (no_media, an ICE restart, audio back)",
    },
    DirectoryEntry {
        number: "+15550111",
        behaviour: Behaviour::CallsBack,
        description: "tone (as +15550101) that calls you back 3 s after answering, from +15550112: call waiting",
    },
    DirectoryEntry {
        number: CALLBACK_FROM,
        behaviour: Behaviour::SecondTone,
        description: "tone: plays 660 Hz, and 1320 Hz while you hold it (a second call to tell apart)",
    },
];

/// Who +15550111 calls you back as.
pub const CALLBACK_FROM: &str = "+15550112";
/// How long +15550111 waits after answering before it calls you back.
pub const CALLBACK_AFTER: Duration = Duration::from_secs(3);

/// The path of +15550110: everything lost both ways, 3 s into its media session, for 8 s.
pub const DROP_OUT: &str = "blackout=3s+8s";

/// The numbers the sandbox gives its registered clients, as `numbers` lists them.
pub const CLIENT_NUMBERS: &str = "+15550190…+15550199  registered clients (Dialtone, the browser phone at /phone): dialling one rings that client";

/// +15550190…+15550199: numbers a client may register.
pub fn is_client_number(n: &str) -> bool {
    n.strip_prefix("+1555019")
        .is_some_and(|d| d.len() == 1 && d.chars().all(|c| c.is_ascii_digit()))
}

/// The caller the sandbox uses when it calls you.
pub const SANDBOX_CALLER: &str = "+15550100";

pub fn lookup(number: &str) -> Option<&'static DirectoryEntry> {
    DIRECTORY.iter().find(|e| e.number == number)
}

/// Tone frequencies of +15550101 (and +15550111).
pub const TONE_HZ: f64 = 440.0;
pub const TONE_HELD_HZ: f64 = 880.0;
/// Tone frequencies of +15550112.
pub const SECOND_TONE_HZ: f64 = 660.0;
pub const SECOND_TONE_HELD_HZ: f64 = 1320.0;
/// How much of what a tone far end hears it keeps (for [`FarEnd::heard`]).
const HEARD_KEPT: Duration = Duration::from_secs(3);

/// A far end's media and the tasks that drive it.
pub struct FarEnd {
    pub media: Arc<MediaSession>,
    /// The RFC 4733 digits it has heard, in order (what a QA engineer checks).
    pub dtmf: Arc<std::sync::Mutex<String>>,
    /// The last seconds of what it heard (tone far ends: the echo sends it back).
    pub heard: Option<dialtone_core::media::io::TailSink>,
    tasks: Vec<JoinHandle<()>>,
}

impl FarEnd {
    /// Wraps `media`, recording the digits it receives.
    fn new(media: Arc<MediaSession>, mut tasks: Vec<JoinHandle<()>>) -> FarEnd {
        let dtmf = Arc::new(std::sync::Mutex::new(String::new()));
        let mut events = media.subscribe();
        let heard = dtmf.clone();
        tasks.push(tokio::spawn(async move {
            while let Ok(e) = events.recv().await {
                if let MediaEvent::Dtmf(d) = e {
                    lock(&heard).push(d.digit);
                }
            }
        }));
        FarEnd {
            media,
            dtmf,
            heard: None,
            tasks,
        }
    }

    pub async fn echo(s: &Sandbox) -> Result<FarEnd, MediaError> {
        Self::echo_with(s.config.media.clone()).await
    }

    async fn echo_with(config: dialtone_core::media::MediaConfig) -> Result<FarEnd, MediaError> {
        let bridge = EchoBridge::new();
        let media = MediaSession::new(config, bridge.clone(), bridge).await?;
        Ok(FarEnd::new(Arc::new(media), Vec::new()))
    }

    /// An echo behind a network that drops out ([`DROP_OUT`]).
    pub async fn dropping_out(s: &Sandbox) -> Result<FarEnd, MediaError> {
        let mut config = s.config.media.clone();
        config.impairment = DROP_OUT
            .parse()
            .ok()
            .map(dialtone_core::media::impair::ImpairmentDial::new);
        config.runtime = None;
        Self::echo_with(config).await
    }

    /// Plays a tone that changes while the far end is held (it no longer receives).
    pub async fn tone(s: &Sandbox) -> Result<FarEnd, MediaError> {
        Self::tone_at(s, TONE_HZ, TONE_HELD_HZ).await
    }

    /// The far end `number` calls the client as: its own tone, else an echo.
    pub async fn calling_as(s: &Sandbox, number: &str) -> Result<FarEnd, MediaError> {
        match lookup(number).map(|e| e.behaviour) {
            Some(Behaviour::Tone | Behaviour::CallsBack) => Self::tone(s).await,
            Some(Behaviour::SecondTone) => Self::second_tone(s).await,
            _ => Self::echo(s).await,
        }
    }

    pub async fn second_tone(s: &Sandbox) -> Result<FarEnd, MediaError> {
        Self::tone_at(s, SECOND_TONE_HZ, SECOND_TONE_HELD_HZ).await
    }

    async fn tone_at(s: &Sandbox, hz: f64, held_hz: f64) -> Result<FarEnd, MediaError> {
        let tone = ToneSource::new(hz, 0.3);
        let freq = tone.frequency_handle();
        let heard = dialtone_core::media::io::TailSink::new(HEARD_KEPT);
        let media = Arc::new(MediaSession::new(s.config.media.clone(), tone, heard.clone()).await?);
        let mut events = media.subscribe();
        let task = tokio::spawn(async move {
            while let Ok(e) = events.recv().await {
                if let MediaEvent::DirectionChanged(d) = e
                    && let Ok(mut f) = freq.lock()
                {
                    *f = if d.receives() { hz } else { held_hz };
                }
            }
        });
        let mut far = FarEnd::new(media, vec![task]);
        far.heard = Some(heard);
        Ok(far)
    }

    pub async fn close(self) {
        for t in &self.tasks {
            t.abort();
        }
        self.media.close().await;
    }
}

/// Sends a session-status event for `session`.
pub async fn status_event(
    s: &Sandbox,
    session: &Session,
    status: SessionStatus,
    offer: Option<String>,
    answer: Option<String>,
    reason: Option<&str>,
) {
    let data = {
        let info = lock(&session.info);
        EventData {
            originator_address: info.originator_address.clone(),
            receiver_address: info.receiver_address.clone(),
            status: Some(status),
            offer: offer.map(WrtcSdpDescriptor::new),
            answer: answer.map(WrtcSdpDescriptor::new),
            media_session_id: session.id.clone(),
            reason: reason.map(str::to_owned),
            sequence_number: Some(session.next_sequence()),
            ..Default::default()
        }
    };
    let to = crate::events::Target::session(&session.device_id, &session.id);
    notify(s, &to, EventKind::SessionStatus, &data).await;
}

/// Sleeps unless the session ends first; false when it ended.
async fn wait(session: &Session, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => true,
        _ = session.ended.notified() => false,
    }
}

/// Ends the session, then tells the client: the network's state is final before the
/// event announces it.
pub async fn finish(s: &Sandbox, session: &Session, status: SessionStatus, reason: &str) {
    s.end_session(&session.id, status).await;
    status_event(s, session, status, None, None, Some(reason)).await;
}

async fn ringing(s: &Sandbox, session: &Session) {
    session.set_status(SessionStatus::Ringing);
    status_event(
        s,
        session,
        SessionStatus::Ringing,
        None,
        None,
        Some("180 Ringing"),
    )
    .await;
}

/// Answers the client's offer with `far`, or fails the session with the reason.
async fn answer(s: &Sandbox, session: &Session, far: Result<FarEnd, MediaError>, offer: &str) -> bool {
    let far = match far {
        Ok(f) => f,
        Err(e) => {
            finish(s, session, SessionStatus::Failed, &e.to_string()).await;
            return false;
        }
    };
    match far.media.accept_offer(offer).await {
        Ok(answer) => {
            *session.far_end.lock().await = Some(far);
            {
                let mut info = lock(&session.info);
                info.status = Some(SessionStatus::Connected);
                info.answer = Some(WrtcSdpDescriptor::new(answer.clone()));
            }
            status_event(
                s,
                session,
                SessionStatus::Connected,
                None,
                Some(answer),
                Some("200 OK"),
            )
            .await;
            true
        }
        Err(e) => {
            far.close().await;
            finish(
                s,
                session,
                SessionStatus::Failed,
                &format!("the far end could not answer: {e}"),
            )
            .await;
            false
        }
    }
}

/// What happens after the client's POST /sessions, number by number.
pub async fn run_outgoing(
    s: Arc<Sandbox>,
    session: Arc<Session>,
    offer: String,
    behaviour: Option<Behaviour>,
) {
    let Some(behaviour) = behaviour else {
        finish(
            &s,
            &session,
            SessionStatus::NotReachable,
            "404 Not Found: not a sandbox number",
        )
        .await;
        return;
    };
    match behaviour {
        Behaviour::Busy => {
            if wait(&session, Duration::from_millis(200)).await {
                finish(&s, &session, SessionStatus::Busy, "486 Busy Here").await;
            }
        }
        Behaviour::NotReachable => finish(&s, &session, SessionStatus::NotReachable, "404 Not Found").await,
        Behaviour::Declines => {
            ringing(&s, &session).await;
            if wait(&session, Duration::from_secs(1)).await {
                finish(&s, &session, SessionStatus::Declined, "603 Decline").await;
            }
        }
        Behaviour::NoAnswer => {
            ringing(&s, &session).await;
            if wait(&session, s.config.no_answer_after).await {
                finish(&s, &session, SessionStatus::NoAnswer, "408 Request Timeout").await;
            }
        }
        Behaviour::RingsThenAnswers => {
            ringing(&s, &session).await;
            if wait(&session, Duration::from_secs(3)).await {
                answer(&s, &session, FarEnd::echo(&s).await, &offer).await;
            }
        }
        Behaviour::Echo | Behaviour::Emergency => {
            answer(&s, &session, FarEnd::echo(&s).await, &offer).await;
        }
        Behaviour::Tone => {
            answer(&s, &session, FarEnd::tone(&s).await, &offer).await;
        }
        Behaviour::DropsOut => {
            answer(&s, &session, FarEnd::dropping_out(&s).await, &offer).await;
        }
        Behaviour::SecondTone => {
            answer(&s, &session, FarEnd::second_tone(&s).await, &offer).await;
        }
        Behaviour::CallsBack => {
            if answer(&s, &session, FarEnd::tone(&s).await, &offer).await
                && wait(&session, CALLBACK_AFTER).await
                && let Err(e) = crate::control::call_device(&s, &session.device_id, CALLBACK_FROM).await
            {
                tracing::warn!(error = %e, "could not call the client back");
            }
        }
        Behaviour::HangsUp => {
            if answer(&s, &session, FarEnd::echo(&s).await, &offer).await
                && wait(&session, Duration::from_secs(5)).await
            {
                finish(&s, &session, SessionStatus::Terminated, "BYE").await;
            }
        }
        Behaviour::HoldsYou => {
            if !answer(&s, &session, FarEnd::echo(&s).await, &offer).await
                || !wait(&session, Duration::from_secs(3)).await
            {
                return;
            }
            far_renegotiation(&s, &session, SessionStatus::Hold).await;
            if wait(&session, Duration::from_secs(3)).await {
                far_renegotiation(&s, &session, SessionStatus::Resume).await;
            }
        }
    }
}

/// The far end holds (`sendonly`) or resumes (`sendrecv`) the client: its offer goes out in
/// a session-status event, and the client's answer comes back through PUT /status.
async fn far_renegotiation(s: &Sandbox, session: &Session, status: SessionStatus) {
    let media = match session.far_end.lock().await.as_ref() {
        Some(f) => f.media.clone(),
        None => return,
    };
    let offer = match status {
        SessionStatus::Hold => media.hold_with(Direction::SendOnly).await,
        _ => media.resume().await,
    };
    let offer = match offer {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(error = %e, "far end could not re-offer");
            return;
        }
    };
    let (tx, rx) = oneshot::channel();
    *lock(&session.awaiting_answer) = Some(tx);
    session.set_status(status);
    status_event(s, session, status, Some(offer), None, None).await;
    let answer = tokio::select! {
        a = tokio::time::timeout(Duration::from_secs(10), rx) => a.ok().and_then(Result::ok),
        _ = session.ended.notified() => None,
    };
    match answer {
        Some(answer) => {
            if let Err(e) = media.accept_answer(&answer).await {
                tracing::warn!(error = %e, "the client's answer to the far end's re-offer failed");
            }
            if status == SessionStatus::Resume {
                session.set_status(SessionStatus::Connected);
            }
        }
        None => {
            lock(&session.awaiting_answer).take();
            let _ = media.cancel_offer().await;
        }
    }
}

/// The sandbox calls the client: a session-invitation with the far end's offer, then
/// the far end waits for the client to accept (PUT Connected) or decline (DELETE).
pub async fn run_incoming(
    s: Arc<Sandbox>,
    session: Arc<Session>,
    far: FarEnd,
    rx: oneshot::Receiver<String>,
) {
    let media = far.media.clone();
    *session.far_end.lock().await = Some(far);
    let answer = tokio::select! {
        a = tokio::time::timeout(Duration::from_secs(60), rx) => a.ok().and_then(Result::ok),
        _ = session.ended.notified() => return,
    };
    let Some(answer) = answer else {
        finish(
            &s,
            &session,
            SessionStatus::SessionCancelled,
            "487 Request Terminated: nobody answered",
        )
        .await;
        return;
    };
    match media.accept_answer(&answer).await {
        Ok(_) => session.set_status(SessionStatus::Connected),
        Err(e) => {
            finish(
                &s,
                &session,
                SessionStatus::Failed,
                &format!("the client's answer failed: {e}"),
            )
            .await
        }
    }
    debug_assert_eq!(session.origin, Origin::Incoming);
}
