// @ts-check
// The call screen's live media timeline: audio packets per second each way over the last
// minute, with the seconds on hold shaded and labelled. It makes a hold's effect plain to
// someone who has never read an RTP counter: our strip drops to nothing while we hold, and
// comes back on resume. Fed by the `media` events the core sends once a second (counters
// since the call started).

const SVG = "http://www.w3.org/2000/svg";
/** How far back the strips reach. */
const SPAN_MS = 60_000;
/** Room above the strips for the hold labels. */
const LABEL_BAND = 14;
const LANE_GAP = 6;
/** A 20 ms packetisation sends 50 packets a second: the strips' least full scale. */
const MIN_SCALE = 60;

/**
 * @typedef {{ t: number, sent: number, heard: number, ours: boolean, theirs: boolean }} Sample
 */

/**
 * @param {string} name
 * @param {Record<string, string | number>} attrs
 */
function el(name, attrs) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export class Timeline {
  /**
   * @param {SVGSVGElement} svg the plot
   * @param {HTMLElement} sentOut where the last rate we send is written
   * @param {HTMLElement} heardOut where the last rate we hear is written
   */
  constructor(svg, sentOut, heardOut) {
    this.svg = svg;
    this.sentOut = sentOut;
    this.heardOut = heardOut;
    /** @type {Sample[]} */
    this.samples = [];
    /** @type {{ t: number, sent: number, received: number } | null} */
    this.last = null;
    window.addEventListener("resize", () => this.draw());
  }

  /** A new call (or another call in front): its counters start again. */
  reset() {
    this.samples = [];
    this.last = null;
    this.draw();
  }

  /**
   * One `media` event of the call in front.
   * @param {number} sent RTP packets sent since the call started
   * @param {number} received RTP packets received since the call started
   * @param {{ ours: boolean, theirs: boolean }} held who holds the call now
   * @param {number} now
   */
  add(sent, received, held, now = Date.now()) {
    const last = this.last;
    // Counters only grow within one call; if they went back, another call's came in.
    if (last && sent >= last.sent && received >= last.received && now > last.t) {
      const s = (now - last.t) / 1000;
      this.samples.push({ t: now, sent: (sent - last.sent) / s, heard: (received - last.received) / s, ...held });
      this.samples = this.samples.filter((x) => x.t > now - SPAN_MS);
    }
    this.last = { t: now, sent, received };
    this.draw(now);
  }

  /** @param {number} now */
  draw(now = Date.now()) {
    const svg = this.svg;
    const w = Math.max(120, svg.clientWidth || 300);
    const h = Math.max(60, svg.clientHeight || 88);
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    const lane = (h - LABEL_BAND - LANE_GAP) / 2;
    const tops = [LABEL_BAND, LABEL_BAND + lane + LANE_GAP];
    const x = (/** @type {number} */ t) => w - ((now - t) / SPAN_MS) * w;
    const bar = Math.max(1, w / (SPAN_MS / 1000) - 1);
    const scale = Math.max(MIN_SCALE, ...this.samples.map((s) => Math.max(s.sent, s.heard)));
    const parts = [];
    // Holds first, under the bars: one shaded span per run of held seconds.
    const spans = [];
    for (const kind of /** @type {const} */ (["ours", "theirs"])) {
      let from = null;
      for (let i = 0; i <= this.samples.length; i++) {
        const s = this.samples[i];
        if (s && s[kind] && from === null) from = i;
        if ((!s || !s[kind]) && from !== null) {
          spans.push({ kind, from: this.samples[from].t - 1000, to: this.samples[i - 1].t });
          from = null;
        }
      }
    }
    for (const sp of spans) {
      const x0 = Math.max(0, x(sp.from));
      const width = Math.max(2, x(sp.to) - x0);
      parts.push(el("rect", { class: sp.kind === "ours" ? "held" : "they-held", x: x0, y: 0, width, height: h }));
      const label = sp.kind === "ours" ? (width > 52 ? "On hold" : "hold") : width > 62 ? "They held" : "held";
      // A span at the right edge (a hold going on now) keeps its label inside the plot.
      const text = el("text", { class: "span-label", x: Math.max(0, Math.min(x0 + 3, w - label.length * 7 - 2)), y: 11 });
      text.textContent = label;
      parts.push(text);
    }
    for (const [i, key] of /** @type {const} */ ([[0, "sent"], [1, "heard"]])) {
      const bottom = tops[i] + lane;
      parts.push(el("line", { class: "baseline", x1: 0, x2: w, y1: bottom + 0.5, y2: bottom + 0.5 }));
      for (const s of this.samples) {
        const height = (Math.min(s[key], scale) / scale) * lane;
        if (height < 0.5) continue;
        parts.push(el("rect", { class: `bar ${key}`, x: x(s.t) - bar, y: bottom - height, width: bar, height }));
      }
    }
    svg.replaceChildren(...parts);

    const now1 = this.samples.at(-1);
    const rate = (/** @type {number | undefined} */ r) => (r === undefined ? "–" : String(Math.round(r)));
    this.sentOut.textContent = rate(now1?.sent);
    this.heardOut.textContent = rate(now1?.heard);
    svg.dataset.sent = rate(now1?.sent);
    svg.dataset.heard = rate(now1?.heard);
    svg.dataset.holds = String(spans.filter((s) => s.kind === "ours").length);
    svg.dataset.theirHolds = String(spans.filter((s) => s.kind === "theirs").length);
    const held = this.samples.filter((s) => s.ours).length;
    svg.setAttribute(
      "aria-label",
      now1
        ? `Audio packets over the last ${this.samples.length} s: sending ${rate(now1.sent)} a second, hearing ${rate(now1.heard)} a second${held ? `; on hold for ${held} s of them` : ""}`
        : "No audio yet",
    );
  }
}
