// The map: every camera the user may see (coloured by state, with its heading cone; click: live view),
// open public reports and the last day's incidents (click: open). Leaflet, vendored under /static/vendor.
import * as L from "/static/vendor/leaflet/dist/leaflet-src.esm.js";
import { getJson } from "./api.js";
import { wallUrl } from "./complaint_alert.js";
import { el } from "./dom.js";
import { cameraOf, connectEvents, on } from "./events.js";
import { formatDateTime, t } from "./i18n.js";
import { startShell } from "./shell.js";
import { openViewer } from "./whep.js";

const STATE_COLOURS = { online: "#3ecf6e", connecting: "#f2b33d", offline: "#ff5a5f", error: "#ff5a5f" };
const CONE_M = 80; // how far a heading cone reaches on the map
const EARTH_M = 6371008.8;
const CLOSED = new Set(["resolved", "false_alarm"]);
const DAY_MS = 24 * 3600 * 1000;

const container = document.getElementById("map");
const notice = document.getElementById("map-notice");
const cameraMarkers = new Map();

// The point `meters` away from lat/lon in direction `bearing` (degrees from north), on a sphere.
function destination(lat, lon, bearing, meters) {
  const d = meters / EARTH_M;
  const b = (bearing * Math.PI) / 180;
  const p1 = (lat * Math.PI) / 180;
  const l1 = (lon * Math.PI) / 180;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [(p2 * 180) / Math.PI, (l2 * 180) / Math.PI];
}

function cone(location) {
  const points = [[location.lat, location.lon]];
  const from = location.heading - location.fov / 2;
  const steps = Math.max(2, Math.ceil(location.fov / 5));
  for (let i = 0; i <= steps; i++) {
    points.push(destination(location.lat, location.lon, from + (location.fov * i) / steps, CONE_M));
  }
  return points;
}

function colour(state) {
  return STATE_COLOURS[state] || STATE_COLOURS.connecting;
}

function cameraPopup(camera) {
  const video = el("video", { muted: true, autoplay: true, playsinline: true,
    "aria-label": t("map.live", { camera: camera.name }) });
  video.muted = true;
  const where = camera.location;
  const content = el("div", { class: "map-popup camera-popup", dataset: { camera: camera.id } },
    el("strong", { text: camera.name }),
    video,
    where.address ? el("span", { class: "muted", text: where.address }) : null,
    where.heading !== null && where.fov !== null
      ? el("span", { class: "muted", text: t("map.heading", { deg: where.heading, fov: where.fov }) }) : null,
    el("a", { href: wallUrl([camera.id]), text: t("map.openCamera") }));
  return { content, video };
}

function addCamera(layer, cones, camera) {
  const where = camera.location;
  const state = camera.status?.state || "connecting";
  if (where.heading !== null && where.fov !== null) {
    L.polygon(cone(where), { color: colour(state), weight: 1, fillOpacity: 0.18, interactive: false }).addTo(cones);
  }
  const dot = L.circleMarker([where.lat, where.lon], {
    radius: 7, color: "#ffffff", weight: 2, fillColor: colour(state), fillOpacity: 1,
  }).addTo(layer);
  dot.getElement().dataset.camera = camera.id;
  dot.getElement().dataset.state = state;
  const { content, video } = cameraPopup(camera);
  let viewer = null;
  dot.bindPopup(content, { maxWidth: 360, minWidth: 240 });
  dot.on("popupopen", async () => {
    const stream = camera.streams?.includes("sub") ? "sub" : "main";
    try {
      const opened = await openViewer(video, camera.id, stream);
      if (dot.isPopupOpen()) viewer = opened; else opened.close();
    } catch { /* the tile shows nothing; the camera's state colour already says why */ }
  });
  dot.on("popupclose", () => { viewer?.close(); viewer = null; });
  cameraMarkers.set(camera.id, dot);
}

function markerIcon(kind, id) {
  const inner = el("span");
  const html = el("div", { dataset: { [kind]: String(id) } }, inner);
  return L.divIcon({ className: `${kind}-marker`, html, iconSize: [22, 22], iconAnchor: kind === "incident" ? [-4, 18] : [11, 11] });
}

function complaintPopup(incident) {
  const complaint = incident.complaint;
  const open = el("button", { type: "button", text: t("map.openWall"), onclick: async () => {
    const full = await getJson(`/api/incidents/${incident.id}`);
    const ids = (full.nearest_cameras || []).map((camera) => camera.id);
    if (ids.length) location.assign(wallUrl(ids));
    else open.replaceWith(el("span", { class: "muted", text: t("alerts.noCameras", { m: full.camera_radius_m ?? 300 }) }));
  } });
  return el("div", { class: "map-popup complaint-popup", dataset: { incident: String(incident.id) } },
    el("strong", { text: complaint.service_name }),
    el("span", { class: "muted", text: formatDateTime(incident.started_at) }),
    complaint.address ? el("span", { text: complaint.address }) : null,
    complaint.description ? el("span", { text: complaint.description }) : null,
    incident.snapshot_url ? el("img", { src: incident.snapshot_url, alt: t("alerts.photo") }) : null,
    open);
}

function incidentPopup(incident, camera) {
  return el("div", { class: "map-popup incident-popup", dataset: { incident: String(incident.id) } },
    el("strong", { text: incident.rule }),
    el("span", { class: "muted", text: `${camera.name} · ${formatDateTime(incident.started_at)}` }),
    incident.snapshot_url ? el("img", { src: incident.snapshot_url, alt: t("map.snapshot") }) : null,
    el("a", { href: wallUrl([camera.id]), text: t("map.openCamera") }));
}

function addIncident(layers, cameras, incident) {
  if (incident.type === "complaint") {
    const place = incident.complaint;
    if (!place || place.lat === null || CLOSED.has(incident.status)) return;
    L.marker([place.lat, place.lon], { icon: markerIcon("complaint", incident.id), keyboard: true })
      .bindPopup(complaintPopup(incident), { maxWidth: 360 }).addTo(layers.complaints);
    return;
  }
  const camera = cameras.get(incident.camera);
  if (!camera?.location || Date.now() - new Date(incident.started_at).getTime() > DAY_MS) return;
  L.marker([camera.location.lat, camera.location.lon], { icon: markerIcon("incident", incident.id) })
    .bindPopup(incidentPopup(incident, camera), { maxWidth: 360 }).addTo(layers.incidents);
}

function baseLayer(map, settings) {
  if (settings.tile_url) {
    let failed = 0;
    L.tileLayer(settings.tile_url, { maxZoom: settings.max_zoom, maxNativeZoom: settings.max_zoom })
      .on("tileerror", () => { failed += 1; notice.textContent = t("map.noTiles"); container.dataset.tiles = "failed"; })
      .on("load", () => { if (!failed) container.dataset.tiles = "loaded"; })
      .addTo(map);
  } else if (settings.image) {
    L.imageOverlay(settings.image.url, [settings.image.south_west, settings.image.north_east]).addTo(map);
    container.dataset.tiles = "plan";
  } else {
    container.dataset.tiles = "none"; // a plain background; the scale still measures it
  }
  const attribution = ["Leaflet", settings.attribution].filter(Boolean).join(" · ");
  document.getElementById("map-attribution").textContent = attribution; // text: config never becomes markup
}

function toggle(map, id, layer) {
  const box = document.getElementById(id);
  box.addEventListener("change", () => (box.checked ? layer.addTo(map) : layer.remove()));
}

function reportView(map) {
  const center = map.getCenter();
  Object.assign(container.dataset, { zoom: String(map.getZoom()), centerLat: String(center.lat), centerLon: String(center.lng) });
}

async function main() {
  await startShell();
  const [settings, cameraList, recent, complaints] = await Promise.all([
    getJson("/api/map"),
    getJson("/api/cameras"),
    getJson(`/api/incidents?since=${encodeURIComponent(new Date(Date.now() - DAY_MS).toISOString())}&per_page=200`),
    getJson("/api/incidents?type=complaint&per_page=200"),
  ]);
  const map = L.map(container, { attributionControl: false, maxZoom: settings.max_zoom });
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  baseLayer(map, settings);
  const layers = {
    cones: L.layerGroup().addTo(map),
    cameras: L.layerGroup().addTo(map),
    complaints: L.layerGroup().addTo(map),
    incidents: L.layerGroup().addTo(map),
  };
  map.on("moveend zoomend", () => reportView(map));
  if (settings.center) map.setView(settings.center, settings.zoom);
  else if (settings.image) map.fitBounds([settings.image.south_west, settings.image.north_east]);
  else map.setView([0, 0], 2);
  const cameras = new Map(cameraList.map((camera) => [camera.id, camera]));
  const placed = cameraList.filter((camera) => camera.location);
  if (!placed.length) notice.textContent = t("map.noPlaced");
  for (const camera of placed) addCamera(layers.cameras, layers.cones, camera);
  const seen = new Set();
  for (const incident of [...complaints.items, ...recent.items]) {
    if (seen.has(incident.id)) continue;
    seen.add(incident.id);
    addIncident(layers, cameras, incident);
  }
  toggle(map, "show-cameras", layers.cameras);
  toggle(map, "show-cameras", layers.cones);
  toggle(map, "show-complaints", layers.complaints);
  toggle(map, "show-incidents", layers.incidents);
  on("camera.status", (message) => {
    const dot = cameraMarkers.get(cameraOf(message));
    if (!dot) return;
    dot.setStyle({ fillColor: colour(message.state) });
    dot.getElement().dataset.state = message.state;
  });
  on("incident.created", (message) => { if (message.incident) addIncident(layers, cameras, message.incident); });
  connectEvents();
  reportView(map);
  container.dataset.ready = "yes";
}

main();
