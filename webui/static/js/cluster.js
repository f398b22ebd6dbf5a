// The cluster (admins, issue 15): every node (alive, last seen in the site's zone, roles, cameras, CPU)
// and the node that owns each camera, from GET /api/cluster, refreshed every few seconds.
import { getJson } from "./api.js";
import { el } from "./dom.js";
import { formatDateTime, t } from "./i18n.js";
import { hasRole, startShell } from "./shell.js";

const REFRESH_MS = 5000;
const root = document.getElementById("page");
const summary = el("p", { class: "message", id: "cluster-summary", role: "status" });
const nodeRows = el("tbody");
const cameraRows = el("tbody");

function header(keys) {
  return el("thead", {}, el("tr", {}, keys.map((key) => el("th", { text: t(key) }))));
}

function nodeRow(node) {
  return el("tr", { dataset: { node: node.name, alive: node.alive ? "yes" : "no" } },
    el("td", { class: "name", text: node.name }),
    el("td", { class: "state", text: t(node.alive ? "cluster.alive" : "cluster.down") }),
    el("td", {}, el("time", { datetime: node.last_seen, text: formatDateTime(node.last_seen) })),
    el("td", { text: node.roles.map((role) => t(`cluster.role.${role}`)).join(", ") }),
    el("td", { class: "cameras", text: t("cluster.cameraCount", { cameras: node.cameras, capacity: node.capacity }) }),
    el("td", { class: "cpu", text: node.cpu_percent === null ? "-" : `${Math.round(node.cpu_percent)} %` }));
}

function cameraRow(camera) {
  return el("tr", { dataset: { camera: camera.camera } },
    el("td", { text: camera.camera }),
    el("td", { class: "owner", text: camera.node || t("cluster.noOwner") }),
    el("td", { text: String(camera.epoch) }));
}

async function load() {
  const answer = await getJson("/api/cluster");
  if (!answer.enabled) {
    summary.textContent = t("cluster.single");
    nodeRows.replaceChildren();
    cameraRows.replaceChildren();
    return;
  }
  const alive = answer.nodes.filter((node) => node.alive).length;
  summary.textContent = t("cluster.summary", { node: answer.node, alive, nodes: answer.nodes.length });
  nodeRows.replaceChildren(...answer.nodes.map(nodeRow));
  cameraRows.replaceChildren(...(answer.cameras.length ? answer.cameras.map(cameraRow)
    : [el("tr", {}, el("td", { colspan: "3", text: t("cluster.noCameras") }))]));
}

async function main() {
  const me = await startShell();
  if (!hasRole(me, "admin")) {
    root.replaceChildren(el("h1", { text: t("cluster.title") }), el("p", { class: "message error", text: t("cluster.adminOnly") }));
    return;
  }
  root.replaceChildren(
    el("h1", { text: t("cluster.title") }),
    summary,
    el("h2", { text: t("cluster.nodes") }),
    el("table", { class: "list", id: "cluster-nodes" }, header(["cluster.col.node", "cluster.col.state",
      "cluster.col.lastSeen", "cluster.col.roles", "cluster.col.cameras", "cluster.col.cpu"]), nodeRows),
    el("h2", { text: t("cluster.owners") }),
    el("table", { class: "list", id: "cluster-cameras" }, header(["cluster.col.camera", "cluster.col.owner",
      "cluster.col.epoch"]), cameraRows),
  );
  await load();
  setInterval(() => load().catch(() => {}), REFRESH_MS);
}

main();
