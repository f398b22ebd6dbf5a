// The incident queue: filters kept in the URL, newest first, pages, live updates, and a keyboard for a
// supervisor going through a night's incidents (J/K next/previous, Enter open, A acknowledge, N note).
import { ApiError, getJson, request } from "./api.js";
import { el } from "./dom.js";
import { connectEvents, on } from "./events.js";
import { formatDateTime, isoToSiteInput, siteInputToIso, t } from "./i18n.js";
import { startShell } from "./shell.js";
import { alarm } from "./sound.js";

const PER_PAGE = 25;
const SEVERITIES = ["low", "medium", "high", "critical"];
const STATUSES = ["new", "acknowledged", "assigned", "on_hold", "resolved", "false_alarm"];
const TYPES = ["intrusion", "loitering", "line_crossing", "crowd", "camera_offline"];
const TEXT_FILTERS = ["rule", "assignee"];
const SELECT_FILTERS = ["camera", "group", "type", "severity", "status"];
const TIME_FILTERS = ["since", "until"];

const state = { items: [], selected: 0, total: 0, page: 1, cameras: [] };
const root = document.getElementById("page");
const message = el("p", { class: "message", role: "status", "aria-live": "polite" });
const table = el("tbody");
const pager = el("div", { class: "pager" });
const noteInput = el("input", { id: "queue-note", maxlength: "4000" });
const form = el("form", { class: "filters", id: "queue-filters" });

function params() {
  return new URLSearchParams(location.search);
}

function say(text, error = false) {
  message.textContent = text;
  message.classList.toggle("error", error);
}

function choice(name, values, label, current) {
  return el("select", { name, "aria-label": label },
    el("option", { value: "", text: t("queue.any") }),
    values.map(([value, text]) => el("option", { value, text, selected: value === current })));
}

function buildFilters() {
  const now = params();
  const groups = [...new Set(state.cameras.map((c) => c.group))].sort();
  const field = (key, control) => el("label", {}, el("span", { text: t(key) }), control);
  form.replaceChildren(
    field("queue.camera", choice("camera", state.cameras.map((c) => [c.id, c.name]), t("queue.camera"), now.get("camera"))),
    field("queue.group", choice("group", groups.map((g) => [g, g]), t("queue.group"), now.get("group"))),
    field("queue.rule", el("input", { name: "rule", value: now.get("rule") || "", size: "12" })),
    field("queue.type", choice("type", TYPES.map((v) => [v, v]), t("queue.type"), now.get("type"))),
    field("queue.severity", choice("severity", SEVERITIES.map((v) => [v, t(`alerts.severity.${v}`)]),
      t("queue.severity"), now.get("severity"))),
    field("queue.status", choice("status", STATUSES.map((v) => [v, t(`status.${v}`)]), t("queue.status"), now.get("status"))),
    field("queue.assignee", el("input", { name: "assignee", value: now.get("assignee") || "", size: "10" })),
    field("queue.since", el("input", { name: "since", type: "datetime-local", value: isoToSiteInput(now.get("since")) })),
    field("queue.until", el("input", { name: "until", type: "datetime-local", value: isoToSiteInput(now.get("until")) })),
    el("label", { class: "toggle" },
      el("input", { type: "checkbox", name: "hideSeen", checked: now.get("seen") === "false" }),
      el("span", { text: t("queue.hideSeen") })),
    el("button", { type: "submit", text: t("queue.apply") }),
    el("button", { type: "button", class: "quiet", text: t("queue.reset"), onclick: () => go(new URLSearchParams()) }),
  );
}

function go(next) {
  history.replaceState(null, "", `${location.pathname}${next.toString() ? `?${next}` : ""}`);
  state.selected = 0;
  load();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const next = new URLSearchParams();
  for (const key of [...SELECT_FILTERS, ...TEXT_FILTERS]) {
    const value = String(data.get(key) || "").trim();
    if (value) next.set(key, value);
  }
  for (const key of TIME_FILTERS) {
    const iso = siteInputToIso(String(data.get(key) || ""));
    if (iso) next.set(key, iso);
  }
  if (data.get("hideSeen")) next.set("seen", "false");
  go(next);
});

function row(item, index) {
  const classes = [item.overdue ? "overdue" : "", item.seen ? "seen" : "", index === state.selected ? "selected" : ""];
  const tr = el("tr", { class: classes.filter(Boolean).join(" "), tabindex: "-1", dataset: { incident: String(item.id) },
    onclick: () => select(index), ondblclick: () => openSelected() },
  el("td", {}, el("time", { datetime: item.started_at, text: formatDateTime(item.started_at) })),
  el("td", { class: "camera", text: item.camera_name }),
  el("td", { class: "rule", text: item.rule }),
  el("td", {}, el("span", { class: `badge severity ${item.priority}`, text: t(`alerts.severity.${item.priority}`) })),
  el("td", { class: "status" },
    el("span", { text: t(`status.${item.status}`) }),
    item.overdue ? el("span", { class: "badge overdue", text: t("queue.overdue") }) : null),
  el("td", { text: item.assignee || "" }),
  el("td", { text: item.seen ? t("queue.seen") : "" }));
  return tr;
}

function render() {
  table.replaceChildren(...(state.items.length
    ? state.items.map(row)
    : [el("tr", {}, el("td", { colspan: "7", class: "none", text: t("queue.none") }))]));
  const pages = Math.max(1, Math.ceil(state.total / PER_PAGE));
  pager.replaceChildren(
    el("button", { type: "button", text: t("queue.prev"), disabled: state.page <= 1, onclick: () => turn(-1) }),
    el("span", { id: "queue-page", text: t("queue.page", { page: state.page, pages, total: state.total }) }),
    el("button", { type: "button", text: t("queue.next"), disabled: state.page >= pages, onclick: () => turn(1) }),
  );
  noteInput.setAttribute("aria-label", selectedItem() ? t("queue.noteFor", { id: selectedItem().id }) : t("incident.note"));
  noteInput.placeholder = noteInput.getAttribute("aria-label");
}

function turn(step) {
  const next = params();
  next.set("page", String(Math.max(1, state.page + step)));
  go(next);
}

let loading = null;
async function load() {
  const query = params();
  state.page = Math.max(1, Number(query.get("page")) || 1);
  query.set("page", String(state.page));
  query.set("per_page", String(PER_PAGE));
  const run = getJson(`/api/incidents?${query}`);
  loading = run;
  try {
    const answer = await run;
    if (loading !== run) return; // a newer load started meanwhile
    state.items = answer.items;
    state.total = answer.total;
    state.selected = Math.min(state.selected, Math.max(0, state.items.length - 1));
    render();
  } catch (error) {
    say(error instanceof ApiError ? error.message : String(error), true);
  }
}

function selectedItem() {
  return state.items[state.selected];
}

function select(index) {
  if (!state.items.length) return;
  state.selected = Math.max(0, Math.min(state.items.length - 1, index));
  render();
  table.children[state.selected]?.scrollIntoView({ block: "nearest" });
}

function openSelected() {
  const item = selectedItem();
  if (item) location.assign(`/static/incident.html?id=${encodeURIComponent(item.id)}`);
}

async function act(action, body = {}) {
  const item = selectedItem();
  if (!item) return;
  try {
    await request(`/api/incidents/${item.id}/${action}`, { method: "POST", json: body });
    say(action === "notes" ? t("queue.noteSaved", { id: item.id }) : t("queue.acknowledged", { id: item.id }));
    await load();
  } catch (error) {
    const label = t(action === "notes" ? "action.note" : `action.${action}`);
    if (error.status === 409) say(t("incident.invalid", { action: label, status: t(`status.${item.status}`) }), true);
    else if (error.status === 403) say(t("incident.forbidden", { action: label }), true);
    else say(t("incident.failed", { reason: error.message }), true);
  }
}

async function saveNote() {
  const note = noteInput.value.trim();
  if (!note) return;
  await act("notes", { note });
  noteInput.value = "";
  noteInput.blur();
}

function keyboard(event) {
  if (["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName)) {
    if (event.target === noteInput && event.key === "Enter") { event.preventDefault(); saveNote(); }
    if (event.target === noteInput && event.key === "Escape") noteInput.blur();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key.toLowerCase();
  if (key === "j" || event.key === "ArrowDown") select(state.selected + 1);
  else if (key === "k" || event.key === "ArrowUp") select(state.selected - 1);
  else if (event.key === "Enter" || key === "o") openSelected();
  else if (key === "a") act("acknowledge");
  else if (key === "n") { event.preventDefault(); noteInput.focus(); }
  else return;
  event.preventDefault();
}

let reloadTimer = null;
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(load, 150);
}

async function main() {
  await startShell();
  state.cameras = await getJson("/api/cameras");
  buildFilters();
  const headings = ["queue.col.time", "queue.col.camera", "queue.col.rule", "queue.col.priority", "queue.col.status",
    "queue.col.assignee", "queue.seen"];
  root.replaceChildren(
    el("h1", { text: t("queue.title") }),
    el("section", { "aria-label": t("queue.filters") }, form),
    message,
    el("table", { class: "list", id: "queue-table" },
      el("thead", {}, el("tr", {}, headings.map((key) => el("th", { text: t(key) })))), table),
    pager,
    el("div", { class: "note-bar" }, noteInput,
      el("button", { type: "button", text: t("queue.noteSave"), onclick: saveNote })),
    el("p", { class: "hint", text: t("queue.keys") }),
  );
  document.addEventListener("keydown", keyboard);
  on("incident.created", reloadSoon);
  on("incident.updated", reloadSoon);
  on("incident.escalated", () => { alarm(); reloadSoon(); });
  connectEvents();
  await load();
}

main();
