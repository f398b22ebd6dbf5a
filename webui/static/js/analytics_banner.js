// One banner on the wall when analytics runs motion-only (no usable detector model): the node's
// cameras all share one detector, so the cause and its fix are said once, not on every tile.
import { el } from "./dom.js";
import { t } from "./i18n.js";

function degradedAnalytics(cameras) {
  for (const camera of cameras) {
    const analytics = camera.status?.stages?.analytics;
    if (analytics?.state === "degraded") return analytics;
  }
  return null;
}

export function showAnalyticsBanner(banner, cameras) {
  const analytics = degradedAnalytics(cameras);
  banner.hidden = analytics === null;
  if (analytics === null) {
    banner.replaceChildren();
    return;
  }
  const count = cameras.filter((c) => c.status?.stages?.analytics?.state === "degraded").length;
  banner.replaceChildren(
    el("strong", { text: t("analytics.degraded.title") }),
    el("span", { text: t("analytics.degraded.cameras", { count }) }),
    analytics.fix
      ? el("span", {}, t("analytics.degraded.fix"), " ", el("code", { text: analytics.fix }))
      : null,
    // The server's reason names files and paths: kept in English, for whoever runs the server.
    el("details", {}, el("summary", { text: t("analytics.degraded.details") }),
      el("p", { class: "reason", text: analytics.reason || "" })),
  );
}
