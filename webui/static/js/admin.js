// Admin page: config status (cameras, last reload's plan, errors with file and line), users, API tokens.
// It never writes camera files: integrators own them; "Reload now" only asks the node to read them.
import { ApiError, getJson, request } from "./api.js";
import { el } from "./dom.js";
import { connectEvents, on } from "./events.js";
import { t } from "./i18n.js";
import { startShell } from "./shell.js";

const ROLES = ["operator", "supervisor", "admin"];
const notice = document.getElementById("admin-notice");
let timeZone = "UTC";
let me = null;

function say(text, bad = false) {
  notice.textContent = text;
  notice.dataset.bad = bad ? "yes" : "no";
}

function when(iso) {
  if (!iso) return t("admin.never");
  const date = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso.endsWith("Z") || iso.includes("+") ? iso : `${iso}Z`);
  return new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium", timeZone }).format(date);
}

async function act(work, done) {
  try {
    await work();
    if (done) say(done);
  } catch (error) {
    say(error instanceof ApiError ? t("admin.failed", { detail: error.message }) : String(error), true);
  }
}

// --- config status -------------------------------------------------------------------------------

function planLines(plan) {
  const lines = [];
  const where = (c) => (c.camera ? t("admin.plan.camera", { id: c.camera }) : "wawai.yaml");
  const fields = (c) => (c.fields.length ? ` (${c.fields.join(", ")})` : "");
  for (const c of plan.applied) lines.push(["applied", `${t(`admin.plan.${c.change}`)}: ${where(c)}${fields(c)}`]);
  for (const c of plan.restarted) lines.push(["restarted", `${t("admin.plan.restarted")}: ${where(c)}${fields(c)}`]);
  for (const c of plan.needs_restart) lines.push(["needs_restart", `${t("admin.plan.needsRestart")}: ${where(c)}${fields(c)}`]);
  for (const id of plan.kept || []) lines.push(["kept", t("admin.plan.kept", { id })]);
  if (!lines.length) lines.push(["none", t("admin.plan.nothing")]);
  return lines;
}

async function loadConfig() {
  const status = await getJson("/api/config/status");
  const errors = document.getElementById("config-errors");
  errors.replaceChildren(...(status.errors.length
    ? status.errors.map((line) => el("li", { class: "error", text: line }))
    : [el("li", { class: "none", text: t("admin.config.noErrors") })]));
  const rows = status.cameras.map((c) => el("tr", { dataset: { camera: c.id, state: c.state } },
    el("td", { text: c.id }), el("td", { text: c.name }), el("td", { text: c.group }),
    el("td", {}, el("span", { class: "badge state", dataset: { state: c.state }, text: c.state }),
      c.previous_config ? el("span", { class: "badge kept", text: t("admin.config.previous") }) : null),
    el("td", { text: c.file || "" })));
  document.querySelector("#camera-table tbody").replaceChildren(...rows);
  const last = status.last_reload;
  document.getElementById("last-reload").textContent = last
    ? t("admin.config.reloadedAt", { at: when(last.at), trigger: last.trigger, user: last.user })
    : t("admin.config.noReload");
  document.getElementById("reload-plan").replaceChildren(
    ...(last ? planLines(last.plan).map(([kind, text]) => el("li", { dataset: { kind }, text })) : []));
}

// --- users ---------------------------------------------------------------------------------------

function roleSelect(value) {
  const select = el("select", { "aria-label": t("admin.col.role") },
    ROLES.map((role) => el("option", { value: role, text: t(`admin.role.${role}`) })));
  select.value = value;
  return select;
}

function groupsOf(text) {
  return text.split(",").map((g) => g.trim()).filter(Boolean);
}

function userRow(user) {
  const role = roleSelect(user.role);
  const groups = el("input", { value: user.groups.join(", "), "aria-label": t("admin.col.groups"),
    placeholder: t("admin.users.allCameras") });
  const password = el("input", { type: "password", minlength: "8", autocomplete: "new-password",
    placeholder: t("admin.users.newPassword"), "aria-label": t("admin.users.newPassword") });
  const save = el("button", { type: "button", text: t("admin.users.save"), onclick: () => act(async () => {
    await request(`/api/users/${encodeURIComponent(user.name)}`, { method: "PATCH",
      json: { role: role.value, groups: groupsOf(groups.value) } });
    await loadUsers();
  }, t("admin.users.saved", { name: user.name })) });
  const toggle = el("button", { type: "button", class: "quiet",
    text: user.disabled ? t("admin.users.enable") : t("admin.users.disable"), onclick: () => act(async () => {
      await request(`/api/users/${encodeURIComponent(user.name)}`, { method: "PATCH", json: { disabled: !user.disabled } });
      await loadUsers();
    }, t(user.disabled ? "admin.users.enabled" : "admin.users.disabled", { name: user.name })) });
  const reset = el("button", { type: "button", class: "quiet", text: t("admin.users.resetPassword"),
    onclick: () => act(async () => {
      await request(`/api/users/${encodeURIComponent(user.name)}/password`, { method: "PUT", json: { password: password.value } });
      password.value = "";
    }, t("admin.users.passwordSet", { name: user.name })) });
  return el("tr", { dataset: { user: user.name, disabled: user.disabled ? "yes" : "no" } },
    el("td", { text: user.name }), el("td", {}, role), el("td", {}, groups),
    el("td", { text: user.disabled ? t("admin.users.isDisabled") : t("admin.users.isActive") }),
    el("td", { class: "actions" }, save, toggle, password, reset));
}

async function loadUsers() {
  const users = await getJson("/api/users");
  document.querySelector("#user-table tbody").replaceChildren(...users.map(userRow));
  const select = document.querySelector("#token-add select[name=user]");
  const chosen = select.value;
  select.replaceChildren(...users.map((u) => el("option", { value: u.name, text: u.name })));
  if (chosen) select.value = chosen;
}

// --- tokens --------------------------------------------------------------------------------------

async function loadTokens() {
  const tokens = await getJson("/api/tokens");
  document.querySelector("#token-table tbody").replaceChildren(...tokens.map((token) => el("tr",
    { dataset: { token: String(token.id) } },
    el("td", { text: String(token.id) }), el("td", { text: token.user }), el("td", { text: token.label || "—" }),
    el("td", { text: when(token.created_at) }), el("td", { text: when(token.last_used_at) }),
    el("td", {}, el("button", { type: "button", class: "quiet", text: t("admin.tokens.revoke"),
      onclick: () => act(async () => {
        await request(`/api/tokens/${token.id}`, { method: "DELETE" });
        await loadTokens();
      }, t("admin.tokens.revoked", { id: token.id })) })))));
}

// --- wiring --------------------------------------------------------------------------------------

function wireForms() {
  document.querySelector("#user-add select[name=role]").replaceChildren(
    ...ROLES.map((role) => el("option", { value: role, text: t(`admin.role.${role}`) })));
  const userForm = document.getElementById("user-add");
  userForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(userForm);
    act(async () => {
      await request("/api/users", { method: "POST", json: { name: data.get("name"), password: data.get("password"),
        role: data.get("role"), groups: groupsOf(String(data.get("groups") || "")) } });
      userForm.reset();
      await loadUsers();
    }, t("admin.users.added", { name: data.get("name") }));
  });
  const tokenForm = document.getElementById("token-add");
  tokenForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(tokenForm);
    act(async () => {
      const made = await (await request("/api/tokens", { method: "POST",
        json: { user: data.get("user"), label: data.get("label") || "" } })).json();
      // Shown here once: only its hash is kept on the server.
      document.getElementById("new-token-value").textContent = made.token;
      document.getElementById("new-token").hidden = false;
      tokenForm.querySelector("input[name=label]").value = "";
      await loadTokens();
    }, t("admin.tokens.created"));
  });
  document.getElementById("reload-button").addEventListener("click", () => act(async () => {
    await request("/api/config/reload", { method: "POST" });
    await loadConfig();
  }, t("admin.config.reloaded")));
}

async function main() {
  me = await startShell();
  if (me.role !== "admin") {
    say(t("admin.onlyAdmins"), true);
    for (const section of document.querySelectorAll(".admin-section")) section.hidden = true;
    return;
  }
  try {
    timeZone = (await getJson("/api/config")).site.site.timezone || "UTC";
  } catch { /* keep UTC */ }
  wireForms();
  await Promise.all([loadConfig(), loadUsers(), loadTokens()]);
  on("config.reloaded", () => loadConfig());
  on("config.error", () => loadConfig());
  let pending = null; // camera.status comes in bursts: one refresh per burst
  on("camera.status", () => { clearTimeout(pending); pending = setTimeout(loadConfig, 500); });
  connectEvents();
}

main();
