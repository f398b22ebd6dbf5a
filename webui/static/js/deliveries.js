// Admin page: outbox delivery state per subscription, failing ones marked, replay of one delivery or of
// everything since a time. Times in the site's time zone (site.timezone, sent with the page's data).
import { getJson, request } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { startShell } from "./shell.js";

let timeZone;

function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, timeZone ? { timeZone } : {});
}

function notice(text) {
  document.getElementById("deliveries-notice").textContent = text;
}

function subscriptionRow(sub) {
  const health = sub.disabled_reason ? t("deliveries.disabled")
    : sub.failing ? t("deliveries.failing") : t("deliveries.ok");
  const enable = sub.disabled_reason ? el("button", { type: "button", class: "quiet", text: t("deliveries.enable"),
    onclick: async () => {
      await request(`/api/integrations/subscriptions/${encodeURIComponent(sub.name)}/enable`, { method: "POST" });
      await load();
    } }) : false;
  return el("tr", { class: sub.failing ? "failing" : "", dataset: { subscription: sub.name } }, [
    el("td", { text: sub.name }),
    el("td", { class: "health", text: health, title: sub.disabled_reason || "" }),
    el("td", { text: String(sub.pending) }), el("td", { text: String(sub.delivered) }),
    el("td", { text: String(sub.failed) }), el("td", { text: when(sub.last_success_at) }),
    el("td", {}, [enable]),
  ]);
}

function deliveryRow(d) {
  const replay = el("button", { type: "button", class: "quiet replay", text: t("deliveries.replay"),
    onclick: async () => {
      await request(`/api/integrations/deliveries/${d.id}/replay`, { method: "POST" });
      notice(t("deliveries.replayed", { id: d.event_id }));
      await load();
    } });
  return el("tr", { dataset: { delivery: String(d.id), state: d.state } }, [
    el("td", {}, [el("code", { text: d.event_type }), " ", el("span", { class: "hint", text: d.key })]),
    el("td", { text: d.subscription }),
    el("td", { class: "state", text: t(`deliveries.state.${d.state}`) }),
    el("td", { text: String(d.attempts) }),
    el("td", { text: d.last_status || "—", title: d.last_error || "" }),
    el("td", { text: when(d.next_try_at) }),
    el("td", {}, [replay]),
  ]);
}

async function load() {
  const page = await getJson("/api/integrations/deliveries?limit=200");
  timeZone = page.timezone;
  document.getElementById("subscription-rows").replaceChildren(...page.subscriptions.map(subscriptionRow));
  document.getElementById("delivery-rows").replaceChildren(...page.items.map(deliveryRow));
  const select = document.getElementById("replay-subscription");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: t("deliveries.allSubscriptions") }),
    ...page.subscriptions.filter((s) => s.configured).map((s) => el("option", { value: s.name, text: s.name })));
  select.value = chosen;
  document.body.dataset.ready = "true";
}

await startShell();
document.getElementById("replay-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const local = document.getElementById("replay-since").value;
  const subscription = document.getElementById("replay-subscription").value || null;
  const answer = await request("/api/integrations/replay", {
    method: "POST", json: { since: new Date(local).toISOString(), subscription },
  });
  notice(t("deliveries.queued", { n: (await answer.json()).queued }));
  await load();
});
await load();
