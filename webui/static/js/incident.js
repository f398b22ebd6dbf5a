// One incident: snapshot (boxes and zone drawn by the server), the clip with pre- and post-roll, the live
// view one click away, the status history, the actions this user may take, notes and evidence export.
import { ApiError, getJson, request } from "./api.js";
import { el } from "./dom.js";
import { connectEvents, on } from "./events.js";
import { formatDateTime, t } from "./i18n.js";
import { showClip } from "./incident_clip.js";
import { hasRole, startShell } from "./shell.js";

const id = Number(new URLSearchParams(location.search).get("id"));
const root = document.getElementById("page");
const message = el("p", { class: "message", id: "incident-message", role: "status", "aria-live": "polite" });
const details = el("section", { id: "incident-details" });
const history = el("section", { id: "incident-history" });
const actions = el("section", { id: "incident-actions", class: "actions" });
const note = el("textarea", { id: "incident-note", maxlength: "4000" });
const assignee = el("input", { id: "incident-assignee", maxlength: "100" });
const priority = el("select", { id: "incident-priority" });
let incident = null;
let me = null;

// The order the buttons appear in; "note" and "priority" have their own inputs.
const BUTTONS = ["acknowledge", "assign", "hold", "resolve", "false_alarm", "reopen", "note", "priority", "lock", "unlock"];
const PATHS = { false_alarm: "false-alarm", note: "notes" };

function say(text, error = false) {
  message.textContent = text;
  message.classList.toggle("error", error);
}

// replaceChildren with el()'s rules: nested arrays flattened, null/false left out (never the text "null").
function fill(node, ...children) {
  node.replaceChildren(...children.flat(2).filter((child) => child !== null && child !== undefined && child !== false));
}

function fact(key, value) {
  return [el("dt", { text: t(key) }), el("dd", { dataset: { fact: key }, text: value ?? "" })];
}

function renderDetails() {
  fill(details, el("h2", { text: t("incident.details") }), el("dl", { class: "facts" },
    fact("incident.camera", incident.camera_name),
    fact("incident.group", incident.group),
    fact("incident.rule", incident.rule),
    fact("incident.zone", incident.zone),
    fact("incident.objects", (incident.objects || []).join(", ")),
    fact("incident.status", t(`status.${incident.status}`)),
    fact("incident.priority", t(`alerts.severity.${incident.priority}`)),
    fact("incident.assignee", incident.assignee || t("incident.nobody")),
    incident.resolution_note ? fact("incident.resolution", incident.resolution_note) : [],
  ),
  incident.locked ? el("p", { class: "locked", text: t("incident.locked", { user: incident.locked_by }) }) : null,
  incident.overdue ? el("p", { class: "badge overdue", text: t("alerts.overdue") }) : null,
  el("p", {}, el("a", { id: "incident-live", href: `/static/index.html?grid=1&cameras=${encodeURIComponent(incident.camera)}`,
    text: t("incident.live") })));
}

function actionLabel(action) {
  return t(`action.${action}`);
}

async function renderHistory() {
  const steps = await getJson(`/api/incidents/${id}/history`);
  fill(history, el("h2", { text: t("incident.history") }),
    steps.length ? el("ol", { class: "history-list" }, steps.map((step) => el("li", { dataset: { action: step.action } },
      el("time", { datetime: step.at, text: formatDateTime(step.at) }), " · ",
      el("span", { class: "actor", text: step.actor }), " · ",
      el("span", { class: "what", text: actionLabel(step.action) }),
      step.from_status !== step.to_status
        ? el("span", { class: "change", text: ` (${t(`status.${step.from_status}`)} → ${t(`status.${step.to_status}`)})` })
        : null,
      step.detail?.assignee ? el("span", { text: ` → ${step.detail.assignee}` }) : null,
      step.note ? el("span", { class: "note", text: step.note }) : null)))
      : el("p", { class: "hint", text: t("incident.noHistory") }));
}

function renderActions() {
  const allowed = new Set(incident.actions || []);
  priority.replaceChildren(...["low", "medium", "high", "critical"].map((level) =>
    el("option", { value: level, text: t(`alerts.severity.${level}`), selected: level === incident.priority })));
  note.setAttribute("aria-label", t("incident.note"));
  note.placeholder = t("incident.note");
  assignee.setAttribute("aria-label", t("incident.assignTo"));
  assignee.placeholder = t("incident.assignTo");
  priority.setAttribute("aria-label", t("incident.priority"));
  const buttons = BUTTONS.filter((action) => allowed.has(action)).map((action) => el("button", {
    type: "button", dataset: { action }, text: actionLabel(action), onclick: () => act(action),
  }));
  const exporter = hasRole(me, "supervisor")
    ? el("button", { type: "button", id: "incident-export", text: t("incident.export"), onclick: exportEvidence })
    : null;
  fill(actions, el("h2", { text: t("incident.actions") }),
    allowed.size ? [note, allowed.has("assign") ? assignee : null, allowed.has("priority") ? priority : null] : [],
    el("div", { class: "buttons" }, buttons.length ? buttons : el("span", { class: "hint", text: t("incident.noActions") }), exporter));
}

async function act(action) {
  const body = { note: note.value.trim() || null };
  if (action === "assign") body.user = assignee.value.trim();
  if (action === "priority") body.priority = priority.value;
  try {
    incident = { ...incident, ...(await (await request(`/api/incidents/${id}/${PATHS[action] || action}`, {
      method: "POST", json: body })).json()) };
    note.value = "";
    say(t("incident.done", { action: actionLabel(action) }));
    await refresh(false);
  } catch (error) {
    if (error.status === 409) say(t("incident.invalid", { action: actionLabel(action), status: t(`status.${incident.status}`) }), true);
    else if (error.status === 403) say(t("incident.forbidden", { action: actionLabel(action) }), true);
    else say(t("incident.failed", { reason: error.message }), true);
    if (error instanceof ApiError) message.title = error.message; // the server's own words, for the record
  }
}

async function exportEvidence() {
  try {
    const response = await request(`/api/incidents/${id}/evidence`, { method: "POST" });
    const sha = response.headers.get("X-Content-SHA256") || "";
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: `incident-${id}-evidence.zip` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    say(t("incident.exported", { sha: sha.slice(0, 16) }));
  } catch (error) {
    say(t("incident.failed", { reason: error.message }), true);
  }
}

async function refresh(withIncident = true) {
  if (withIncident) incident = await getJson(`/api/incidents/${id}`);
  document.title = `${t("incident.title")} ${id} · ${incident.camera_name}`;
  document.getElementById("incident-heading").textContent = t("incident.heading", { id, rule: incident.rule });
  renderDetails();
  renderActions();
  await renderHistory();
}

async function main() {
  me = await startShell();
  try {
    incident = await getJson(`/api/incidents/${id}`);
  } catch (error) {
    root.replaceChildren(el("h1", { text: t("incident.title") }), el("p", { class: "message error", text: t("incident.notFound") }));
    return;
  }
  const snapshot = el("section", { id: "incident-snapshot" }, el("h2", { text: t("incident.snapshot") }),
    incident.snapshot_url
      ? el("img", { class: "snapshot", src: incident.snapshot_url, alt: t("incident.snapshotAlt", { id, camera: incident.camera_name }) })
      : el("p", { class: "hint", text: t("incident.noSnapshot") }));
  const clip = el("section", { id: "incident-clip" });
  root.replaceChildren(el("h1", { id: "incident-heading" }), message,
    el("div", { class: "incident-grid" },
      el("div", { class: "column" }, clip, snapshot),
      el("div", { class: "column" }, details, actions, history)));
  await refresh(false);
  showClip(clip, incident);
  const mine = (event) => event.id === id;
  on("incident.updated", (event) => { if (mine(event)) refresh(); });
  on("incident.escalated", (event) => { if (mine(event)) refresh(); });
  connectEvents();
}

main();
