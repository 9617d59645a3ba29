// Generated from the Rust types by src-tauri/src/bindings.rs: do not edit.
// UPDATE_BINDINGS=1 cargo test -p dialtone-app bindings writes it again.

export type CallStateName = "Idle" | "Registering" | "Dialing" | "Ringing" | "Proceeding" | "Connected" | "Holding" | "Held" | "Resuming" | "Alerting" | "Answering" | "Ending" | "Ended";

export type LineEvent = { call: number, } & ({ "event": "state", 
/**
 * One of `CallState::NAMES`.
 */
state: CallStateName, reason: string | null, 
/**
 * A call is under way (neither idle nor ended).
 */
active: boolean, 
/**
 * The call is up: connected, or on hold either way.
 */
established: boolean, 
/**
 * What the user may do now.
 */
allowed: Allowed, } | { "event": "incoming", from: string, } | { "event": "media", direction: Direction | null, rtp_sent: number, rtp_received: number, 
/**
 * The codec we send, once negotiated (a call too short for `stats` has it too).
 */
codec: string | null, } | { "event": "stats", rtt_ms: number | null, jitter_ms: number, loss_pct: number, codec: string | null, 
/**
 * How long our jitter buffer holds audio before playing it.
 */
jitter_buffer_ms: number, 
/**
 * The loss the far end reports that our encoder protects against with in-band
 * FEC, in percent: 0 on a clean path (all bits go to the voice).
 */
fec_pct: number, 
/**
 * MOS estimate and the thresholds crossed.
 */
quality: Quality, } | { "event": "dtmf", digit: string, received: boolean, } | { "event": "remote_hold", held: boolean, } | { "event": "no_media", silent_ms: number, } | { "event": "ice_restart", silent_ms: number, } | { "event": "media_restored", silent_ms: number, } | { "event": "muted", muted: boolean, } | { "event": "error", code: string, message: string, } | { "event": "transcript", text: string, } | { "event": "intent", name: string, state: string | null, input_mode: string | null, } | { "event": "bot_text", text: string, } | { "event": "prompt", playing: boolean, } | { "event": "interrupted", reason: string, } | { "event": "ended", reason: string, } | { "event": "calls", calls: Array<LineCall>, 
/**
 * The calls mixed into one three-way call (empty: none).
 */
merged: Array<number>, 
/**
 * The call the single-call controls act on (hold, hang up, keypad).
 */
front: number | null, 
/**
 * What may be done with the line now.
 */
allowed: LineAllowed, } | { "event": "waiting_tone", playing: boolean, });

export type CallEvent = { "event": "state", 
/**
 * One of `CallState::NAMES`.
 */
state: CallStateName, reason: string | null, 
/**
 * A call is under way (neither idle nor ended).
 */
active: boolean, 
/**
 * The call is up: connected, or on hold either way.
 */
established: boolean, 
/**
 * What the user may do now.
 */
allowed: Allowed, } | { "event": "incoming", from: string, } | { "event": "media", direction: Direction | null, rtp_sent: number, rtp_received: number, 
/**
 * The codec we send, once negotiated (a call too short for `stats` has it too).
 */
codec: string | null, } | { "event": "stats", rtt_ms: number | null, jitter_ms: number, loss_pct: number, codec: string | null, 
/**
 * How long our jitter buffer holds audio before playing it.
 */
jitter_buffer_ms: number, 
/**
 * The loss the far end reports that our encoder protects against with in-band
 * FEC, in percent: 0 on a clean path (all bits go to the voice).
 */
fec_pct: number, 
/**
 * MOS estimate and the thresholds crossed.
 */
quality: Quality, } | { "event": "dtmf", digit: string, received: boolean, } | { "event": "remote_hold", held: boolean, } | { "event": "no_media", silent_ms: number, } | { "event": "ice_restart", silent_ms: number, } | { "event": "media_restored", silent_ms: number, } | { "event": "muted", muted: boolean, } | { "event": "error", code: string, message: string, } | { "event": "transcript", text: string, } | { "event": "intent", name: string, state: string | null, input_mode: string | null, } | { "event": "bot_text", text: string, } | { "event": "prompt", playing: boolean, } | { "event": "interrupted", reason: string, } | { "event": "ended", reason: string, } | { "event": "calls", calls: Array<LineCall>, 
/**
 * The calls mixed into one three-way call (empty: none).
 */
merged: Array<number>, 
/**
 * The call the single-call controls act on (hold, hang up, keypad).
 */
front: number | null, 
/**
 * What may be done with the line now.
 */
allowed: LineAllowed, } | { "event": "waiting_tone", playing: boolean, };

export type LineCall = { call: number, 
/**
 * One of `CallState::NAMES`.
 */
state: CallStateName, 
/**
 * The far end: the number dialled or the caller.
 */
remote: string, incoming: boolean, 
/**
 * What its machine allows now (resume of a held call while another is up: a swap).
 */
allowed: Allowed, 
/**
 * It may join the active call (merge).
 */
merge: boolean, };

export type LineAllowed = { 
/**
 * Place a call (another one too: the active call is held first).
 */
dial: boolean, 
/**
 * Split a merged call.
 */
split: boolean, };

export type Allowed = { dial: boolean, answer: boolean, decline: boolean, hangup: boolean, hold: boolean, resume: boolean, mute: boolean, dtmf: boolean, 
/**
 * Typed text (bot calls).
 */
text: boolean, };

export type Quality = { 
/**
 * 1 (bad) to about 4.4 (the best a narrowband model gives).
 */
mos: number, warnings: Array<QualityWarning>, 
/**
 * Each warning as a sentence for people, in the same order.
 */
advice: Array<string>, };

export type QualityWarning = "high_rtt" | "high_jitter" | "high_loss" | "low_mos" | "no_media";

export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";

export type AudioEvent = { "what": "opened", kind: DeviceKind, device: string, sample_rate: number, channels: number, } | { "what": "fallback", kind: DeviceKind, wanted: string, using: string, } | { "what": "lost", kind: DeviceKind, device: string, } | { "what": "open_failed", kind: DeviceKind, message: string, } | { "what": "returned", kind: DeviceKind, device: string, };

export type DeviceKind = "input" | "output";

export type DeviceInfo = { name: string, id: string, kind: DeviceKind, is_default: boolean, sample_rate: number, channels: number, sample_format: string, };

export type VoiceSettings = { echo_cancellation: boolean, noise_suppression: boolean, gain_control: boolean, };

export type CallRecord = { id: number, number: string, incoming: boolean, 
/**
 * When the call started (dialled, or rang), Unix milliseconds.
 */
started_at_ms: number, 
/**
 * How long it was connected; `None` if it never was.
 */
connected_ms: number | null, 
/**
 * Why it ended (Hangup, Busy, NoAnswer, Declined, ...).
 */
outcome: string, 
/**
 * The codec the call negotiated (`opus/48000`, `PCMU/8000`), if media was set up.
 */
codec: string | null, 
/**
 * The call's report (HTML), where the app keeps it.
 */
report: string | null, 
/**
 * The call's recording (stereo WAV), when one was made.
 */
recording: string | null, };

export type AppInfo = { version: string, 
/**
 * Audio codecs in default preference order.
 */
codecs: Array<string>, };

export type Network = "camara" | "alexa" | "lex";

export type LineSource = { "kind": "embedded_sandbox", url: string, } | { "kind": "sandbox", url: string, } | { "kind": "account", name: string, };

export type RecordingNews = { 
/**
 * Whether a recording is running now.
 */
recording: boolean, path: string, 
/**
 * Once it stopped: how long it is.
 */
seconds: number | null, 
/**
 * Why it stopped before it was asked to (a full disk); the call goes on.
 */
failed: string | null, };

export type Caution = { 
/**
 * `premium-rate`, `shared-cost`, `personal`, `uan`, `voicemail`, `pager` or `unknown`.
 */
kind: string, message: string, };

export type LinkOffer = { 
/**
 * What dialling it places: `+15550100`.
 */
number: string, 
/**
 * As its country writes it: `+44 20 7946 0000`.
 */
pretty: string, 
/**
 * Premium-rate, shared-cost, unknown to its plan...: said in the prompt.
 */
caution: Caution | null, };

export type LinkPrefs = { 
/**
 * Dial a link at once, without asking (off unless chosen in Settings).
 */
dial_at_once: boolean, };

export type Phase = { phase: string, 
/**
 * `pass`, `fail`, `not reached`, `not applicable` or `not known`.
 */
result: string, 
/**
 * When it completed, from the start of the preflight.
 */
at_ms: number | null, 
/**
 * How long it took (a request: from sending it to its answer).
 */
took_ms: number | null, detail: string, };

export type Preflight = { event: string, pass: boolean, number: string, phases: Array<Phase>, round_trip_ms: number | null, 
/**
 * The first phase that failed, and what to do about it.
 */
failed: string | null, };

export type LineInfo = { ready: boolean, source: LineSource | null, own_number: string | null, network: Network, 
/**
 * `devices` or `tone` (no sound server: a test tone is sent, nothing played).
 */
audio: string, notes: Array<string>, error: string | null, 
/**
 * The impairment on every media packet (a named network such as `3g`, or a spec),
 * for testing; none on a clean network.
 */
impairment: string | null, };

export type Levels = { input_dbfs: number, output_dbfs: number, };

export type HistorySaved = { id: number | null, error: string | null, };

export type Dialing = { number: string, pretty: string, };

export type CommandError = { code: string, message: string, };

export type CallAction = "answer" | "decline" | "hangup" | "hold" | "resume" | "merge" | "split";

export type Accounts = { 
/**
 * CAMARA operator accounts.
 */
accounts: Array<string>, default: string | null, 
/**
 * Alexa accounts.
 */
alexa: Array<string>, 
/**
 * Lex (AWS) accounts.
 */
lex: Array<string>, };

export type NetworkPreset = { name: string, loss_pct: number, delay_ms: number, jitter_ms: number, what: string, };

export type NumberCheck = { formatted: string, e164: string | null, error: string | null, };

export type DirectoryEntry = { number: string, description: string, };

export type HistoryRow = { 
/**
 * The number as its country writes it.
 */
pretty: string, id: number, number: string, incoming: boolean, 
/**
 * When the call started (dialled, or rang), Unix milliseconds.
 */
started_at_ms: number, 
/**
 * How long it was connected; `None` if it never was.
 */
connected_ms: number | null, 
/**
 * Why it ended (Hangup, Busy, NoAnswer, Declined, ...).
 */
outcome: string, 
/**
 * The codec the call negotiated (`opus/48000`, `PCMU/8000`), if media was set up.
 */
codec: string | null, 
/**
 * The call's report (HTML), where the app keeps it.
 */
report: string | null, 
/**
 * The call's recording (stereo WAV), when one was made.
 */
recording: string | null, };

export type Devices = { inputs: Array<DeviceInfo>, outputs: Array<DeviceInfo>, 
/**
 * The remembered choice (`None`: the OS default).
 */
input: string | null, output: string | null, voice: VoiceSettings, 
/**
 * The remembered codec order (`opus,pcmu`), `None` for the default.
 */
codecs: string | null, 
/**
 * Why there is no list (no sound server), if so.
 */
error: string | null, };
