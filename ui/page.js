// @ts-check
// What every part of the window shares: the bridge to the core, the element lookup, how
// errors are shown, and the words for the core's states and outcomes.

/** @typedef {import("./bindings").Allowed} Allowed */
/** @typedef {import("./bindings").LineInfo} LineInfo */

export const tauri = /** @type {any} */ (window).__TAURI__;
export const invoke = tauri?.core?.invoke;
export const listen = tauri?.event?.listen;
/** @type {(id: string) => any} */
export const $ = (id) => document.getElementById(id);

export const LABELS = {
  Opening: "Opening the line…",
  Idle: "Ready",
  Registering: "Registering…",
  Dialing: "Calling…",
  Ringing: "Ringing…",
  Proceeding: "Connecting…",
  Connected: "Connected",
  Holding: "Putting on hold…",
  Held: "Held",
  Resuming: "Resuming…",
  Alerting: "Incoming call",
  Answering: "Answering…",
  Ending: "Hanging up…",
  Ended: "Call ended",
};

/** Why a call ended, in words (the history and the CLI keep the core's names). */
export const OUTCOMES = {
  Hangup: "You hung up",
  Terminated: "They hung up",
  Busy: "Busy",
  NoAnswer: "No answer",
  Declined: "They declined",
  NotReachable: "Not reachable",
  SessionCancelled: "Missed: the caller gave up",
  Rejected: "You declined",
  MediaTimeout: "No audio: the call was ended",
};
/** @param {string} reason */
export const outcome = (reason) => OUTCOMES[reason] ?? reason;

/**
 * The far end as a person says it: the number as its country writes it (the core formats
 * it), an Alexa device or a bot by name.
 * @param {string} address
 */
export function farEnd(address) {
  const [scheme, rest] = address.split(/:(.*)/s);
  if (scheme === "alexa" && rest) return `Alexa device ${rest}`;
  if (scheme === "lex" && rest) return `Lex bot ${rest}`;
  return address;
}

/** @type {Allowed} Nothing, until the line says otherwise. */
export const NOTHING = { dial: false, answer: false, decline: false, hangup: false, hold: false, resume: false, mute: false, dtmf: false, text: false };

export const message = (e) => (e && typeof e === "object" && "message" in e ? e.message : String(e));

export function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

export async function call(cmd, args = {}) {
  try {
    return await invoke(cmd, args);
  } catch (e) {
    showError(message(e));
    return undefined;
  }
}

export function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

export function when(ms) {
  return new Date(ms).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}

/** The provider picker's value for a line: `network:account`. */
export function providerOf(info) {
  const account = info.source?.kind === "account" ? info.source.name : "sandbox";
  return `${info.network ?? "camara"}:${account}`;
}
