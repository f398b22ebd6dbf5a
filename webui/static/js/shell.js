// The layout every page shares: the top bar with the navigation, the signed-in user and a clock.
import { request, getJson, toSignIn } from "./api.js";
import { el } from "./dom.js";
import { applyI18n, t } from "./i18n.js";

// Pages that exist. Add an entry when a page lands (alerts, incidents, recordings, health, audit).
// `role`: shown only to users with exactly that role (admin pages).
export const PAGES = [
  { path: "/static/index.html", key: "nav.wall" },
  { path: "/static/admin.html", key: "nav.admin", role: "admin" },
];

export async function startShell() {
  applyI18n();
  const me = await getJson("/api/auth/me"); // 401 -> sign-in page
  const bar = document.getElementById("topbar");
  const here = location.pathname === "/" ? "/static/index.html" : location.pathname;
  const nav = el("nav", { "aria-label": t("nav.main") },
    PAGES.filter((page) => !page.role || page.role === me.role).map((page) => el("a", {
      href: page.path, text: t(page.key), "aria-current": page.path === here ? "page" : undefined,
    })));
  const clock = el("time", { class: "clock" });
  const tick = () => { clock.textContent = new Date().toLocaleTimeString(); };
  tick();
  setInterval(tick, 1000);
  const signOut = el("button", { type: "button", class: "quiet", text: t("nav.signOut"), onclick: async () => {
    try { await request("/api/auth/logout", { method: "POST" }); } finally { toSignIn(); }
  } });
  bar.replaceChildren(
    el("span", { class: "brand", text: t("app.name") }), nav, el("span", { class: "spacer" }),
    clock, el("span", { class: "user", text: `${me.name} · ${me.role}` }), signOut,
  );
  return me;
}
