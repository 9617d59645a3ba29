// @ts-check
// Dialtone's window: renders what the core reports and sends what the user asks for.
// Every check (numbers, digits, devices) happens in the core, and so does every rule of
// what may be done when (each `state` event says, in `allowed`); this file only shows.
// The payload types are generated from the Rust types: ./bindings.d.ts.

/** @typedef {import("./bindings").CallEvent} CallEvent */
/** @typedef {import("./bindings").LineEvent} LineEvent */
/** @typedef {import("./bindings").LineCall} LineCall */
/** @typedef {import("./bindings").LineAllowed} LineAllowed */
/** @typedef {Extract<CallEvent, { event: "state" }>} StateEvent */
/** @typedef {import("./bindings").Allowed} Allowed */
/** @typedef {import("./bindings").LineInfo} LineInfo */
/** @typedef {import("./bindings").Levels} Levels */
/** @typedef {import("./bindings").AudioEvent} AudioEvent */
/** @typedef {import("./bindings").NumberCheck} NumberCheck */
/** @typedef {import("./bindings").RecordingNews} RecordingNews */
/** @typedef {import("./bindings").Preflight} Preflight */
/** @typedef {import("./bindings").LinkOffer} LinkOffer */

import { $, LABELS, NOTHING, call, clock, farEnd, invoke, listen, message, outcome, providerOf, showError, tauri, when } from "./page.js";
import { loadSettings, registerLinks, runPreflight, saveSettings } from "./settings.js";
import { Timeline } from "./timeline.js";

const NUMBER_HINT = "International format: + and the country code.";
const ALEXA_HINT = "An Alexa device as alexa: and its name, such as alexa:kitchen.";
const LEX_HINT = "A Lex bot as lex: and its id, such as lex:DEMOBOT001.";
const HINTS = { alexa: ALEXA_HINT, lex: LEX_HINT };
const PLACEHOLDERS = { alexa: "alexa:kitchen", lex: "lex:DEMOBOT001" };
const ui = {
  state: "Opening",
  /** A call is under way, and what may be done now: from the last `state` event. */
  active: false,
  allowed: NOTHING,
  /** @type {number | null} */ connectedAt: null,
  /** @type {number | null} */ heldAt: null,
  muted: false,
  sandbox: false,
  hint: NUMBER_HINT,
  /** @type {string | undefined} */ network: undefined,
  codecs: "",
  /** The line's calls, the one the controls act on, and the merged ones: from `calls`. */
  /** @type {LineCall[]} */ calls: [],
  /** @type {number | null} */ front: null,
  /** @type {number[]} */ merged: [],
  /** @type {LineAllowed | null} */ line: null,
  /** When each call first connected, for the list's timers. @type {Record<number, number>} */
  since: {},
  /** The address last dialled, as the number field shows it. @type {string | undefined} */ dialled: undefined,
  /** The line's impairment (a named network), "" on a clean one. */
  impairment: "",
  /** When the running recording started; null when none runs. @type {number | null} */
  recordingSince: null,
  /** The history row of the call that ended last, once saved. @type {number | null} */
  lastCall: null,
  /** Whether this call's quality has been measured (a stats event came). */
  measured: false,
  /** Since when the other side holds the call in front; null when it does not. @type {number | null} */
  theyHeldAt: null,
  /** The keypad is open over the call screen. */
  keypadOpen: false,
  /** A link's number waits: Call takes the focus as soon as it can dial. */
  focusCall: false,
};

/** The call screen's packets-per-second strips. */
const timeline = new Timeline($("timeline-plot"), $("tl-sent"), $("tl-heard"));

/** A call may be placed: the line says (another call too), else the call's machine. */
const canDial = () => (ui.line ? ui.line.dial : ui.allowed.dial);

/** @param {string} id a button with an icon and a label @param {string} label @param {string} icon */
function labelButton(id, label, icon) {
  $(id).querySelector(".label").textContent = label;
  $(id).querySelector("use").setAttribute("href", `#${icon}`);
}

function render() {
  const s = ui.state;
  const can = ui.allowed;
  // The call screen takes over while a call is under way; the dial screen comes back
  // when it ends, with the call on top of History.
  const inCall = ui.active && s !== "Ended" && s !== "Idle";
  document.body.dataset.screen = inCall ? "call" : "dial";
  if (!inCall || !can.dtmf) ui.keypadOpen = false;
  document.body.dataset.keypad = ui.keypadOpen ? "open" : "closed";
  $("keypad-toggle").disabled = !can.dtmf;
  $("keypad-toggle").setAttribute("aria-expanded", String(ui.keypadOpen));
  $("timeline").hidden = !inCall;
  $("status").dataset.state = s;
  $("status").dataset.remoteHold = String(ui.theyHeldAt !== null);
  $("remote-hold").hidden = ui.theyHeldAt === null;
  $("state").textContent = LABELS[s] ?? s;
  $("call").disabled = !canDial();
  // A link's Call takes the focus once it can dial (the line may still be opening).
  if (ui.focusCall && !$("call").disabled) {
    ui.focusCall = false;
    $("call").focus();
  }
  // While a call rings in, Decline is the way to refuse it.
  $("hangup").disabled = !can.hangup || can.decline;
  $("hold").disabled = !(can.hold || can.resume);
  $("hold").setAttribute("aria-pressed", String(s === "Held" || s === "Holding"));
  labelButton("hold", can.resume ? "Resume" : "Hold", can.resume ? "i-play" : "i-pause");
  $("mute").disabled = !can.mute;
  $("mute").setAttribute("aria-pressed", String(ui.muted));
  labelButton("mute", ui.muted ? "Unmute" : "Mute", ui.muted ? "i-mic-off" : "i-mic");
  // A call that carries audio may be recorded; stopping is always possible.
  const recording = ui.recordingSince !== null;
  $("record").disabled = !recording && !(ui.active && (can.hold || can.resume || can.mute));
  $("record").setAttribute("aria-pressed", String(recording));
  $("record").querySelector(".label").textContent = recording ? "Stop recording" : "Record";
  $("rec").hidden = !recording;
  $("hold-badge").hidden = s !== "Held";
  $("mute-badge").hidden = !(ui.muted && ui.active);
  // A call ringing in beside the active one (call waiting) shows the panel too.
  const ringing = ui.calls.find((c) => c.state === "Alerting");
  const panelWas = $("incoming").hidden;
  $("incoming").hidden = !(can.answer || ringing);
  // A lone call ringing in is answered or declined: the call's controls wait.
  document.body.dataset.ringing = String(can.answer && ui.calls.length <= 1);
  // However the events came in (the call's state or the line's list first), a call that
  // starts ringing in brings its panel into view with the focus on Answer.
  if (panelWas && !$("incoming").hidden) showIncoming();
  $("incoming-title").textContent = ringing && ui.calls.length > 1 ? "Call waiting" : "Incoming call";
  renderCalls();
  $("keypad").setAttribute("aria-label", can.dtmf ? "Keypad: sends tones" : "Keypad");
  // A bot call in front shows its conversation, on a Lex line or beside phone calls.
  const front = ui.calls.find((c) => c.call === ui.front);
  $("conversation").hidden = !(ui.network === "lex" || front?.remote.startsWith("lex:"));
  $("send-text").disabled = !can.text;
}

/**
 * One turn of a bot conversation: `who` is bot, you or intent.
 * @param {string} who
 * @param {string} text
 */
function addTurn(who, text) {
  const li = Object.assign(document.createElement("li"), { className: who, textContent: text });
  li.dataset.who = who;
  $("turns").append(li);
  li.scrollIntoView({ block: "nearest" });
}

async function sendText(e) {
  e.preventDefault();
  const text = $("bot-text").value.trim();
  if (!text) return;
  // `call` gives undefined when the command was refused (the error is shown).
  if ((await call("send_text", { text })) !== undefined) $("bot-text").value = "";
}

function tick() {
  const now = Date.now();
  $("duration").textContent = ui.connectedAt ? clock(now - ui.connectedAt) : "";
  $("hold-timer").textContent = ui.heldAt ? clock(now - ui.heldAt) : "";
  $("remote-hold-timer").textContent = ui.theyHeldAt ? clock(now - ui.theyHeldAt) : "";
  $("rec-timer").textContent = ui.recordingSince ? clock(now - ui.recordingSince) : "";
  for (const t of document.querySelectorAll("#call-list [data-since]")) {
    t.textContent = clock(now - Number(/** @type {HTMLElement} */ (t).dataset.since));
  }
}

/**
 * A button of a call's row in the list.
 * @param {LineCall} c
 * @param {string} action
 * @param {string} label
 * @param {string} name
 */
function actionButton(c, action, label, name) {
  const b = Object.assign(document.createElement("button"), { type: "button", textContent: label });
  b.dataset.action = action;
  b.setAttribute("aria-label", `${name} call ${c.call} (${c.remote || "unknown"})`);
  if (action === "hangup" || action === "decline") b.className = "bad";
  if (action === "answer") b.className = "good";
  b.addEventListener("click", () => call("call_action", { call: c.call, action }));
  return b;
}

/** The call list: shown while more than one call is on the line. */
function renderCalls() {
  const many = ui.calls.length > 1;
  $("calls").hidden = !many;
  $("merged-badge").hidden = ui.merged.length < 2;
  $("split").hidden = !ui.line?.split;
  if (!many) {
    $("call-list").replaceChildren();
    return;
  }
  $("call-list").replaceChildren(
    ...ui.calls.map((c) => {
      const li = document.createElement("li");
      li.dataset.call = String(c.call);
      li.dataset.state = c.state;
      li.setAttribute("aria-current", String(c.call === ui.front && c.state !== "Held"));
      const merged = ui.merged.includes(c.call) ? " · merged" : "";
      const who = Object.assign(document.createElement("span"), { className: "who", textContent: `${c.call} · ${c.remote || "unknown"}` });
      const what = Object.assign(document.createElement("span"), { className: "what" });
      what.append(`${LABELS[c.state] ?? c.state}${merged} `);
      if (ui.since[c.call]) {
        const timer = document.createElement("span");
        timer.dataset.since = String(ui.since[c.call]);
        what.append(timer);
      }
      const actions = Object.assign(document.createElement("div"), { className: "actions" });
      const a = c.allowed;
      if (a.answer) actions.append(actionButton(c, "answer", "Answer", "Answer"), actionButton(c, "decline", "Decline", "Decline"));
      if (a.resume) actions.append(actionButton(c, "resume", many ? "Switch to" : "Resume", "Switch to"));
      if (c.merge) actions.append(actionButton(c, "merge", "Merge", "Merge"));
      if (a.hold && !ui.merged.includes(c.call)) actions.append(actionButton(c, "hold", "Hold", "Hold"));
      if (a.hangup && !a.answer) actions.append(actionButton(c, "hangup", "Hang up", "Hang up"));
      li.append(who, what, actions);
      return li;
    }),
  );
  tick();
}

/** @param {Extract<CallEvent, { event: "calls" }>} e */
function onCalls(e) {
  const frontWas = ui.front;
  ui.calls = e.calls;
  ui.merged = e.merged;
  ui.front = e.front;
  ui.line = e.allowed;
  for (const id of Object.keys(ui.since)) if (!e.calls.some((c) => c.call === Number(id))) delete ui.since[Number(id)];
  // Another call came to the front (a swap, or the front call ended): show it.
  const front = e.calls.find((c) => c.call === e.front);
  if (front && front.call !== frontWas) {
    ui.connectedAt = ui.since[front.call] ?? null;
    ui.heldAt = null;
    ui.theyHeldAt = null;
    timeline.reset();
    $("peer").textContent = front.remote ? `${front.incoming ? "From" : "To"} ${farEnd(front.remote)}` : "";
    onState({ event: "state", state: front.state, reason: null, active: true, established: true, allowed: front.allowed });
    return;
  }
  if (front) ui.allowed = front.allowed;
  render();
}

/** @param {StateEvent} e */
function onState(e) {
  const { state, reason } = e;
  const was = ui.state;
  ui.state = state;
  ui.active = e.active;
  ui.allowed = e.allowed;
  if (state === "Connected" && !ui.connectedAt) ui.connectedAt = Date.now();
  if (state === "Held" && !ui.heldAt) ui.heldAt = Date.now();
  if (state !== "Held") ui.heldAt = null;
  if ((state === "Dialing" || state === "Alerting") && was !== state) resetCall();
  if (state === "Dialing") $("turns").replaceChildren();
  if (state === "Ended") {
    // A call that ended before its first stats was never measured.
    if (!ui.measured) showQuality("–");
    ui.connectedAt = null;
    ui.muted = false;
    ui.theyHeldAt = null;
    showMediaNotice("");
    if (was !== "Ended") {
      if (reason) $("peer").textContent = `${$("peer").textContent} — ${outcome(reason)}`;
      refreshHistory();
    }
  }
  if (state === "Idle" && was === "Ended") $("peer").textContent = "";
  render();
  // Answered: the call's state in view, the focus on its controls (the panel is gone).
  if (state === "Connected" && was === "Answering") {
    $("status").scrollIntoView({ block: "nearest" });
    $("hold").focus();
  }
  tick();
}

/** The incoming panel in view, with the focus on Answer: one Enter answers. */
function showIncoming() {
  $("incoming").scrollIntoView({ block: "nearest" });
  $("answer").focus();
}

/** @param {string} text what every quality figure says until the call's stats arrive */
function showQuality(text) {
  for (const id of ["q-mos", "q-rtt", "q-jitter", "q-loss", "q-word"]) $(id).textContent = text;
  $("q-gauge").dataset.level = "none";
  $("q-meter").value = 1;
}

/**
 * The gauge's word for a MOS: what a listener would say of the call.
 * @param {number} mos
 */
function verdict(mos) {
  if (mos >= 4.0) return "good";
  if (mos >= 3.6) return "fair";
  return "poor";
}

/** A new call starts clean: nothing of the last one (its quality, tones, errors) stays. */
function resetCall() {
  showError("");
  $("after-call").hidden = true;
  ui.lastCall = null;
  ui.measured = false;
  showQuality("measuring…");
  $("q-warnings").replaceChildren();
  $("dtmf-sent").textContent = "";
  $("mic-level").value = -60;
  $("speaker-level").value = -60;
  ui.theyHeldAt = null;
  ui.keypadOpen = false;
  timeline.reset();
}

function showMediaNotice(text) {
  $("no-media").textContent = text;
  $("no-media").hidden = !text;
}

/** @param {Extract<CallEvent, { event: "stats" }>} e */
function onQuality(e) {
  ui.measured = true;
  // A call without audio has no quality to speak of.
  const silent = e.quality.warnings.includes("no_media");
  $("q-mos").textContent = silent ? "no audio" : e.quality.mos.toFixed(1);
  $("q-word").textContent = silent ? "no audio" : verdict(e.quality.mos);
  $("q-gauge").dataset.level = silent ? "silent" : verdict(e.quality.mos);
  $("q-meter").value = silent ? 1 : e.quality.mos;
  $("q-rtt").textContent = e.rtt_ms == null ? "–" : `${Math.round(e.rtt_ms)} ms`;
  $("q-jitter").textContent = `${e.jitter_ms.toFixed(1)} ms`;
  $("q-loss").textContent = `${e.loss_pct.toFixed(1)} %`;
  const list = $("q-warnings");
  list.replaceChildren(...e.quality.advice.map((a) => Object.assign(document.createElement("li"), { textContent: a })));
}

/** @param {LineEvent} e */
function onCallEvent(e) {
  if (e.event === "calls") {
    onCalls(e);
    return;
  }
  if (e.event === "state" && e.state === "Connected" && e.call && !ui.since[e.call]) ui.since[e.call] = Date.now();
  // A call behind the one in front (held, ringing in) shows in the list, not the controls.
  if (e.call && ui.front !== null && e.call !== ui.front && ui.calls.length > 1) {
    if (e.event === "incoming") {
      $("caller").textContent = e.from;
      render();
    }
    if (e.event === "error") showError(e.message);
    if (e.event === "ended") refreshHistory();
    return;
  }
  switch (e.event) {
    case "state":
      onState(e);
      break;
    case "incoming":
      $("caller").textContent = e.from;
      $("peer").textContent = `From ${farEnd(e.from)}`;
      render();
      break;
    case "stats":
      onQuality(e);
      break;
    case "dtmf":
      $("dtmf-sent").textContent = `${e.received ? "Received" : "Sent"} tone ${e.digit}`;
      break;
    case "bot_text":
      addTurn("bot", e.text);
      break;
    case "transcript":
      addTurn("you", e.text);
      break;
    case "intent":
      addTurn("intent", `Intent ${e.name}${e.state ? ` (${e.state})` : ""}`);
      break;
    case "prompt":
      $("prompt-state").textContent = e.playing ? "The bot is speaking…" : "";
      break;
    case "interrupted":
      $("prompt-state").textContent = `You interrupted the bot (${e.reason})`;
      break;
    case "remote_hold":
      ui.theyHeldAt = e.held ? (ui.theyHeldAt ?? Date.now()) : null;
      render();
      break;
    case "media":
      timeline.add(e.rtp_sent, e.rtp_received, { ours: ui.state === "Held" || ui.state === "Holding", theirs: ui.theyHeldAt !== null });
      break;
    case "no_media":
      showMediaNotice(`No audio from the other side for ${(e.silent_ms / 1000).toFixed(0)} s: the media path may be broken.`);
      break;
    case "ice_restart":
      showMediaNotice(`Still no audio after ${(e.silent_ms / 1000).toFixed(0)} s: reconnecting the media path…`);
      break;
    case "media_restored":
      showMediaNotice("");
      break;
    case "muted":
      ui.muted = e.muted;
      render();
      break;
    case "error":
      showError(e.message);
      break;
    case "ended":
      break;
  }
}

async function onNumberInput() {
  const input = $("number");
  const typed = input.value;
  const check = await invoke("check_number", { input: typed });
  // A key typed while the core answered wins: an older answer must not undo it.
  if (input.value !== typed) return;
  if (typed !== check.formatted) input.value = check.formatted;
  const bad = input.value.length > 0 && !check.e164;
  input.setAttribute("aria-invalid", String(bad));
  $("number-hint").textContent = bad ? check.error : ui.hint;
}

/**
 * A tel:/callto: link: its number fills the field, as its country writes it, with what
 * its numbering plan says about it; Call has the focus, so one Enter or click dials.
 * @param {LinkOffer | null} offer
 */
function offerLink(offer) {
  if (!offer) return;
  $("number").value = offer.pretty;
  $("number").setAttribute("aria-invalid", "false");
  $("number-hint").textContent = ui.hint;
  $("link-number").textContent = offer.pretty;
  $("link-caution").textContent = offer.caution ? `Careful: ${offer.caution.message}.` : "";
  $("link-caution").hidden = !offer.caution;
  $("link-offer").dataset.caution = offer.caution?.kind ?? "";
  $("link-offer").hidden = false;
  ui.focusCall = true;
  render();
}

function dismissLink() {
  $("link-offer").hidden = true;
  ui.focusCall = false;
}

/** @param {string} number */
async function dial(number) {
  if (!canDial()) return;
  showError("");
  try {
    await invoke("dial", { number });
    dismissLink();
    $("number").value = number;
    ui.dialled = number;
  } catch (e) {
    // A number the core refuses is explained once, where it was typed.
    if (e?.code === "INVALID_NUMBER") {
      $("number").setAttribute("aria-invalid", "true");
      $("number-hint").textContent = message(e);
      $("number").focus();
    } else {
      showError(message(e));
    }
  }
}

/** @param {string} key */
function press(key) {
  if (ui.allowed.dtmf) {
    call("dtmf", { digits: key });
    return;
  }
  if (ui.active) return;
  const input = $("number");
  input.value += key;
  onNumberInput();
}

function toggleHold() {
  if (ui.allowed.hold) call("hold");
  else if (ui.allowed.resume) call("resume");
}

function toggleMute() {
  if (ui.allowed.mute) call("mute", { muted: !ui.muted });
}

/** Opens or closes the keypad over the call screen (it sends tones). */
function toggleKeypad() {
  if (!ui.allowed.dtmf && !ui.keypadOpen) return;
  ui.keypadOpen = !ui.keypadOpen;
  render();
  if (ui.keypadOpen) /** @type {HTMLElement} */ ($("keypad").querySelector("button")).focus();
}

/** Starts or stops recording; the `recording` event says what happened. */
function toggleRecord() {
  if (!$("record").disabled) call("record", { on: ui.recordingSince === null });
}

/** @param {RecordingNews} news */
function onRecording(news) {
  ui.recordingSince = news.recording ? Date.now() : null;
  if (news.failed) showError(news.failed);
  else if (!news.recording) $("history-note").textContent = `Recording saved to ${news.path} (${news.seconds ?? 0} s).`;
  render();
  tick();
}

/**
 * Saves a copy of history row `id`'s report to the Downloads folder and says where.
 * @param {number} id
 * @param {HTMLElement} note
 */
async function exportReport(id, note) {
  note.textContent = "";
  const to = await call("export_report", { id });
  if (to !== undefined) note.textContent = `Report saved to ${to}`;
}

/** The one held call a swap (S) resumes, while another call is up. */
function swapTarget() {
  const held = ui.calls.filter((c) => c.state === "Held" && c.allowed.resume);
  return ui.calls.length > 1 && held.length === 1 ? held[0].call : undefined;
}

/** The one call that may join the active call (J). */
function mergeTarget() {
  const joinable = ui.calls.filter((c) => c.merge);
  return joinable.length === 1 ? joinable[0].call : undefined;
}

function onKey(e) {
  if (e.ctrlKey || e.altKey || e.metaKey) return;
  const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
  if (e.key === "Escape") {
    // Esc closes the keypad over the call first; the next Esc hangs up.
    if (ui.keypadOpen) toggleKeypad();
    else if (ui.allowed.decline) call("decline");
    else if (ui.allowed.hangup) call("hangup");
    e.preventDefault();
    return;
  }
  // Text for the bot is typed during the call: its letters are not shortcuts.
  if (e.target.id === "bot-text") return;
  // During a call the number field shows the call's number, so M and H work from it
  // too; once another address is being typed there (the next call), they are letters.
  const number = $("number").value;
  const editing = e.target.id === "number" && number !== "" && number !== ui.dialled;
  const key = e.key.toLowerCase();
  if (key === "m" && ui.allowed.mute && !editing) {
    toggleMute();
    e.preventDefault();
  } else if (key === "h" && (ui.allowed.hold || ui.allowed.resume) && !editing) {
    toggleHold();
    e.preventDefault();
  } else if (key === "k" && (ui.allowed.dtmf || ui.keypadOpen) && !editing && !(e.target instanceof HTMLSelectElement)) {
    toggleKeypad();
    e.preventDefault();
  } else if (key === "r" && !$("record").disabled && !editing && !(e.target instanceof HTMLSelectElement)) {
    toggleRecord();
    e.preventDefault();
  } else if ((!typing || (e.target.id === "number" && ui.allowed.dtmf && !editing)) && /^[0-9*#]$/.test(e.key)) {
    // In a call, digits are tones wherever they are typed, the number field included
    // (unless the next address is being typed there).
    press(e.key);
    e.preventDefault();
  } else if (key === "s" && !typing && swapTarget() !== undefined) {
    call("call_action", { call: swapTarget(), action: "resume" });
    e.preventDefault();
  } else if (key === "j" && !typing && e.shiftKey && ui.line?.split) {
    call("call_action", { call: ui.front ?? 0, action: "split" });
    e.preventDefault();
  } else if (key === "j" && !typing && !e.shiftKey && mergeTarget() !== undefined) {
    call("call_action", { call: mergeTarget(), action: "merge" });
    e.preventDefault();
  } else if (!typing && e.key === "Enter" && !(e.target instanceof HTMLButtonElement) && canDial()) {
    dial($("number").value);
    e.preventDefault();
  }
}

async function refreshHistory() {
  const rows = (await call("history", { limit: 50 })) ?? [];
  const list = $("history");
  list.replaceChildren(
    ...rows.map((r) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      const talked = r.connected_ms == null ? "not connected" : clock(r.connected_ms);
      const arrow = r.incoming ? "from" : "to";
      b.setAttribute("aria-label", `Call ${r.pretty} again; last call ${arrow} it ${when(r.started_at_ms)}, ${talked}, ${outcome(r.outcome)}`);
      const who = Object.assign(document.createElement("span"), { textContent: `${r.incoming ? "↙" : "↗"} ${r.pretty}` });
      const codec = r.codec ? ` · ${r.codec}` : "";
      const recorded = r.recording ? " · recorded" : "";
      const meta = Object.assign(document.createElement("span"), { className: "meta", textContent: `${talked} · ${outcome(r.outcome)}${codec}${recorded} · ${when(r.started_at_ms)}` });
      if (r.recording) meta.title = `Recording: ${r.recording}`;
      b.append(who, meta);
      b.addEventListener("click", () => dial(r.number));
      li.append(b);
      if (r.report) {
        const x = Object.assign(document.createElement("button"), { type: "button", className: "export", textContent: "Report" });
        x.setAttribute("aria-label", `Export the report of the call ${arrow} ${r.pretty} ${when(r.started_at_ms)}`);
        x.addEventListener("click", () => exportReport(r.id, $("history-note")));
        li.append(x);
      }
      return li;
    }),
  );
  $("history-empty").hidden = rows.length > 0;
  // The call that just ended offers its report where it was shown.
  const last = rows.find((r) => r.id === ui.lastCall);
  $("after-call").hidden = !(last?.report && !ui.active);
}

async function refreshDirectory() {
  const entries = (await call("directory")) ?? [];
  $("directory").replaceChildren(
    ...entries.map((d) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.setAttribute("aria-label", `Call ${d.number}: ${d.description}`);
      b.append(
        Object.assign(document.createElement("span"), { textContent: d.number }),
        Object.assign(document.createElement("span"), { className: "meta", textContent: d.description }),
      );
      b.addEventListener("click", () => dial(d.number));
      li.append(b);
      return li;
    }),
  );
  $("tab-directory").hidden = entries.length === 0;
  $("call-me").hidden = !ui.sandbox;
}

function describeLine(info) {
  if (info.error) return `No line: ${info.error}`;
  if (!info.ready) return "Opening the line…";
  const own = info.own_number ? ` · you are ${info.own_number}` : "";
  const tone = info.audio === "tone" ? " · no sound server: a test tone is sent" : "";
  const net = { alexa: "Alexa on the ", lex: "Lex bots on the " }[info.network] ?? "";
  switch (info.source?.kind) {
    case "embedded_sandbox":
      return `${net}Built-in sandbox${net ? "" : " (no account configured)"}${own}${tone}`;
    case "sandbox":
      return `${net}Sandbox at ${info.source.url}${own}${tone}`;
    default:
      return `Account ${info.source?.name}${own}${tone}`;
  }
}

/** @param {LineInfo} info */
function onLine(info) {
  $("line").textContent = describeLine(info);
  ui.network = info.network;
  ui.hint = HINTS[info.network] ?? NUMBER_HINT;
  $("number").placeholder = PLACEHOLDERS[info.network] ?? "+1 555 0100";
  if ($("number").getAttribute("aria-invalid") !== "true") $("number-hint").textContent = ui.hint;
  ui.sandbox = info.source?.kind === "embedded_sandbox";
  // An impaired network is always in sight: a demo must not run on one by mistake.
  ui.impairment = info.impairment ?? "";
  $("impaired").hidden = !info.impairment;
  $("impairment").textContent = info.impairment ?? "";
  if (info.error) {
    showError(info.error);
    ui.state = "Ended";
    ui.allowed = NOTHING;
  }
  render();
  if (info.ready) {
    // The provider picker shows the line in use, whatever was picked before it opened.
    const picker = $("account");
    const inUse = providerOf(info);
    if ([...picker.options].some((o) => o.value === inUse)) picker.value = inUse;
    // The line is ready: unless a state event came first, ask the core for the call's
    // state and what it allows.
    invoke("call_state").then((/** @type {StateEvent} */ e) => ui.state === "Opening" && onState(e), () => {});
    refreshDirectory();
  }
}

function selectTab(name) {
  for (const t of ["history", "directory", "settings"]) {
    const on = t === name;
    $(`tab-${t}`).setAttribute("aria-selected", String(on));
    $(`tab-${t}`).tabIndex = on ? 0 : -1;
    $(`panel-${t}`).hidden = !on;
  }
  if (name === "settings") loadSettings(ui);
}

function wire() {
  $("dial-form").addEventListener("submit", (e) => {
    e.preventDefault();
    dial($("number").value);
  });
  $("number").addEventListener("input", onNumberInput);
  $("number").addEventListener("input", dismissLink);
  $("link-dismiss").addEventListener("click", () => {
    dismissLink();
    $("number").value = "";
    $("number").focus();
  });
  $("register-links").addEventListener("click", registerLinks);
  $("hangup").addEventListener("click", () => call("hangup"));
  $("hold").addEventListener("click", toggleHold);
  $("mute").addEventListener("click", toggleMute);
  $("record").addEventListener("click", toggleRecord);
  $("keypad-toggle").addEventListener("click", toggleKeypad);
  $("export-last").addEventListener("click", () => ui.lastCall !== null && exportReport(ui.lastCall, $("export-note")));
  $("answer").addEventListener("click", () => call("answer"));
  $("split").addEventListener("click", () => call("call_action", { call: ui.front ?? 0, action: "split" }));
  $("decline").addEventListener("click", () => call("decline"));
  $("clear-history").addEventListener("click", async () => {
    await call("clear_history");
    refreshHistory();
  });
  $("call-me").addEventListener("click", () => call("call_me"));
  $("preflight").addEventListener("click", runPreflight);
  $("settings").addEventListener("submit", (e) =>
    saveSettings(e, ui, () => {
      ui.state = "Opening";
      ui.allowed = NOTHING;
      render();
    }),
  );
  $("text-form").addEventListener("submit", sendText);
  for (const b of $("keypad").querySelectorAll("button")) b.addEventListener("click", () => press(b.dataset.key));
  for (const t of ["history", "directory", "settings"]) $(`tab-${t}`).addEventListener("click", () => selectTab(t));
  document.addEventListener("keydown", onKey);
  setInterval(tick, 250);
}

async function start() {
  if (!invoke || !listen) {
    showError("This page must run inside the Dialtone app.");
    return;
  }
  wire();
  render();
  await listen("call", (/** @type {{payload: LineEvent}} */ e) => onCallEvent(e.payload));
  await listen("line", (/** @type {{payload: LineInfo}} */ e) => onLine(e.payload));
  await listen("history", (e) => {
    if (e.payload.error) return showError(e.payload.error);
    ui.lastCall = e.payload.id ?? null;
    $("export-note").textContent = "";
    refreshHistory();
  });
  await listen("recording", (/** @type {{payload: RecordingNews}} */ e) => onRecording(e.payload));
  await listen("dialing", (e) => ($("peer").textContent = `To ${farEnd(e.payload.pretty)}`));
  await listen("link", (/** @type {{payload: LinkOffer}} */ e) => offerLink(e.payload));
  await listen("levels", (/** @type {{payload: Levels}} */ e) => {
    $("mic-level").value = Math.max(-60, e.payload.input_dbfs);
    $("speaker-level").value = Math.max(-60, e.payload.output_dbfs);
  });
  await listen("audio", (/** @type {{payload: AudioEvent}} */ e) => {
    const a = e.payload;
    if (a.what === "fallback") showError(`${a.wanted} is not there: using ${a.using}.`);
    if (a.what === "lost") showError(`${a.device} went away: using the default ${a.kind}.`);
    if (a.what === "open_failed") showError(a.message);
  });
  onLine(await invoke("line_info"));

  refreshHistory();
  try {
    const info = await invoke("app_info");
    $("version").textContent = info.version;
    $("codecs").textContent = info.codecs.join(", ");
    await tauri.window.getCurrentWindow().setTitle(`Dialtone ${info.version}`);
  } catch (e) {
    showError(`Could not read the app version: ${message(e)}`);
  }
  $("number").focus();
  // A link that came before the window listened (dialtone-app tel:…).
  offerLink(await invoke("take_link_offer"));
}

start();
