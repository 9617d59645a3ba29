//! What the CLI prints: JSON lines (`--json`) or a readable log. Notes and errors also
//! go to stderr, so stdout stays machine-readable.

use dialtone_core::audio::level::SILENCE_DBFS;
use dialtone_core::audio::{AudioBackend, AudioEvent};
use dialtone_core::call::{CallEvent, LineEvent};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

#[derive(Clone)]
pub struct Reporter {
    json: bool,
    start: Instant,
    /// The call report the level meters also feed (`--report`).
    report: Option<crate::report::Shared>,
}

pub struct Printer(JoinHandle<()>);

impl Printer {
    /// Waits for the last events to print (the driver has stopped by now).
    pub async fn finish(self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.0).await;
    }
}

impl Reporter {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            start: Instant::now(),
            report: None,
        }
    }

    pub fn set_report(&mut self, report: Option<crate::report::Shared>) {
        self.report = report;
    }

    fn t_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn line(&self, value: serde_json::Value) {
        let mut v = value;
        if let Some(o) = v.as_object_mut() {
            o.insert("t_ms".into(), self.t_ms().into());
        }
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{v}");
        let _ = stdout.flush();
    }

    /// One event; JSON lines carry the call's id (`"call":2`; 0 for the line's own).
    pub fn event(&self, le: &LineEvent) {
        if self.json {
            self.line(serde_json::to_value(le).unwrap_or_default());
            return;
        }
        let t = self.start.elapsed().as_secs_f64();
        let e = &le.event;
        let text = match e {
            CallEvent::State {
                state, reason: None, ..
            } => state.clone(),
            CallEvent::State {
                state,
                reason: Some(r),
                ..
            } => format!("{state} ({r})"),
            CallEvent::Incoming { from } => format!("incoming call from {from}"),
            CallEvent::Media {
                direction,
                rtp_sent,
                rtp_received,
                ..
            } => format!(
                "media {}: {rtp_sent} packets sent, {rtp_received} received",
                direction.map_or("-".to_owned(), |d| d.to_string())
            ),
            CallEvent::Stats {
                rtt_ms,
                jitter_ms,
                loss_pct,
                codec,
                jitter_buffer_ms,
                fec_pct,
                quality,
            } => format!(
                "quality: {} MOS {:.1}, rtt {}, jitter {jitter_ms:.1} ms, loss {loss_pct:.1} %, buffer {jitter_buffer_ms:.0} ms{}{}",
                codec.as_deref().unwrap_or("-"),
                quality.mos,
                rtt_ms.map_or("-".to_owned(), |r| format!("{r:.1} ms")),
                if *fec_pct > 0 {
                    format!(", FEC for {fec_pct} % loss")
                } else {
                    String::new()
                },
                quality
                    .warnings
                    .iter()
                    .map(|w| format!("; {}", w.message()))
                    .collect::<String>()
            ),
            CallEvent::Dtmf {
                digit,
                received: true,
            } => format!("DTMF received: {digit}"),
            CallEvent::Dtmf {
                digit,
                received: false,
            } => format!("DTMF sent: {digit}"),
            CallEvent::RemoteHold { held: true } => "the far end put the call on hold".into(),
            CallEvent::RemoteHold { held: false } => "the far end took the call off hold".into(),
            CallEvent::Muted { muted } => if *muted { "muted" } else { "unmuted" }.into(),
            CallEvent::NoMedia { silent_ms } => format!(
                "no audio from the far end for {:.1} s (the media path may be broken)",
                *silent_ms as f64 / 1000.0
            ),
            CallEvent::IceRestart { silent_ms } => format!(
                "still no audio after {:.1} s: restarting ICE through the network",
                *silent_ms as f64 / 1000.0
            ),
            CallEvent::MediaRestored { silent_ms } => {
                format!("audio is back after {:.1} s without", *silent_ms as f64 / 1000.0)
            }
            CallEvent::Error { message, .. } => {
                eprintln!("error: {message}");
                return;
            }
            CallEvent::Transcript { text } => format!("you (as the bot heard it): {text}"),
            CallEvent::BotText { text } => format!("bot: {text}"),
            CallEvent::Intent {
                name,
                state,
                input_mode,
            } => format!(
                "intent: {name}{}{}",
                state.as_deref().map(|s| format!(", {s}")).unwrap_or_default(),
                input_mode
                    .as_deref()
                    .map(|m| format!(" (from {m})"))
                    .unwrap_or_default()
            ),
            CallEvent::Prompt { playing: true } => "the bot's prompt is playing".into(),
            CallEvent::Prompt { playing: false } => "the bot's prompt stopped".into(),
            CallEvent::Interrupted { reason } => format!("the bot stopped its prompt: {reason}"),
            CallEvent::Ended { reason } => format!("call ended: {reason}"),
            CallEvent::Calls { calls, merged, .. } => {
                if calls.len() < 2 && merged.is_empty() {
                    return;
                }
                let list: Vec<String> = calls
                    .iter()
                    .map(|c| format!("{} {} ({})", c.call, c.state, c.remote))
                    .collect();
                let merged = if merged.is_empty() {
                    String::new()
                } else {
                    format!("; merged: {merged:?}")
                };
                format!("calls: {}{merged}", list.join(", "))
            }
            CallEvent::WaitingTone { playing: true } => "call waiting: another call rings in".into(),
            CallEvent::WaitingTone { playing: false } => return,
        };
        // With one call, no call numbers; from the second on, each line says its call.
        match le.call {
            0 | 1 => println!("[{t:7.3}s] {text}"),
            n => println!("[{t:7.3}s] call {n}: {text}"),
        }
    }

    pub fn error(&self, code: &str, message: &str) {
        if self.json {
            self.line(serde_json::json!({"event": "error", "code": code, "message": message}));
        }
        eprintln!("dialtone: {message}");
    }

    /// The script's `process` step: `{"event":"process","rss_kib":…,"fds":…,"threads":…,"tasks":…}`.
    pub fn process(&self, f: &dialtone_core::process::ProcessFigures) {
        if self.json {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("event".into(), "process".into());
            }
            self.line(v);
        } else {
            let tasks = f.tasks.map_or("?".to_owned(), |t| t.to_string());
            println!(
                "process {}: {} KiB resident, {} descriptors, {} threads, {tasks} tasks",
                f.pid, f.rss_kib, f.fds, f.threads
            );
        }
    }

    pub fn note(&self, message: &str) {
        eprintln!("dialtone: {message}");
    }

    /// The recording (`--record`): `started`, `paused`, `resumed`, `failed` (the call
    /// goes on) or `saved`, with `detail`'s fields; `say`, when not empty, also to stderr.
    pub fn recording(&self, state: &str, detail: serde_json::Value, say: &str) {
        self.file_event("recording", state, detail, say);
    }

    /// The decrypted capture (`--pcap`): started, failed, saved.
    pub fn capture(&self, state: &str, detail: serde_json::Value, say: &str) {
        self.file_event("capture", state, detail, say);
    }

    /// A file the run writes as the call goes: a JSON event, and what to say on stderr.
    fn file_event(&self, event: &str, state: &str, detail: serde_json::Value, say: &str) {
        if self.json {
            let mut v = serde_json::json!({"event": event, "state": state});
            if let (Some(o), serde_json::Value::Object(d)) = (v.as_object_mut(), detail) {
                o.extend(d);
            }
            self.line(v);
        }
        if !say.is_empty() {
            eprintln!("dialtone: {say}");
        }
    }

    pub fn session_started(&self, session_id: &str, client_session_id: &str) {
        if self.json {
            self.line(serde_json::json!({
                "event": "session_started",
                "sessionId": session_id,
                "clientSessionId": client_session_id,
            }));
        } else {
            println!("session {session_id} started (clientSessionId {client_session_id})");
        }
    }

    pub fn registered(&self, number: Option<&str>) {
        if self.json {
            self.line(serde_json::json!({"event": "registered", "number": number}));
        } else {
            println!(
                "registered as {}; waiting for calls (Ctrl-C to stop)",
                number.unwrap_or("?")
            );
        }
    }

    fn audio_event(&self, e: &AudioEvent) {
        if self.json {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("event".into(), "audio".into());
            }
            self.line(v);
            return;
        }
        let t = self.start.elapsed().as_secs_f64();
        let text = match e {
            AudioEvent::Opened {
                kind,
                device,
                sample_rate,
                channels,
            } => format!("{kind} device '{device}' ({sample_rate} Hz, {channels} ch)"),
            AudioEvent::Fallback { kind, wanted, using } => {
                format!("{kind} device '{wanted}' is not there; using '{using}'")
            }
            AudioEvent::Lost { kind, device } => {
                format!("{kind} device '{device}' went away; switching to the default")
            }
            AudioEvent::Returned { kind, device } => {
                format!("{kind} device '{device}' is back; switching to it")
            }
            AudioEvent::OpenFailed { message, .. } => {
                eprintln!("error: {message}");
                return;
            }
        };
        println!("[{t:7.3}s] {text}");
    }

    /// Prints device events, and in JSON the levels ten times a second while audio flows.
    pub fn follow_audio(&self, backend: Arc<dyn AudioBackend>) -> JoinHandle<()> {
        let me = self.clone();
        let mut events = backend.subscribe();
        let levels = backend.levels();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        let (i, o) = (levels.input.take(), levels.output.take());
                        if let Some(r) = &me.report {
                            crate::report::lock(r).levels(Instant::now(), i, o);
                        }
                        if me.json && (i > SILENCE_DBFS || o > SILENCE_DBFS) {
                            let round = |x: f32| (f64::from(x) * 10.0).round() / 10.0;
                            me.line(serde_json::json!({"event": "level", "input_dbfs": round(i), "output_dbfs": round(o)}));
                        }
                    }
                    e = events.recv() => match e {
                        Ok(e) => me.audio_event(&e),
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                }
            }
        })
    }

    /// Prints every event of a call as it happens.
    pub fn follow(&self, mut rx: broadcast::Receiver<LineEvent>) -> Printer {
        let me = self.clone();
        Printer(tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(e) => me.event(&e),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        }))
    }
}
