// A public report (Open311 complaint) in the alerts panel: service, address, text, the reporter's photo,
// and the cameras nearest the place, best first, with one button that opens them all on the wall.
import { getJson } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

export const MAX_WALL = 16; // the wall's largest grid (4×4)

export function wallUrl(cameraIds) {
  const ids = cameraIds.slice(0, MAX_WALL);
  const grid = Math.max(1, Math.ceil(Math.sqrt(ids.length)));
  return `/static/index.html?grid=${grid}&cameras=${ids.map(encodeURIComponent).join(",")}`;
}

function nearbyList(incident, { onOpenCamera, onOpenWall }) {
  const place = incident.complaint || {};
  if (place.lat === null || place.lat === undefined) return [el("p", { class: "nearby-none", text: t("alerts.noPlace") })];
  const cameras = incident.nearest_cameras || [];
  if (!cameras.length) return [el("p", { class: "nearby-none", text: t("alerts.noCameras", { m: incident.camera_radius_m ?? 300 }) })];
  const ids = cameras.map((camera) => camera.id);
  return [
    el("span", { class: "nearby-title", text: t("alerts.nearby") }),
    el("ol", { class: "nearby" }, cameras.map((camera) => el("li", {},
      el("button", { type: "button", class: "quiet nearby-camera", dataset: { camera: camera.id },
        onclick: () => onOpenCamera(camera.id) },
      el("span", { class: "nearby-name", text: camera.name }),
      el("span", { class: "nearby-distance", text: t("alerts.distance", { m: Math.round(camera.distance_m) }) }),
      camera.covers ? el("span", { class: "badge covers", text: t("alerts.covers") }) : null)))),
    el("button", { type: "button", class: "open-wall", dataset: { cameras: ids.join(",") },
      text: t("alerts.openWall", { n: Math.min(ids.length, MAX_WALL) }), onclick: () => onOpenWall(ids) }),
  ];
}

export function complaintItem(message, handlers) {
  const incident = message.incident || {};
  const complaint = incident.complaint || {};
  const severity = String(message.severity || "medium");
  const started = message.started_at ? new Date(message.started_at) : new Date();
  const nearby = el("div", { class: "nearby-box" });
  const item = el("li", { class: "alert complaint", dataset: { severity, incident: String(message.id) } },
    el("div", { class: "alert-open complaint-body" },
      message.snapshot_url ? el("img", { src: message.snapshot_url, alt: t("alerts.photo"), loading: "lazy" }) : null,
      el("span", { class: "alert-text" },
        el("span", { class: "alert-head" },
          el("span", { class: `badge severity ${severity}`, text: t(`alerts.severity.${severity}`) }),
          el("span", { class: "badge complaint", text: t("alerts.complaint") }),
          el("time", { datetime: started.toISOString(), text: started.toLocaleTimeString() })),
        el("span", { class: "alert-camera alert-service", text: String(complaint.service_name || message.rule || "") }),
        el("span", { class: "alert-address", text: String(complaint.address || "") }),
        el("span", { class: "alert-description", text: String(complaint.description || "") }))),
    nearby);
  // The event carries the incident as everyone sees it; the cameras this user may open come from the API.
  getJson(`/api/incidents/${encodeURIComponent(message.id)}`)
    .then((full) => nearby.replaceChildren(...nearbyList(full, handlers)))
    .catch(() => nearby.replaceChildren());
  return item;
}
