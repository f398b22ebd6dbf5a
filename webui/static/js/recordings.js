// The recordings page: a zoomable timeline of one camera (recorded ranges, gaps with their reason,
// incidents by severity, an activity band, hover thumbnails) over a day or up to 7 days, and the player.
// The URL holds camera, day, days, view start, zoom and the time played, so a link shows the same.
import { ApiError, getJson } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { mountPlayer } from "./player.js";
import { startShell } from "./shell.js";
import { formatTime, formatWallclock, siteTimezone, zonedDay, zonedMidnight } from "./wallclock.js";

const HOUR = 3600e3;
const DAY = 24 * HOUR;
const ZOOMS = [{ span: HOUR, key: "rec.zoom1h" }, { span: 6 * HOUR, key: "rec.zoom6h" },
  { span: DAY, key: "rec.zoom1d" }, { span: 7 * DAY, key: "rec.zoom7d" }];
const PLAYER_BEFORE = HOUR; // the player loads [at - 1 h, at + 23 h]: playlists are at most 24 h
const PLAYER_AFTER = 23 * HOUR;
const TICK_STEPS = [5, 15, 30, 60, 180, 360, 720, 1440].map((m) => m * 60e3);
const ACTIVITY_BUCKETS = 240;

const view = { camera: null, dataStart: 0, dataEnd: 0, start: 0, span: DAY, at: null };
let data = { ranges: [], gaps: [], incidents: [], activity: [], segments: [] };
let timezone = "UTC";
let me = null;
let player = null;
let playerRange = null;
let selection = null;

const $ = (id) => document.getElementById(id);
const timeline = $("timeline");

function fraction(ms) { return (ms - view.start) / view.span; }
function timeAtX(clientX) {
  const box = timeline.getBoundingClientRect();
  return view.start + ((clientX - box.left) / box.width) * view.span;
}
function place(node, from, to) {
  const left = Math.max(0, fraction(from));
  const right = Math.min(1, fraction(to));
  node.style.left = `${left * 100}%`;
  node.style.width = `${Math.max(0, right - left) * 100}%`;
  node.hidden = right <= 0 || left >= 1;
}

// --- URL -------------------------------------------------------------------------------------------
function readUrl() {
  const query = new URLSearchParams(location.search);
  const days = Math.min(7, Math.max(1, Number(query.get("days")) || 1));
  const day = query.get("day") || zonedDay(Date.now(), timezone);
  view.dataStart = zonedMidnight(day, timezone);
  view.dataEnd = view.dataStart + days * DAY;
  view.camera = query.get("camera");
  view.span = clampSpan(Number(query.get("zoom")) * 1000 || days * DAY);
  view.start = clampStart(Number(query.get("start")) || view.dataStart);
  view.at = Number(query.get("at")) || null;
  $("day").value = day;
  $("days").value = String(days);
}

// Throttled, not debounced: while a recording plays, every frame moves view.at, and a debounce would
// never write the address until playback stops. The pending write reads the view when it runs.
let urlTimer = 0;
function writeUrl() {
  if (urlTimer) return;
  urlTimer = setTimeout(() => {
    urlTimer = 0;
    const query = new URLSearchParams({
      camera: view.camera || "", day: $("day").value, days: $("days").value,
      start: String(Math.round(view.start)), zoom: String(Math.round(view.span / 1000)),
    });
    if (view.at) query.set("at", String(Math.round(view.at)));
    history.replaceState(null, "", `${location.pathname}?${query}`);
  }, 200);
}

function clampSpan(span) {
  return Math.min(view.dataEnd - view.dataStart, Math.max(HOUR, span));
}
function clampStart(start) {
  return Math.min(view.dataEnd - view.span, Math.max(view.dataStart, start));
}

// --- data ------------------------------------------------------------------------------------------
async function loadData() {
  const cam = encodeURIComponent(view.camera);
  const range = `start=${view.dataStart / 1000}&end=${view.dataEnd / 1000}`;
  const since = new Date(view.dataStart).toISOString();
  const until = new Date(view.dataEnd).toISOString();
  const [overview, activity, incidents] = await Promise.all([
    getJson(`/api/recordings/${cam}?${range}&segments=false`),
    getJson(`/api/recordings/${cam}/activity?${range}`),
    getJson(`/api/incidents?camera=${cam}&since=${since}&until=${until}&per_page=200`).catch(() => ({ items: [] })),
  ]);
  data = {
    ranges: overview.ranges.map((r) => ({ start: r.start * 1000, end: r.end * 1000 })),
    // The future is not a gap: gaps end at now.
    gaps: overview.gaps.map((g) => ({ start: g.start * 1000, end: Math.min(g.end * 1000, Date.now()),
      reason: g.reason })).filter((g) => g.end > g.start),
    activity: activity.minutes,
    incidents: incidents.items,
  };
}

// --- drawing ---------------------------------------------------------------------------------------
function draw() {
  const track = timeline.querySelector(".tl-track");
  track.replaceChildren(
    ...data.ranges.map((r) => {
      const node = el("div", { class: "tl-range", dataset: { start: r.start, end: r.end } });
      place(node, r.start, r.end);
      return node;
    }),
    ...data.gaps.map((g) => {
      const reason = t(`rec.reason.${g.reason}`);
      const label = `${t("rec.gap")}: ${reason} (${formatTime(g.start, timezone)}–${formatTime(g.end, timezone)})`;
      const node = el("div", { class: `tl-gap reason-${g.reason}`, title: label, "aria-label": label,
        dataset: { reason: g.reason, start: g.start, end: g.end } });
      place(node, g.start, g.end);
      return node;
    }),
  );
  drawActivity();
  drawMarkers();
  drawAxis();
  drawCursor();
  drawSelection();
  for (const button of $("zoom-buttons").children) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.span) === view.span));
  }
}

function drawActivity() {
  const band = timeline.querySelector(".tl-activity");
  const bucket = view.span / ACTIVITY_BUCKETS;
  const sums = new Array(ACTIVITY_BUCKETS).fill(0);
  for (const [minute, frames, motion, detections] of data.activity) {
    const index = Math.floor((minute * 1000 - view.start) / bucket);
    if (index >= 0 && index < ACTIVITY_BUCKETS) sums[index] += detections + (frames ? motion / frames : 0);
  }
  const peak = Math.max(...sums, 1e-9);
  band.replaceChildren(...sums.map((value, index) => {
    const bar = el("div", { class: "tl-activity-bar", dataset: { value: value.toFixed(3) } });
    bar.style.left = `${(index / ACTIVITY_BUCKETS) * 100}%`;
    bar.style.width = `${100 / ACTIVITY_BUCKETS}%`;
    bar.style.height = `${(value / peak) * 100}%`;
    return bar;
  }).filter((bar) => Number(bar.dataset.value) > 0));
}

function drawMarkers() {
  const layer = timeline.querySelector(".tl-markers");
  layer.replaceChildren(...data.incidents.map((incident) => {
    const at = Date.parse(incident.started_at);
    const label = `${t(`alerts.severity.${incident.severity}`)} · ${incident.rule} · ${formatTime(at, timezone)}`;
    const marker = el("a", {
      class: `tl-marker severity-${incident.severity}`, href: `/static/incident.html?id=${incident.id}`,
      title: label, "aria-label": label, dataset: { id: incident.id, at },
    });
    marker.style.left = `${fraction(at) * 100}%`;
    marker.hidden = fraction(at) < 0 || fraction(at) > 1;
    return marker;
  }));
}

function drawAxis() {
  const axis = $("axis");
  const step = TICK_STEPS.find((s) => view.span / s <= 12) || TICK_STEPS.at(-1);
  const ticks = [];
  // Ticks on the site's local clock: start from local midnight of the view's first day.
  let tick = zonedMidnight(zonedDay(view.start, timezone), timezone);
  while (tick < view.start) tick += step;
  for (; tick <= view.start + view.span; tick += step) {
    const midnight = zonedMidnight(zonedDay(tick, timezone), timezone) === tick; // "00.00" in Indonesian
    const text = step >= DAY || midnight
      ? `${zonedDay(tick, timezone).slice(5)} ${formatTime(tick, timezone)}` : formatTime(tick, timezone);
    const label = el("span", { class: "tl-tick", text });
    label.style.left = `${fraction(tick) * 100}%`;
    ticks.push(label);
  }
  axis.replaceChildren(...ticks);
}

function drawCursor() {
  const cursor = timeline.querySelector(".tl-cursor");
  if (!view.at) {
    cursor.hidden = true;
    return;
  }
  cursor.style.left = `${fraction(view.at) * 100}%`;
  cursor.hidden = fraction(view.at) < 0 || fraction(view.at) > 1;
}

function drawSelection() {
  const box = timeline.querySelector(".tl-selection");
  const link = $("export");
  if (!selection) {
    box.hidden = true;
    link.hidden = true;
    $("selection-text").textContent = "";
    return;
  }
  place(box, selection.start, selection.end);
  const text = `${formatWallclock(selection.start, timezone)} – ${formatWallclock(selection.end, timezone)}`;
  $("selection-text").textContent = `${t("rec.selection")}: ${text}`;
  const mayExport = me && ["supervisor", "admin"].includes(me.role);
  link.hidden = !mayExport;
  const cam = encodeURIComponent(view.camera);
  link.href = `/api/recordings/${cam}/clip.mp4?start=${selection.start / 1000}&end=${selection.end / 1000}`;
  link.setAttribute("download", `${view.camera}-${Math.round(selection.start / 1000)}.mp4`);
}

// --- playing ---------------------------------------------------------------------------------------
async function playFrom(at) {
  view.at = at;
  drawCursor();
  writeUrl();
  if (player && playerRange && playerRange.camera === view.camera && at >= playerRange.start
      && at < playerRange.end) {
    await player.seekWallclock(at);
    player.play();
    return;
  }
  if (player) player.destroy();
  playerRange = { camera: view.camera, start: at - PLAYER_BEFORE, end: at + PLAYER_AFTER };
  player = mountPlayer($("player"), {
    camera: view.camera, start: playerRange.start, end: playerRange.end, at, timezone,
    markers: data.incidents.map((i) => ({ at: Date.parse(i.started_at), severity: i.severity, label: i.rule,
      href: `/static/incident.html?id=${i.id}` })),
    onTime: (wall) => {
      if (wall === null) return;
      view.at = wall;
      drawCursor();
      writeUrl();
    },
  });
  window.wawaiPlayer = player; // tests and the console reach the page's player here
}

// --- interaction -----------------------------------------------------------------------------------
function zoomTo(span, around = view.start + view.span / 2) {
  const ratio = (around - view.start) / view.span;
  view.span = clampSpan(span);
  view.start = clampStart(around - ratio * view.span);
  draw();
  writeUrl();
}

function bindTimeline() {
  let down = null;
  timeline.addEventListener("pointerdown", (event) => {
    down = { x: event.clientX, at: timeAtX(event.clientX) };
    timeline.setPointerCapture(event.pointerId);
  });
  timeline.addEventListener("pointermove", (event) => {
    hover(event);
    if (!down || Math.abs(event.clientX - down.x) < 5) return;
    const at = timeAtX(event.clientX);
    selection = { start: Math.min(down.at, at), end: Math.max(down.at, at) };
    drawSelection();
  });
  timeline.addEventListener("pointerup", (event) => {
    if (!down) return;
    const moved = Math.abs(event.clientX - down.x) >= 5;
    down = null;
    if (event.target.closest(".tl-marker")) return; // the link opens the incident
    if (!moved) {
      selection = null;
      drawSelection();
      playFrom(timeAtX(event.clientX));
    }
  });
  timeline.addEventListener("pointerleave", () => { timeline.querySelector(".tl-hover").hidden = true; });
  timeline.addEventListener("wheel", (event) => {
    event.preventDefault();
    zoomTo(view.span * (event.deltaY > 0 ? 1.5 : 1 / 1.5), timeAtX(event.clientX));
  }, { passive: false });
  timeline.addEventListener("keydown", (event) => {
    const keys = { "+": () => zoomTo(view.span / 2), "-": () => zoomTo(view.span * 2),
      ArrowLeft: () => pan(-1), ArrowRight: () => pan(1) };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });
}

let hoverKey = null;
function hover(event) {
  const figure = timeline.querySelector(".tl-hover");
  const at = timeAtX(event.clientX);
  const recorded = data.ranges.some((r) => r.start <= at && at < r.end);
  figure.hidden = !recorded;
  if (!recorded) return;
  const box = timeline.getBoundingClientRect();
  figure.style.left = `${Math.min(box.width - 170, Math.max(0, event.clientX - box.left - 80))}px`;
  figure.querySelector("figcaption").textContent = formatWallclock(at, timezone);
  const key = Math.floor(at / 2000) * 2; // one request per 2 s of timeline at most
  if (key !== hoverKey) {
    hoverKey = key;
    figure.querySelector("img").src =
      `/api/recordings/${encodeURIComponent(view.camera)}/thumbnail.jpg?at=${at / 1000}`;
  }
}

function pan(direction) {
  view.start = clampStart(view.start + direction * view.span / 2);
  draw();
  writeUrl();
}

async function reload() {
  view.dataStart = zonedMidnight($("day").value, timezone);
  view.dataEnd = view.dataStart + Number($("days").value) * DAY;
  view.span = clampSpan(view.span);
  view.start = clampStart(view.start);
  selection = null;
  $("rec-notice").textContent = "";
  try {
    await loadData();
  } catch (error) {
    $("rec-notice").textContent = error instanceof ApiError ? error.message : t("rec.loadFailed");
    data = { ranges: [], gaps: [], incidents: [], activity: [] };
  }
  draw();
  writeUrl();
}

async function main() {
  me = await startShell();
  timezone = await siteTimezone();
  const cameras = await getJson("/api/cameras");
  const select = $("camera");
  select.replaceChildren(...cameras.map((c) => el("option", { value: c.id, text: c.name || c.id })));
  readUrl();
  if (!cameras.length) {
    $("rec-notice").textContent = t("rec.noCameras");
    return;
  }
  if (!cameras.some((c) => c.id === view.camera)) view.camera = cameras[0].id;
  select.value = view.camera;
  $("zoom-buttons").replaceChildren(...ZOOMS.map((zoom) => el("button", {
    type: "button", text: t(zoom.key), dataset: { span: zoom.span }, onclick: () => zoomTo(zoom.span),
  })));
  select.addEventListener("change", () => {
    view.camera = select.value;
    if (player) player.destroy();
    player = null;
    reload();
  });
  for (const id of ["day", "days"]) $(id).addEventListener("change", reload);
  $("pan-back").addEventListener("click", () => pan(-1));
  $("pan-forward").addEventListener("click", () => pan(1));
  bindTimeline();
  await reload();
  if (view.at) await playFrom(view.at);
  document.body.dataset.ready = "true"; // tests wait for this
}

main();
