// @ts-check
// The Settings tab: provider, devices, voice processing, codecs and the network (saved with
// the CLI's settings), and the preflight before a demo.

import { $, call, invoke, providerOf, showError } from "./page.js";

/** @typedef {import("./bindings").Preflight} Preflight */

function option(value, text, selected) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  o.selected = selected;
  return o;
}

/** @param {{ impairment: string, codecs: string }} ui the window's state */
export async function loadSettings(ui) {
  // Busy until every list is filled: a choice made before then would be overwritten.
  $("settings").setAttribute("aria-busy", "true");
  const [accounts, devices, info, links] = await Promise.all([
    call("accounts"),
    invoke("devices"),
    invoke("line_info"),
    invoke("link_prefs"),
  ]);
  $("dial-links-at-once").checked = links.dial_at_once;
  const current = providerOf(info);
  $("account").replaceChildren(
    option("camara:sandbox", "Sandbox (built in): phone numbers", current === "camara:sandbox"),
    option("alexa:sandbox", "Sandbox (built in): Alexa devices", current === "alexa:sandbox"),
    option("lex:sandbox", "Sandbox (built in): Lex demo bot", current === "lex:sandbox"),
    ...(accounts?.accounts ?? []).map((a) => option(`camara:${a}`, `CAMARA operator: ${a}`, current === `camara:${a}`)),
    ...(accounts?.alexa ?? []).map((a) => option(`alexa:${a}`, `Alexa: ${a}`, current === `alexa:${a}`)),
    ...(accounts?.lex ?? []).map((a) => option(`lex:${a}`, `Lex: ${a}`, current === `lex:${a}`)),
  );
  const devs = (list, chosen) => [
    option("", "System default", !chosen),
    ...list.map((d) => option(d.name, d.name, d.name === chosen)),
  ];
  $("input-device").replaceChildren(...devs(devices.inputs, devices.input));
  $("output-device").replaceChildren(...devs(devices.outputs, devices.output));
  $("aec").checked = devices.voice.echo_cancellation;
  $("ns").checked = devices.voice.noise_suppression;
  $("agc").checked = devices.voice.gain_control;
  $("codecs-pref").value = devices.codecs ?? "";
  ui.codecs = devices.codecs ?? "";
  const presets = await invoke("network_presets");
  $("impair-pref").replaceChildren(
    option("", "Clean: as it is", !ui.impairment),
    ...presets.map((p) => {
      const o = option(p.name, `${p.name}: ${p.loss_pct}% loss, ${p.delay_ms} ± ${p.jitter_ms} ms`, p.name === ui.impairment);
      o.title = p.what;
      return o;
    }),
  );
  $("settings-note").textContent = devices.error ? `No sound devices: ${devices.error}` : "";
  $("settings").setAttribute("aria-busy", "false");
}

/**
 * @param {Event} e the form's submit
 * @param {{ active: boolean, codecs: string }} ui the window's state
 * @param {() => void} reopening shows the line opening again
 */
export async function saveSettings(e, ui, reopening) {
  e.preventDefault();
  const voice = { echo_cancellation: $("aec").checked, noise_suppression: $("ns").checked, gain_control: $("agc").checked };
  const codecs = $("codecs-pref").value || null;
  const saved = await call("set_audio", { input: $("input-device").value || null, output: $("output-device").value || null, voice, codecs });
  if ((await call("set_link_prefs", { prefs: { dial_at_once: $("dial-links-at-once").checked } })) === undefined) return;
  const info = await invoke("line_info");
  const wanted = $("account").value;
  // The codec order is the line's: a change reopens it, as a provider switch does.
  const codecsChanged = saved !== undefined && (codecs ?? "") !== ui.codecs;
  if (saved !== undefined) ui.codecs = codecs ?? "";
  // So is the network's impairment (never saved: the app starts on a clean network).
  const impair = $("impair-pref").value;
  const impairChanged = impair !== (info.impairment ?? "");
  if (wanted !== providerOf(info) || codecsChanged || impairChanged) {
    if (ui.active) {
      showError("Hang up before switching the provider, the codecs or the network.");
      return;
    }
    const [network, account] = wanted.split(/:(.*)/s);
    reopening();
    await call("open_line", { account, network, impair });
  }
  if (saved !== undefined) $("settings-note").textContent = "Saved. Devices apply from the next call; voice processing at once.";
}

/** Makes Dialtone the desktop's handler of tel: and callto: links (a build run from source). */
export async function registerLinks() {
  const done = await call("register_link_handler");
  if (done !== undefined) $("links-note").textContent = "tel: and callto: links now open in Dialtone.";
}

/** Runs the preflight and shows each step's result, and what to do about a failure. */
export async function runPreflight() {
  const button = $("preflight");
  button.disabled = true;
  $("preflight-verdict").textContent = "Checking… (about 5 s)";
  $("preflight-phases").hidden = true;
  /** @type {Preflight | undefined} */
  const p = await call("preflight");
  button.disabled = false;
  if (!p) {
    $("preflight-verdict").textContent = "";
    return;
  }
  const trip = p.round_trip_ms == null ? "" : ` Audio round trip ${p.round_trip_ms} ms.`;
  $("preflight-verdict").textContent = p.pass ? `Everything is in place.${trip}` : `Not ready: ${p.failed ?? "a step failed"}`;
  $("preflight-verdict").dataset.pass = String(p.pass);
  $("preflight-phases").tBodies[0].replaceChildren(
    ...p.phases.map((ph) => {
      const tr = document.createElement("tr");
      tr.dataset.result = ph.result;
      tr.title = ph.detail;
      for (const text of [ph.phase, ph.result, ph.at_ms == null ? "" : `${ph.at_ms} ms`]) {
        tr.append(Object.assign(document.createElement("td"), { textContent: text }));
      }
      return tr;
    }),
  );
  $("preflight-phases").hidden = false;
}
