//! The demo window as stakeholders see it: the call screen that takes over while a call is
//! up, its live timeline showing what a hold does to our audio (and what the other side's
//! hold does), the keypad over it, the dial screen back after the call, an incoming call;
//! each at 360×640, 420×720, 1024×768, 1280×800 and 1920×1080, in the light and the dark
//! theme, with nothing off-screen, on top of something else or cut off, and every text at
//! WCAG AA contrast. Screenshots: `target/app-screenshots/screens/<theme>/<state>-<size>.png`.

use dialtone_e2e::desk::{
    Desk, SETUP, STEP, call_me, dial, dial_echo, hang_up, screenshot, status, wait_clock,
};
use dialtone_e2e::webdriver::{Theme, Window};
use serde_json::{Value, json};
use std::path::Path;

const APP: &str = env!("CARGO_BIN_EXE_dialtone-app");

const SIZES: [(u32, u32); 5] = [(360, 640), (420, 720), (1024, 768), (1280, 800), (1920, 1080)];

/// What is wrong with the page as it is laid out now, in words: sideways scrolling, parts
/// outside the window or on top of each other, text that does not fit its box, and text
/// below WCAG AA contrast against what is behind it (4.5:1, or 3:1 for large text).
/// Overlays (the REC badge, the quality figures shown on hover) are over things on purpose.
const PROBLEMS: &str = r#"
const problems = [];
const vw = window.innerWidth;
const shown = (e) => e.getClientRects().length > 0 && !e.closest('[hidden]') && getComputedStyle(e).visibility !== 'hidden';
const overlay = (e) => !!e.closest('.rec, .figures');
const name = (e) => e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}${typeof e.className === 'string' && e.className ? '.' + e.className.split(' ')[0] : ''}${e.dataset && e.dataset.key ? `[${e.dataset.key}]` : ''} "${(e.textContent || '').trim().slice(0, 24)}"`;
if (document.documentElement.scrollWidth > vw) problems.push(`the page scrolls sideways by ${document.documentElement.scrollWidth - vw} px`);

const parts = [...document.querySelectorAll('button, input, select, meter, label, h1, h2, p, dt, dd, td, li > span, svg.plot')]
  .filter(shown).filter((e) => !overlay(e));
const rects = parts.map((e) => e.getBoundingClientRect());
parts.forEach((e, i) => {
  const r = rects[i];
  if (r.width === 0 || r.height === 0) return;
  if (r.left < -1 || r.right > vw + 1) problems.push(`${name(e)} is outside the window (${Math.round(r.left)} to ${Math.round(r.right)} of ${vw} px)`);
  const inline = getComputedStyle(e).display === 'inline';
  if (!inline && !['INPUT', 'SELECT', 'METER'].includes(e.tagName) && e.scrollWidth > e.clientWidth + 1) problems.push(`${name(e)} does not fit: ${e.scrollWidth} px of text in ${e.clientWidth} px`);
  for (let j = i + 1; j < parts.length; j++) {
    const f = parts[j], q = rects[j];
    if (e.contains(f) || f.contains(e) || q.width === 0 || q.height === 0) continue;
    const w = Math.min(r.right, q.right) - Math.max(r.left, q.left);
    const h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
    if (w > 2 && h > 2) problems.push(`${name(e)} and ${name(f)} overlap by ${Math.round(w)}×${Math.round(h)} px`);
  }
});

const rgba = (c) => {
  const m = c.match(/^rgba?\(([^)]+)\)$/);
  if (m) { const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; }
  const s = c.match(/^color\(srgb ([^)]+)\)$/);
  if (s) { const v = s[1].split(/[ /]+/).filter(Boolean).map(Number); return [v[0] * 255, v[1] * 255, v[2] * 255, v.length > 3 ? v[3] : 1]; }
  return null;
};
const over = (top, under) => [0, 1, 2].map((k) => top[k] * top[3] + under[k] * (1 - top[3])).concat(1);
const behind = (e) => {
  const layers = [];
  for (let n = e; n; n = n.parentElement) layers.push(rgba(getComputedStyle(n).backgroundColor) || [0, 0, 0, 0]);
  return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]);
};
const luminance = (c) => {
  const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const texts = [...document.querySelectorAll('body *')].filter((e) =>
  shown(e) && !(e instanceof SVGElement) && !e.closest('button:disabled, option') &&
  ([...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) || (['INPUT', 'SELECT'].includes(e.tagName) && e.value)));
for (const e of texts) {
  const style = getComputedStyle(e);
  const fg = rgba(style.color);
  if (!fg) { problems.push(`${name(e)}: colour ${style.color} not understood`); continue; }
  let opacity = 1;
  for (let n = e; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
  const bg = behind(e);
  const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
  const [a, b] = [luminance(text), luminance(bg)];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const px = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
  const need = px >= 24 || (px >= 18.66 && bold) ? 3 : 4.5;
  if (ratio < need) problems.push(`${name(e)}: contrast ${ratio.toFixed(2)} < ${need} (${style.color} on rgb(${bg.slice(0, 3).map(Math.round)}))`);
}
return problems;
"#;

/// The window at every size: checked, and photographed as `<theme>/<state>-<w>x<h>`.
async fn every_size(w: &Window, theme: Theme, state: &str) {
    for size in SIZES {
        at_size(w, theme, state, size).await;
    }
}

async fn at_size(w: &Window, theme: Theme, state: &str, (width, height): (u32, u32)) {
    w.set_size(width, height).await;
    w.wait_for(
        &format!("{width}×{height}"),
        STEP,
        &format!("return Math.abs(window.innerWidth - {width}) < 40 && Math.abs(window.innerHeight - {height}) < 80;"),
    )
    .await;
    let problems = w.execute(PROBLEMS, json!([])).await;
    assert_eq!(
        problems,
        json!([]),
        "{} theme, {state}, {width}×{height}",
        theme.name()
    );
    let name = format!("screens/{}/{state}-{width}x{height}", theme.name());
    w.screenshot(&screenshot(&name)).await;
}

async fn js(w: &Window, script: &str) -> Value {
    w.execute(script, json!([])).await
}

/// The timeline's last rate each way, packets per second.
async fn rates(w: &Window) -> (i64, i64) {
    let d = js(
        w,
        "const d = document.getElementById('timeline-plot').dataset; return [Number(d.sent), Number(d.heard)];",
    )
    .await;
    (d[0].as_i64().unwrap_or(-1), d[1].as_i64().unwrap_or(-1))
}

async fn the_call_screen_in(theme: Theme) {
    let desk = Desk::open(Path::new(APP), theme).await;
    let (w, url) = (&desk.w, desk.url.as_str());
    assert_eq!(
        js(w, "return matchMedia('(prefers-color-scheme: dark)').matches;").await,
        theme == Theme::Dark,
        "the window follows the desktop's theme"
    );
    every_size(w, theme, "dial").await;

    // The call screen takes over: the far end, a large state and timer, round controls;
    // the keypad waits behind its button, and the timeline fills once a second.
    dial_echo(w).await;
    assert_eq!(js(w, "return document.body.dataset.screen;").await, "call");
    assert!(
        !w.shown("#keypad").await,
        "the keypad stays out of the call screen"
    );
    let peer = w.text("#peer").await;
    assert!(peer.replace(' ', "").contains("+15550100"), "{peer}");
    wait_clock(w, "duration").await;
    w.wait_for(
        "both strips at a call's rate",
        STEP,
        "const d = document.getElementById('timeline-plot').dataset; return Number(d.sent) > 20 && Number(d.heard) > 20;",
    )
    .await;
    w.wait_for(
        "a quality word",
        STEP,
        "return ['good', 'fair', 'poor'].includes(document.getElementById('q-word').textContent);",
    )
    .await;
    every_size(w, theme, "call").await;

    w.click("#keypad-toggle").await;
    assert!(w.shown("#keypad").await);
    every_size(w, theme, "keypad").await;
    w.click("#keypad-toggle").await;
    assert!(!w.shown("#keypad").await);

    // Hold: our strip drops to nothing (the echo's with it) under a shaded "On hold".
    w.click("#hold").await;
    w.wait_state("Held", STEP).await;
    w.wait_for(
        "the timeline showing the hold",
        STEP,
        "const d = document.getElementById('timeline-plot').dataset; return d.sent === '0' && d.holds === '1';",
    )
    .await;
    assert_eq!(
        status(url).await.sessions[0].client_direction,
        Some(dialtone_core::media::Direction::RecvOnly)
    );
    wait_clock(w, "hold-timer").await;
    every_size(w, theme, "held").await;

    // Resume: audio back both ways, the hold left shaded behind it.
    w.click("#hold").await;
    w.wait_state("Connected", STEP).await;
    w.wait_for(
        "audio back on the timeline",
        STEP,
        "const d = document.getElementById('timeline-plot').dataset; return Number(d.sent) > 20 && Number(d.heard) > 20 && d.holds === '1';",
    )
    .await;
    let (sent, heard) = rates(w).await;
    every_size(w, theme, "resumed").await;

    // The dial screen comes back with the call on top of History.
    hang_up(w).await;
    assert_eq!(js(w, "return document.body.dataset.screen;").await, "dial");
    w.wait_for(
        "the call on top of History",
        STEP,
        "const li = document.querySelector('#history li'); return !!li && li.textContent.replace(/\\s/g, '').includes('+15550100');",
    )
    .await;
    every_size(w, theme, "ended").await;

    // The other side holds us (+15550106 does, 3 s into the call, for 3 s): a state of its
    // own. A hold that ends before every size is photographed goes on in the next call.
    let mut todo = SIZES.to_vec();
    for _ in 0..4 {
        if todo.is_empty() {
            break;
        }
        dial(w, "+15550106").await;
        w.wait_for(
            "They put you on hold",
            SETUP,
            "return !document.getElementById('remote-hold').hidden;",
        )
        .await;
        assert_eq!(w.text("#state").await, "Connected");
        while let Some(&size) = todo.first() {
            at_size(w, theme, "they-hold", size).await;
            if !w.shown("#remote-hold").await {
                break;
            }
            todo.remove(0);
        }
        w.wait_for(
            "their hold over",
            SETUP,
            "return document.getElementById('remote-hold').hidden;",
        )
        .await;
        assert_eq!(
            js(
                w,
                "return document.getElementById('timeline-plot').dataset.theirHolds;"
            )
            .await,
            "1",
            "their hold is shaded on the timeline"
        );
        hang_up(w).await;
    }
    assert!(
        todo.is_empty(),
        "their hold never lasted long enough for {todo:?}"
    );

    // An incoming call: the panel in view, the focus on Answer.
    call_me(url).await;
    w.wait_for(
        "the incoming panel",
        SETUP,
        "return !document.getElementById('incoming').hidden && document.activeElement.id === 'answer';",
    )
    .await;
    every_size(w, theme, "incoming").await;
    w.click("#decline").await;
    w.wait_state("Call ended", STEP).await;

    println!(
        "{} theme: 8 states at {} sizes checked; after the resume we sent {sent}/s and heard {heard}/s",
        theme.name(),
        SIZES.len()
    );
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_screen_shows_a_hold_on_its_timeline_at_every_size_in_the_light_theme_at_aa_contrast() {
    the_call_screen_in(Theme::Light).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_screen_shows_a_hold_on_its_timeline_at_every_size_in_the_dark_theme_at_aa_contrast() {
    the_call_screen_in(Theme::Dark).await;
}
