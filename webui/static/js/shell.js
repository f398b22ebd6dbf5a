// The layout every page shares: the top bar with the navigation, the language switch, the signed-in
// user and a clock in the site's time zone.
import { request, getJson, toSignIn } from "./api.js";
import { el } from "./dom.js";
import { LANGUAGES, applyI18n, formatTime, language, setLocale, t } from "./i18n.js";

// Pages that exist. Add an entry when a page lands (alerts, incidents, recordings, health, audit);
// `role` hides a page from users below it (the API refuses them anyway).
export const PAGES = [
  { path: "/static/index.html", key: "nav.wall" },
  { path: "/static/queue.html", key: "nav.queue" },
  { path: "/static/recordings.html", key: "nav.recordings" },
  { path: "/static/sync.html", key: "nav.sync" },
  { path: "/static/health.html", key: "nav.health" },
  { path: "/static/map.html", key: "nav.map" },
  { path: "/static/audit.html", key: "nav.audit", role: "admin" },
  { path: "/static/deliveries.html", key: "nav.deliveries", role: "admin" }, // issue 13
  { path: "/static/apidocs.html", key: "nav.apidocs" }, // issue 13
  { path: "/static/admin.html", key: "nav.admin", role: "admin" },
  { path: "/static/cluster.html", key: "nav.cluster", role: "admin" }, // issue 15
];
const RANKS = { operator: 0, supervisor: 1, admin: 2 };

export function hasRole(me, role) {
  return (RANKS[me.role] ?? -1) >= (RANKS[role] ?? 0);
}

function languageSwitch() {
  const select = el("select", { id: "language-select", "aria-label": t("nav.language") },
    LANGUAGES.map((code) => el("option", { value: code, text: t(`lang.${code}`), selected: code === language() })));
  select.addEventListener("change", async () => {
    await request("/api/me", { method: "PATCH", json: { language: select.value } });
    setLocale({ language: select.value });
    location.reload(); // every string of the page, in the new language
  });
  return select;
}

export async function startShell() {
  const me = await getJson("/api/auth/me"); // 401 -> sign-in page
  setLocale({ language: me.language, timezone: me.site?.timezone });
  applyI18n();
  const bar = document.getElementById("topbar");
  const here = location.pathname === "/" ? "/static/index.html" : location.pathname;
  const nav = el("nav", { "aria-label": t("nav.main") },
    PAGES.filter((page) => !page.role || hasRole(me, page.role)).map((page) => el("a", {
      href: page.path, text: t(page.key), "aria-current": page.path === here ? "page" : undefined,
    })));
  const clock = el("time", { class: "clock", title: me.site?.timezone || "" });
  const tick = () => { clock.textContent = formatTime(new Date()); };
  tick();
  setInterval(tick, 1000);
  const signOut = el("button", { type: "button", class: "quiet", text: t("nav.signOut"), onclick: async () => {
    try { await request("/api/auth/logout", { method: "POST" }); } finally { toSignIn(); }
  } });
  bar.replaceChildren(
    el("span", { class: "brand", text: t("app.name") }), nav, el("span", { class: "spacer" }),
    languageSwitch(), clock, el("span", { class: "user", text: `${me.name} · ${me.role}` }), signOut,
  );
  return me;
}
