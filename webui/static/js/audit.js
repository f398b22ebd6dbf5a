// The audit log (admins): filters in the URL, pages, CSV download, the hash chain check, and the public
// key evidence packages are signed with.
import { getJson } from "./api.js";
import { el } from "./dom.js";
import { formatDateTime, isoToSiteInput, siteInputToIso, t } from "./i18n.js";
import { hasRole, startShell } from "./shell.js";

const PER_PAGE = 50;
const FILTERS = ["user", "action", "camera"];
const root = document.getElementById("page");
const rows = el("tbody");
const pager = el("div", { class: "pager" });
const chain = el("p", { class: "message", id: "audit-chain", role: "status" });
const csv = el("a", { id: "audit-csv", class: "button", text: t("audit.csv") });
const form = el("form", { class: "filters", id: "audit-filters" });

function params() {
  return new URLSearchParams(location.search);
}

function buildFilters() {
  const now = params();
  const field = (key, control) => el("label", {}, el("span", { text: t(key) }), control);
  form.replaceChildren(
    ...FILTERS.map((name) => field(`audit.${name}`, el("input", { name, value: now.get(name) || "", size: "14" }))),
    field("queue.since", el("input", { name: "since", type: "datetime-local", value: isoToSiteInput(now.get("since")) })),
    field("queue.until", el("input", { name: "until", type: "datetime-local", value: isoToSiteInput(now.get("until")) })),
    el("button", { type: "submit", text: t("queue.apply") }),
    el("button", { type: "button", class: "quiet", text: t("queue.reset"), onclick: () => go(new URLSearchParams()) }),
  );
}

function go(next) {
  history.replaceState(null, "", `${location.pathname}${next.toString() ? `?${next}` : ""}`);
  load();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const next = new URLSearchParams();
  for (const name of FILTERS) {
    const value = String(data.get(name) || "").trim();
    if (value) next.set(name, value);
  }
  for (const name of ["since", "until"]) {
    const iso = siteInputToIso(String(data.get(name) || ""));
    if (iso) next.set(name, iso);
  }
  go(next);
});

function detailText(detail) {
  return Object.entries(detail || {}).map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`).join(" ");
}

async function load() {
  const query = params();
  const page = Math.max(1, Number(query.get("page")) || 1);
  const filters = new URLSearchParams(query);
  filters.delete("page");
  csv.href = `/api/audit.csv?${filters}`;
  query.set("page", String(page));
  query.set("per_page", String(PER_PAGE));
  const answer = await getJson(`/api/audit?${query}`);
  rows.replaceChildren(...(answer.items.length ? answer.items.map((item) => el("tr", { dataset: { id: String(item.id) } },
    el("td", {}, el("time", { datetime: item.at, text: formatDateTime(item.at) })),
    el("td", { text: item.user }),
    el("td", { class: "action", text: item.action }),
    el("td", { text: item.camera || "" }),
    el("td", { class: "detail", text: detailText(item.detail) })))
    : [el("tr", {}, el("td", { colspan: "5", text: t("audit.none") }))]));
  const pages = Math.max(1, Math.ceil(answer.total / PER_PAGE));
  const turn = (to) => { const next = params(); next.set("page", String(to)); go(next); };
  pager.replaceChildren(
    el("button", { type: "button", text: t("queue.prev"), disabled: page <= 1, onclick: () => turn(page - 1) }),
    el("span", { text: t("audit.page", { page, pages, total: answer.total }) }),
    el("button", { type: "button", text: t("queue.next"), disabled: page >= pages, onclick: () => turn(page + 1) }),
  );
}

async function verify() {
  const report = await getJson("/api/audit/verify");
  chain.textContent = report.ok
    ? t("audit.verifyOk", { rows: report.rows, head: (report.head || "-").slice(0, 16) })
    : t("audit.verifyBad", { problem: report.problem });
  chain.classList.toggle("error", !report.ok);
}

async function main() {
  const me = await startShell();
  if (!hasRole(me, "admin")) {
    root.replaceChildren(el("h1", { text: t("audit.title") }), el("p", { class: "message error", text: t("audit.adminOnly") }));
    return;
  }
  buildFilters();
  const key = await getJson("/api/evidence/pubkey");
  root.replaceChildren(
    el("h1", { text: t("audit.title") }),
    form,
    el("div", { class: "pager" }, csv, el("button", { type: "button", id: "audit-verify", text: t("audit.verify"), onclick: verify })),
    chain,
    el("table", { class: "list", id: "audit-table" },
      el("thead", {}, el("tr", {}, ["audit.col.time", "audit.col.user", "audit.col.action", "audit.col.camera",
        "audit.col.detail"].map((k) => el("th", { text: t(k) })))), rows),
    pager,
    el("section", { id: "audit-pubkey" }, el("h2", { text: t("audit.pubkey") }),
      el("p", { text: t("audit.fingerprint", { fingerprint: key.fingerprint }) }),
      el("pre", { class: "pubkey", text: key.public_key })),
  );
  await load();
}

main();
