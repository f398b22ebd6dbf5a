// Camera health: a row per camera the user may see (ingest, recording, detector, storage, gaps), and the
// last 24 hours of one camera as uPlot charts from the per-minute samples. URL: ?camera=<id>.
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { getJson } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { startShell } from "./shell.js";
import { siteTimezone } from "./wallclock.js";

const REFRESH_MS = 10_000;
const PLOTS = [
  { key: "health.plot.fps", column: "fps" },
  { key: "health.plot.bitrate", column: "bitrate_kbps" },
  { key: "health.plot.reconnects", column: "reconnects" },
  { key: "health.plot.detector", column: "detector_ms" },
];
let timezone = "UTC";
let selected = new URLSearchParams(location.search).get("camera");
let charts = [];

const fixed = (value, digits = 1) => (value === null || value === undefined ? "—" : Number(value).toFixed(digits));

function bytes(value) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let size = value;
  let unit = 0;
  while (size >= 1000 && unit < units.length - 1) {
    size /= 1000;
    unit += 1;
  }
  return `${size.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

// Quiet cameras decode keyframes only; a camera at full rate shows the share of detect.fps it gets.
function analysis(camera) {
  if (!camera.analysis_mode) return "—";
  if (camera.analysis_mode === "keyframes") return t("health.mode.keyframes");
  const wanted = fixed(camera.configured_fps, 0);
  if (camera.detect_rate_fraction === null || camera.detect_rate_fraction === undefined) {
    return t("health.mode.fullStarting", { wanted });
  }
  return t("health.mode.full", { got: fixed(camera.detect_fps_got), wanted,
    share: Math.round(camera.detect_rate_fraction * 100) });
}

function row(camera) {
  const cells = [
    camera.name,
    t(`tile.state.${camera.state}`),
    `${fixed(camera.fps)} / ${fixed(camera.configured_fps, 0)}`,
    fixed(camera.bitrate_kbps, 0),
    fixed(camera.keyframe_interval),
    String(camera.reconnects),
    camera.last_error || "—",
    camera.recording || "—",
    fixed(camera.gap_minutes_24h),
    bytes(camera.storage_bytes),
    `${fixed(camera.detector_queue_ms)} / ${fixed(camera.detector_inference_ms)} ms`,
    analysis(camera),
  ];
  const last = cells.length - 1;
  const tr = el("tr", { dataset: { camera: camera.camera_id }, tabindex: "0",
    "aria-selected": String(camera.camera_id === selected),
    onclick: () => pick(camera.camera_id, camera.name),
    onkeydown: (event) => { if (event.key === "Enter") pick(camera.camera_id, camera.name); } },
  cells.map((text, index) => el("td", { text, class: index === 1 ? `state-${camera.state}` : undefined,
    dataset: index === last ? { mode: camera.analysis_mode || "off" } : undefined })));
  return tr;
}

async function refresh() {
  const data = await getJson("/api/camera-health");
  document.getElementById("health-rows").replaceChildren(...data.cameras.map(row));
  return data.cameras;
}

async function pick(cameraId, name) {
  selected = cameraId;
  history.replaceState(null, "", `${location.pathname}?camera=${encodeURIComponent(cameraId)}`);
  for (const tr of document.querySelectorAll("#health-rows tr")) {
    tr.setAttribute("aria-selected", String(tr.dataset.camera === cameraId));
  }
  document.getElementById("plots-title").textContent = t("health.plotsFor", { camera: name });
  const data = await getJson(`/api/camera-health/${encodeURIComponent(cameraId)}/samples?hours=24`);
  for (const chart of charts) chart.destroy();
  charts = [];
  const host = document.getElementById("plots");
  host.replaceChildren();
  const notice = document.getElementById("plots-notice");
  notice.hidden = data.samples.length > 0;
  notice.textContent = t("health.noSamples");
  const times = data.samples.map((s) => s[0]);
  for (const plot of PLOTS) {
    const index = data.columns.indexOf(plot.column);
    const values = data.samples.map((s) => s[index]);
    const box = el("section", { class: "health-plot", dataset: { column: plot.column, points: values.length } },
      el("h3", { text: t(plot.key) }));
    host.append(box);
    charts.push(new uPlot({
      width: Math.max(320, Math.floor(host.clientWidth / 2) - 20), height: 180,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timezone),
      scales: { x: { time: true } },
      axes: [{ stroke: "#8b9bb0", grid: { stroke: "#263241" } }, { stroke: "#8b9bb0", grid: { stroke: "#263241" } }],
      series: [{}, { label: t(plot.key), stroke: "#4da3ff", width: 2, spanGaps: false }],
      legend: { show: false },
    }, [times, values], box));
  }
}

async function main() {
  await startShell();
  timezone = await siteTimezone();
  const cameras = await refresh();
  const chosen = cameras.find((c) => c.camera_id === selected);
  if (chosen) await pick(chosen.camera_id, chosen.name);
  setInterval(() => refresh().catch(() => {}), REFRESH_MS);
  document.body.dataset.ready = "true";
}

main();
