// The live wall: a grid of tiles, camera picking, saved layouts, full screen, overlay, alerts.
import { AlertsPanel } from "./alerts.js";
import { showAnalyticsBanner } from "./analytics_banner.js";
import { ApiError, getJson, request } from "./api.js";
import { el } from "./dom.js";
import { cameraOf, connectEvents, on, onConnectionChange } from "./events.js";
import { t } from "./i18n.js";
import { startShell } from "./shell.js";
import { Tile } from "./tile.js";

const GRIDS = [1, 2, 3, 4];
const STORE_KEY = "wawai.wall";

const state = { grid: 2, tiles: [], cameras: new Map(), order: [], full: null, overlay: false };
const tiles = [];
const wall = document.getElementById("wall");
const notice = document.getElementById("wall-notice");

const observer = new IntersectionObserver((entries) => {
  for (const entry of entries) tiles[Number(entry.target.dataset.index)]?.setVisible(entry.isIntersecting);
});

function say(text) {
  notice.textContent = text;
}

function remember() {
  localStorage.setItem(STORE_KEY, JSON.stringify({ grid: state.grid, tiles: state.tiles, overlay: state.overlay }));
}

function setGrid(grid) {
  state.grid = grid;
  const count = grid * grid;
  state.tiles = Array.from({ length: count }, (_, i) => state.tiles[i] ?? null);
  while (tiles.length > count) {
    const tile = tiles.pop();
    tile.stop();
    observer.unobserve(tile.element);
    tile.element.remove();
  }
  while (tiles.length < count) {
    const tile = new Tile(tiles.length, { onPick: pick, onToggleFull: toggleFull });
    tile.setCameraChoices(state.order.map((id) => state.cameras.get(id)));
    tile.setOverlay(state.overlay);
    tiles.push(tile);
    wall.append(tile.element);
    observer.observe(tile.element);
  }
  tiles.forEach((tile, i) => tile.setCamera(state.cameras.get(state.tiles[i]) || null));
  wall.dataset.grid = String(grid);
  if (state.full !== null && state.full >= count) toggleFull(state.full);
  for (const button of document.querySelectorAll("[data-grid]")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.grid) === grid));
  }
  remember();
}

function pick(index, cameraId) {
  state.tiles[index] = cameraId && state.cameras.has(cameraId) ? cameraId : null;
  tiles[index].setCamera(state.cameras.get(state.tiles[index]) || null);
  remember();
}

function toggleFull(index) {
  const leaving = state.full === index;
  if (state.full !== null) tiles[state.full]?.setFull(false);
  state.full = leaving ? null : index;
  wall.classList.toggle("has-full", state.full !== null);
  if (state.full !== null) {
    tiles[state.full].setFull(true);
    tiles[state.full].element.focus();
  }
}

function setOverlay(on) {
  state.overlay = on;
  document.getElementById("overlay-toggle").checked = on;
  for (const tile of tiles) tile.setOverlay(on);
  remember();
}

function buildToolbar() {
  const grids = document.getElementById("grid-buttons");
  grids.replaceChildren(...GRIDS.map((n) => el("button", {
    type: "button", dataset: { grid: String(n) }, "aria-pressed": "false",
    text: n === 1 ? t("wall.grid1") : t("wall.gridN", { n }), onclick: () => setGrid(n),
  })));
  document.getElementById("overlay-toggle").addEventListener("change", (e) => setOverlay(e.target.checked));
  document.getElementById("layout-save").addEventListener("click", saveLayout);
  document.getElementById("layout-delete").addEventListener("click", deleteLayout);
  document.getElementById("layout-select").addEventListener("change", (e) => loadLayout(e.target.value));
}

function buildCameraList() {
  const list = document.getElementById("camera-list");
  list.replaceChildren(...state.order.map((id) => {
    const camera = state.cameras.get(id);
    const item = el("li", {
      draggable: "true", tabindex: "0", dataset: { camera: id, state: camera.status?.state || "connecting" },
      text: camera.name,
      title: camera.group,
      onkeydown: (event) => {
        // Enter puts the camera in the first empty tile (or the first tile when none is empty).
        if (event.key !== "Enter") return;
        const empty = state.tiles.indexOf(null);
        pick(empty >= 0 ? empty : 0, id);
      },
    });
    item.addEventListener("dragstart", (event) => event.dataTransfer.setData("text/x-wawai-camera", id));
    return item;
  }));
}

let layouts = [];

async function refreshLayouts(selected = "") {
  layouts = await getJson("/api/layouts");
  const select = document.getElementById("layout-select");
  select.replaceChildren(el("option", { value: "", text: t("wall.layoutNone") }),
    ...layouts.map((layout) => el("option", { value: layout.name, text: layout.name })));
  select.value = selected;
}

function loadLayout(name) {
  const layout = layouts.find((l) => l.name === name);
  if (!layout) return;
  document.getElementById("layout-name").value = layout.name;
  state.tiles = layout.tiles.slice();
  setGrid(layout.grid);
}

async function saveLayout() {
  const name = document.getElementById("layout-name").value.trim();
  if (!name) return;
  try {
    await request(`/api/layouts/${encodeURIComponent(name)}`, {
      method: "PUT", json: { grid: state.grid, tiles: state.tiles },
    });
    await refreshLayouts(name);
    say(t("wall.saved", { name }));
  } catch (error) {
    say(error instanceof ApiError ? error.message : String(error));
  }
}

async function deleteLayout() {
  const name = document.getElementById("layout-select").value;
  if (!name) return;
  await request(`/api/layouts/${encodeURIComponent(name)}`, { method: "DELETE" });
  await refreshLayouts();
  say(t("wall.deleted", { name }));
}

function tilesOf(cameraId) {
  return tiles.filter((tile) => tile.camera?.id === cameraId);
}

function listenToEvents(alerts) {
  on("camera.status", (message) => {
    const id = cameraOf(message);
    const camera = state.cameras.get(id);
    if (!camera) return;
    camera.status = { ...(camera.status || {}), state: message.state };
    for (const tile of tilesOf(id)) tile.setState(message.state);
    const item = document.querySelector(`#camera-list li[data-camera="${CSS.escape(id)}"]`);
    if (item) item.dataset.state = message.state;
  });
  on("detections", (message) => {
    for (const tile of tilesOf(cameraOf(message))) tile.showBoxes(message.boxes || []);
  });
  on("incident.created", (message) => {
    alerts.add(message);
    for (const tile of tilesOf(cameraOf(message))) tile.highlight();
  });
  on("incident.escalated", (message) => {
    alerts.escalate(message);
    for (const tile of tilesOf(cameraOf(message))) tile.highlight();
  });
  on("incident.updated", (message) => alerts.update(message));
  onConnectionChange((up) => say(up ? "" : t("events.disconnected")));
  connectEvents();
}

function openCamera(cameraId) {
  let index = state.tiles.indexOf(cameraId);
  if (index < 0) {
    index = state.full ?? 0;
    pick(index, cameraId);
  }
  if (state.full !== index) toggleFull(index);
}

function keyboard(event) {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName);
  if (typing) return;
  if (GRIDS.includes(Number(event.key))) setGrid(Number(event.key));
  else if (event.key === "b" || event.key === "B") setOverlay(!state.overlay);
  else if (event.key === "Escape" && state.full !== null) toggleFull(state.full);
}

async function main() {
  await startShell();
  const cameras = await getJson("/api/cameras");
  for (const camera of cameras) state.cameras.set(camera.id, camera);
  state.order = cameras.map((c) => c.id);
  showAnalyticsBanner(document.getElementById("analytics-banner"), cameras);
  buildToolbar();
  buildCameraList();
  const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
  const params = new URLSearchParams(location.search);
  if (params.has("cameras")) {
    // ?grid=2&cameras=a,b,c,d opens a given wall (links, tests, kiosk screens).
    state.tiles = params.get("cameras").split(",").map((id) => (state.cameras.has(id) ? id : null));
    state.grid = Number(params.get("grid")) || Math.ceil(Math.sqrt(state.tiles.length)) || 1;
  } else if (saved) {
    state.tiles = saved.tiles || [];
    state.grid = saved.grid || 2;
    state.overlay = Boolean(saved.overlay);
  } else {
    state.tiles = state.order.slice(0, 4);
  }
  setOverlay(state.overlay);
  setGrid(GRIDS.includes(state.grid) ? state.grid : 2);
  const alerts = new AlertsPanel(document.getElementById("alert-list"), {
    cameraName: (id) => state.cameras.get(id)?.name || id || "",
    onOpen: openCamera,
  });
  listenToEvents(alerts);
  document.addEventListener("keydown", keyboard);
  document.addEventListener("visibilitychange", () => {
    for (const tile of tiles) tile.setPageVisible(!document.hidden);
  });
  window.addEventListener("pagehide", () => tiles.forEach((tile) => tile.stop()));
  setInterval(() => tiles.forEach((tile) => tile.drawBoxes()), 500); // clears stale boxes
  await refreshLayouts();
}

main();
