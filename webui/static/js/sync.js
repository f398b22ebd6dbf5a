// Synchronized playback: up to four cameras side by side at the same wall-clock time, one set of
// controls (js/sync_clock.js keeps them together). URL: ?cameras=a,b&at=<epoch ms>&rate=1.
import { getJson } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { mountPlayer, SPEEDS } from "./player.js";
import { startShell } from "./shell.js";
import { SyncClock } from "./sync_clock.js";
import { formatWallclock, siteTimezone, zonedDay, zonedMidnight } from "./wallclock.js";

const MAX_CAMERAS = 4;
const HOUR = 3600e3;
const $ = (id) => document.getElementById(id);

let timezone = "UTC";
let clock = null;
const masterClock = el("time", { class: "player-clock", text: "—" });
const driftText = el("span", { class: "label" });

function localInput(ms) {
  const time = formatWallclock(ms, timezone).slice(11, 19);
  return `${zonedDay(ms, timezone)}T${time}`;
}

function fromLocalInput(value) {
  const [day, time = "00:00:00"] = value.split("T");
  const [h, m, s = 0] = time.split(":").map(Number);
  return zonedMidnight(day, timezone) + ((h * 60 + m) * 60 + s) * 1000;
}

function picked() {
  return [...$("camera-picks").querySelectorAll("select")].map((s) => s.value).filter(Boolean);
}

function writeUrl(at) {
  const query = new URLSearchParams({ cameras: picked().join(","), at: String(Math.round(at)),
    rate: String(clock ? clock.rate : 1) });
  history.replaceState(null, "", `${location.pathname}?${query}`);
}

async function show(at, rate = 1) {
  if (clock) clock.destroy();
  const grid = $("sync-grid");
  grid.replaceChildren();
  const entries = picked().slice(0, MAX_CAMERAS).map((camera) => {
    const host = el("div", { class: "player-host" });
    const gap = el("p", { class: "notice", text: t("sync.noRecording"), hidden: true });
    grid.append(el("section", { class: "sync-cell", dataset: { camera } }, el("h3", { text: camera }), gap, host));
    const player = mountPlayer(host, { camera, start: at - HOUR, end: at + 23 * HOUR, at, timezone,
      controls: false, autoplay: false });
    return { id: camera, player, onGap: (inGap) => { gap.hidden = !inGap; } };
  });
  clock = new SyncClock(entries, {
    onTick: (wall) => {
      masterClock.textContent = formatWallclock(wall, timezone, true);
      driftText.textContent = t("sync.drift", { ms: Math.round(clock.spread()) });
    },
  });
  window.wawaiSync = clock; // tests and the console read the clock and its players here
  await Promise.all(entries.map((e) => e.player.ready));
  clock.setRate(rate);
  await clock.seek(at);
  masterClock.textContent = formatWallclock(at, timezone, true);
  writeUrl(at);
  clock.play();
  document.body.dataset.ready = "true";
}

function controls() {
  const button = (key, action, glyph) => el("button", { type: "button", class: "quiet", title: t(key),
    "aria-label": t(key), text: glyph, onclick: action });
  const speed = el("select", { "aria-label": t("player.speed"), onchange: () => clock?.setRate(Number(speed.value)) },
    SPEEDS.map((s) => el("option", { value: String(s), text: `${s}×`, selected: s === 1 })));
  const toggle = () => (clock?.playing ? clock.pause() : clock?.play());
  const shift = (direction) => {
    const index = Math.max(0, SPEEDS.indexOf(clock?.rate ?? 1));
    const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, index + direction))];
    speed.value = String(next);
    clock?.setRate(next);
  };
  $("sync-controls").replaceChildren(
    button("player.back10", () => clock?.jump(-10), "−10s"),
    button("player.frameBack", () => clock?.step(-1), "◀▮"),
    button("player.play", toggle, "▶ ❚❚"),
    button("player.frameForward", () => clock?.step(1), "▮▶"),
    button("player.forward10", () => clock?.jump(10), "+10s"),
    speed, el("span", { class: "spacer" }), driftText, masterClock,
  );
  document.addEventListener("keydown", (event) => {
    if (["INPUT", "SELECT"].includes(event.target.tagName)) return;
    const keys = { " ": toggle, ArrowLeft: () => clock?.jump(-10), ArrowRight: () => clock?.jump(10),
      ",": () => clock?.step(-1), ".": () => clock?.step(1), "[": () => shift(-1), "]": () => shift(1) };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });
}

async function main() {
  await startShell();
  timezone = await siteTimezone();
  const cameras = await getJson("/api/cameras");
  const query = new URLSearchParams(location.search);
  const wanted = (query.get("cameras") || "").split(",").filter(Boolean);
  const picks = [];
  for (let n = 0; n < MAX_CAMERAS; n += 1) {
    const select = el("select", { "aria-label": t("sync.cameraN", { n: n + 1 }) },
      el("option", { value: "", text: t("sync.none") }),
      cameras.map((c) => el("option", { value: c.id, text: c.name || c.id })));
    select.value = wanted[n] && cameras.some((c) => c.id === wanted[n]) ? wanted[n] : "";
    picks.push(select);
  }
  $("camera-picks").replaceChildren(...picks);
  const at = Number(query.get("at")) || Date.now() - 10 * 60e3;
  $("from").value = localInput(at);
  controls();
  $("show").addEventListener("click", () => show(fromLocalInput($("from").value)));
  if (picked().length) await show(at, Number(query.get("rate")) || 1);
  else document.body.dataset.ready = "true";
}

main();
