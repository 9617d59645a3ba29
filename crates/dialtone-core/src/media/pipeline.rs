//! The media tasks of one session: a send loop paced by the frame clock, a receive loop
//! per remote track feeding the jitter buffer, and a playout loop that decodes one frame
//! per tick. They share [`Shared`]; the negotiation in `session.rs` is what changes it.

use super::codec::{self, CodecName, Decoder, Encoder};
use super::config::MediaConfig;
use super::direction::Direction;
use super::dtmf::{DtmfReceiver, DtmfSender};
use super::error::MediaError;
use super::io::{AudioSink, AudioSource};
use super::jitter::{JitterBuffer, JitterConfig, JitterStats, Playout};
use super::playout_phase::PlayoutPhase;
use super::rtp_stream::RtpStream;
use super::sdp;
use super::session::MediaEvent;
use crate::lock;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio::time::MissedTickBehavior;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

/// What a completed negotiation settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub direction: Direction,
    /// The codec we send, and its payload type.
    pub codec: CodecName,
    pub payload_type: u8,
    /// telephone-event payload type at the send codec's clock rate.
    pub telephone_event: Option<u8>,
    /// Payload type → what the far end may send us.
    pub receive: HashMap<u8, Receivable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receivable {
    Audio(CodecName),
    TelephoneEvent(u32),
}

impl Negotiated {
    pub fn from_answer(answer: &str, ours: &[CodecName], direction: Direction) -> Result<Self, MediaError> {
        let parsed = sdp::parse(answer).map_err(MediaError::BadSdp)?;
        let audio = parsed.audio().ok_or(MediaError::AudioRejected)?;
        let common = audio.common_codecs(ours);
        let &(codec, payload_type) = common.first().ok_or_else(|| MediaError::NoCommonCodec {
            offered: audio.format_names().join(", "),
            ours: ours
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
        let mut receive: HashMap<u8, Receivable> =
            common.iter().map(|&(c, pt)| (pt, Receivable::Audio(c))).collect();
        for (pt, rate) in audio.telephone_events() {
            receive.insert(pt, Receivable::TelephoneEvent(rate));
        }
        Ok(Self {
            direction,
            codec,
            payload_type,
            telephone_event: audio.telephone_event(codec.clock_rate()),
            receive,
        })
    }
}

/// The header of a received RTP packet and when it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RxHeader {
    pub ssrc: u32,
    pub sequence: u16,
    pub timestamp: u32,
    pub payload_type: u8,
    pub marker: bool,
    pub at: Instant,
}

/// Received headers kept for inspection (about 1.3 s at 20 ms packets).
const RX_LOG: usize = 64;

#[derive(Debug, Default)]
pub struct Counters {
    pub rtp_sent: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub rtp_received: AtomicU64,
    pub bytes_received: AtomicU64,
    pub write_errors: AtomicU64,
    pub dtmf_sent: AtomicU64,
    pub frames_played: AtomicU64,
    /// Lost frames rebuilt from the next packet's in-band FEC (Opus).
    pub fec_recovered: AtomicU64,
}

/// State shared by the session and its tasks. Locks are held for microseconds and never
/// across an await.
pub struct Shared {
    pub muted: AtomicBool,
    /// DTLS is up: SRTP keys exist, so packets can be protected.
    pub connected: AtomicBool,
    /// DTLS completed at least once in this session (SRTP keys were made).
    pub secured: AtomicBool,
    pub closed: AtomicBool,
    /// Closed while our latest offer does not send (a hold is out), so sending stops
    /// before the stack drops the sender (`send_gate.rs`).
    pub send_gate: super::send_gate::SendGate,
    pub counters: Counters,
    /// Loss the encoder should expect, in percent, from RTCP (`loss_adapt.rs`).
    pub expected_loss: AtomicU8,
    /// What our own sockets let through (`payload_filter.rs`); unset when a test brings
    /// a runtime of its own.
    pub payload_filter: std::sync::OnceLock<Arc<super::payload_filter::PayloadFilter>>,
    /// The far end's reports about what we send (`rtcp_tap.rs`).
    pub remote_reports: Arc<super::rtcp_tap::RemoteReports>,
    pub events: broadcast::Sender<MediaEvent>,
    negotiated: Mutex<Option<Negotiated>>,
    jitter: Mutex<Option<JitterBuffer>>,
    jitter_config: JitterConfig,
    dtmf_out: Mutex<DtmfSender>,
    dtmf_in: Mutex<DtmfReceiver>,
    ptime: Duration,
    first_audio: AtomicBool,
    rx_log: Mutex<std::collections::VecDeque<RxHeader>>,
    /// Sending may just have become possible (connected, a resume committed): the send
    /// loop sends a frame now rather than up to a frame later, on its next tick.
    send_now: tokio::sync::Notify,
}

impl Shared {
    pub fn new(config: &MediaConfig) -> Self {
        let frame_ms = config.ptime.as_millis().max(1) as u32;
        Self {
            muted: AtomicBool::new(false),
            connected: AtomicBool::new(false),
            secured: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            send_gate: Default::default(),
            counters: Counters::default(),
            expected_loss: AtomicU8::new(0),
            payload_filter: std::sync::OnceLock::new(),
            remote_reports: Arc::default(),
            events: broadcast::channel(256).0,
            negotiated: Mutex::new(None),
            jitter: Mutex::new(None),
            jitter_config: config.jitter,
            dtmf_out: Mutex::new(DtmfSender::new(
                config.dtmf_tone.as_millis() as u32,
                config.dtmf_gap.as_millis() as u32,
                frame_ms,
            )),
            dtmf_in: Mutex::new(DtmfReceiver::default()),
            ptime: config.ptime,
            first_audio: AtomicBool::new(false),
            rx_log: Mutex::new(std::collections::VecDeque::with_capacity(RX_LOG)),
            send_now: tokio::sync::Notify::new(),
        }
    }

    pub fn emit(&self, event: MediaEvent) {
        // No subscriber is fine.
        let _ = self.events.send(event);
    }

    pub fn negotiated(&self) -> Option<Negotiated> {
        lock(&self.negotiated).clone()
    }

    pub fn commit(&self, n: Negotiated) {
        if !n.direction.sends() {
            lock(&self.dtmf_out).clear();
        }
        if let Some(f) = self.payload_filter.get() {
            f.allow(n.receive.keys().copied());
        }
        let sends = n.direction.sends();
        *lock(&self.negotiated) = Some(n);
        if sends {
            self.send_now.notify_one();
        }
    }

    /// DTLS is up (or down): packets can (or cannot) be protected.
    pub fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
        if connected {
            self.secured.store(true, Ordering::Relaxed);
            self.send_now.notify_one();
        }
    }

    pub fn enqueue_dtmf(&self, events: &[u8]) {
        lock(&self.dtmf_out).enqueue(events);
    }

    pub fn received_headers(&self) -> Vec<RxHeader> {
        lock(&self.rx_log).iter().copied().collect()
    }

    fn log_header(&self, pkt: &rtc::rtp::Packet, at: Instant) {
        let mut log = lock(&self.rx_log);
        if log.len() == RX_LOG {
            log.pop_front();
        }
        log.push_back(RxHeader {
            ssrc: pkt.header.ssrc,
            sequence: pkt.header.sequence_number,
            timestamp: pkt.header.timestamp,
            payload_type: pkt.header.payload_type,
            marker: pkt.header.marker,
            at,
        });
    }

    pub fn dtmf_pending(&self) -> usize {
        lock(&self.dtmf_out).pending()
    }

    pub fn jitter_stats(&self) -> Option<(JitterStats, Duration, Duration, Option<Duration>)> {
        lock(&self.jitter)
            .as_ref()
            .map(|j| (j.stats(), j.target_delay(), j.interarrival_jitter(), j.hold()))
    }

    fn push_audio(&self, codec: CodecName, pkt: &rtc::rtp::Packet, now: Instant) {
        let mut jb = lock(&self.jitter);
        if jb.as_ref().is_none_or(|j| j.clock_rate() != codec.clock_rate()) {
            *jb = Some(JitterBuffer::new(
                self.jitter_config,
                codec.clock_rate(),
                self.ptime,
                now,
            ));
        }
        if let Some(j) = jb.as_mut() {
            j.push(
                pkt.header.sequence_number,
                pkt.header.timestamp,
                pkt.header.payload_type,
                pkt.header.marker,
                pkt.payload.to_vec(),
                now,
            );
        }
    }
}

/// Sends one frame per tick while the negotiated direction allows it. The frame counter
/// runs through holds, so RTP timestamps keep matching wall-clock time.
pub async fn send_loop(
    shared: Arc<Shared>,
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    mut source: Box<dyn AudioSource>,
) {
    let mut ticker = tokio::time::interval(shared.ptime);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let frame_ms = shared.ptime.as_millis().max(1) as u32;
    let mut stream = RtpStream::new(ssrc);
    let mut encoder: Option<(CodecName, Box<dyn Encoder>)> = None;
    let mut encoder_loss = 0u8;
    let mut pcm = Vec::new();
    let mut payload = Vec::with_capacity(1500);
    let mut frame: u64 = 0;
    let mut flowing = false;
    loop {
        if next_tick(&mut ticker, &shared.send_now, flowing).await {
            continue;
        }
        if shared.closed.load(Ordering::Relaxed) {
            return;
        }
        frame += 1;
        let Some(neg) = lock(&shared.negotiated)
            .as_ref()
            .map(|n| (n.codec, n.payload_type, n.telephone_event, n.direction))
        else {
            continue;
        };
        let (codec, pt, te_pt, direction) = neg;
        let spf = codec.samples_per_frame(frame_ms);
        pcm.resize(spf, 0);
        // The source runs even while held, so a file or tone keeps its own time.
        source.read(codec.clock_rate(), &mut pcm);
        // Decided and queued within one turn, so closing the gate can wait for this packet.
        let _turn = shared.send_gate.turn().await;
        // The stack does not enforce direction on send: this gate is the only one.
        flowing =
            direction.sends() && !shared.send_gate.is_paused() && shared.connected.load(Ordering::Relaxed);
        if !flowing {
            stream.mark_gap();
            continue;
        }
        let event = te_pt.and_then(|te| {
            lock(&shared.dtmf_out)
                .next_packet(frame, spf as u32)
                .map(|e| (te, e))
        });
        let packet = if let Some((te, e)) = event {
            shared.counters.dtmf_sent.fetch_add(1, Ordering::Relaxed);
            let ts = stream.timestamp(e.start_frame, spf as u32);
            stream.event(te, e.marker, ts, Bytes::copy_from_slice(&e.payload.to_bytes()))
        } else {
            if encoder.as_ref().is_none_or(|(c, _)| *c != codec) {
                match codec::new_encoder(codec) {
                    Ok(enc) => {
                        encoder = Some((codec, enc));
                        encoder_loss = 0;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot create the encoder");
                        continue;
                    }
                }
            }
            let Some((_, enc)) = encoder.as_mut() else {
                continue;
            };
            let expected_loss = shared.expected_loss.load(Ordering::Relaxed);
            if expected_loss != encoder_loss {
                enc.set_expected_loss(expected_loss);
                encoder_loss = expected_loss;
            }
            if shared.muted.load(Ordering::Relaxed) {
                pcm.fill(0);
            }
            source.mix_in(codec.clock_rate(), &mut pcm);
            if let Err(e) = enc.encode(&pcm, &mut payload) {
                tracing::warn!(error = %e, "encoding failed");
                continue;
            }
            stream.audio(pt, frame, spf as u32, Bytes::copy_from_slice(&payload))
        };
        let len = packet.payload.len() as u64;
        match track.write_rtp(packet).await {
            Ok(()) => {
                shared.counters.rtp_sent.fetch_add(1, Ordering::Relaxed);
                shared.counters.bytes_sent.fetch_add(len, Ordering::Relaxed);
            }
            Err(e) => {
                if shared.counters.write_errors.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::debug!(error = %e, "writing RTP failed (not connected yet?)");
                }
            }
        }
    }
}

/// Reads one remote track: audio into the jitter buffer, telephone events decoded.
pub async fn receive_loop(shared: Arc<Shared>, track: Arc<dyn TrackRemote>) {
    while let Some(event) = track.poll().await {
        let TrackRemoteEvent::OnRtpPacket(pkt) = event else {
            continue;
        };
        if shared.closed.load(Ordering::Relaxed) {
            return;
        }
        let now = Instant::now();
        shared.log_header(&pkt, now);
        shared.counters.rtp_received.fetch_add(1, Ordering::Relaxed);
        shared
            .counters
            .bytes_received
            .fetch_add(pkt.payload.len() as u64, Ordering::Relaxed);
        let kind = lock(&shared.negotiated)
            .as_ref()
            .and_then(|n| n.receive.get(&pkt.header.payload_type).copied());
        match kind {
            Some(Receivable::Audio(codec)) => shared.push_audio(codec, &pkt, now),
            Some(Receivable::TelephoneEvent(rate)) => {
                let digit = lock(&shared.dtmf_in).on_packet(pkt.header.timestamp, &pkt.payload, rate);
                if let Some(d) = digit {
                    shared.emit(MediaEvent::Dtmf(d));
                }
            }
            None => tracing::trace!(
                pt = pkt.header.payload_type,
                "dropping RTP with an unknown payload type"
            ),
        }
    }
}

/// Pulls one frame per tick from the jitter buffer, decodes or conceals it, and hands
/// it to the sink. Silence is written while nothing plays, so the sink's clock runs on.
pub async fn playout_loop(shared: Arc<Shared>, mut sink: Box<dyn AudioSink>) {
    let mut ticker = tokio::time::interval(shared.ptime);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut decoders: HashMap<CodecName, Box<dyn Decoder>> = HashMap::new();
    let mut last_codec: Option<CodecName> = None;
    let mut pcm = Vec::new();
    let mut phase = PlayoutPhase::new(shared.ptime);
    loop {
        let scheduled = ticker.tick().await;
        if shared.closed.load(Ordering::Relaxed) {
            return;
        }
        let now = Instant::now();
        let (playout, frame_samples, rate, held) = {
            let mut jb = lock(&shared.jitter);
            match jb.as_mut() {
                Some(j) => (j.pop(now), j.frame_samples(), j.clock_rate(), j.last_hold()),
                None => (Playout::Silence, 0, 0, None),
            }
        };
        if let Some(earlier) = phase.on_tick(held) {
            ticker.reset_at(scheduled + shared.ptime - earlier);
        }
        let codec_of = |pt: u8| match lock(&shared.negotiated)
            .as_ref()
            .and_then(|n| n.receive.get(&pt).copied())
        {
            Some(Receivable::Audio(c)) => Some(c),
            _ => None,
        };
        let mut decoded = false;
        match playout {
            Playout::Frame { pt, payload } => {
                if let Some(c) = codec_of(pt) {
                    last_codec = Some(c);
                    let dec = decoder(&mut decoders, c);
                    match dec.map(|d| d.decode(&payload, &mut pcm)) {
                        Some(Ok(())) => decoded = true,
                        _ => {
                            if let Some(d) = decoder(&mut decoders, c) {
                                d.conceal(frame_samples, &mut pcm);
                            }
                        }
                    }
                }
            }
            Playout::Recover { pt, next_payload } => {
                if let Some(c) = codec_of(pt) {
                    last_codec = Some(c);
                    if let Some(d) = decoder(&mut decoders, c) {
                        if d.recover(&next_payload, frame_samples, &mut pcm) {
                            shared.counters.fec_recovered.fetch_add(1, Ordering::Relaxed);
                        } else {
                            d.conceal(frame_samples, &mut pcm);
                        }
                    }
                }
            }
            Playout::Conceal => {
                if let Some(d) = last_codec.and_then(|c| decoder(&mut decoders, c)) {
                    d.conceal(frame_samples, &mut pcm);
                }
            }
            Playout::Silence => {
                let rate = if rate > 0 {
                    rate
                } else {
                    lock(&shared.negotiated)
                        .as_ref()
                        .map_or(48_000, |n| n.codec.clock_rate())
                };
                pcm.clear();
                pcm.resize((rate as usize) * shared.ptime.as_millis() as usize / 1000, 0);
                sink.write(rate, &pcm);
                continue;
            }
        }
        if pcm.is_empty() {
            continue;
        }
        if decoded && !shared.first_audio.swap(true, Ordering::Relaxed) {
            shared.emit(MediaEvent::FirstAudio);
        }
        shared.counters.frames_played.fetch_add(1, Ordering::Relaxed);
        sink.write(rate, &pcm);
    }
}

/// Waits for the send loop's next tick, or for `early` when nothing is `flowing`: then the
/// tick comes now and the cadence restarts from it. True when woken early while flowing
/// (nothing to do: the cadence goes on). The playout loop has no such wake: its frames fill
/// a device's queue at the device's rate, and an early one would only deepen the queue;
/// its tick moves towards the packets' arrivals instead, by at most half a frame a second
/// (`playout_phase.rs`).
async fn next_tick(ticker: &mut tokio::time::Interval, early: &tokio::sync::Notify, flowing: bool) -> bool {
    tokio::select! {
        _ = ticker.tick() => false,
        () = early.notified() => {
            if !flowing {
                ticker.reset();
            }
            flowing
        }
    }
}

fn decoder(
    decoders: &mut HashMap<CodecName, Box<dyn Decoder>>,
    codec: CodecName,
) -> Option<&mut Box<dyn Decoder>> {
    match decoders.entry(codec) {
        std::collections::hash_map::Entry::Occupied(e) => Some(e.into_mut()),
        std::collections::hash_map::Entry::Vacant(v) => match codec::new_decoder(codec) {
            Ok(d) => Some(v.insert(d)),
            Err(e) => {
                tracing::error!(error = %e, "cannot create the decoder");
                None
            }
        },
    }
}
