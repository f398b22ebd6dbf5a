// The live alerts panel: incidents pushed over /api/events, newest first; overdue ones red with a sound.
import { el } from "./dom.js";
import { formatTime, t } from "./i18n.js";
import { alarm } from "./sound.js";

const MAX_ALERTS = 50;

export class AlertsPanel {
  constructor(list, { cameraName, onOpen }) {
    this.list = list;
    this.cameraName = cameraName;
    this.onOpen = onOpen;
    this.list.replaceChildren(el("li", { class: "none", text: t("alerts.none") }));
  }

  add(message) {
    this.list.querySelector(".none")?.remove();
    const camera = message.camera ?? message.incident?.camera;
    const name = this.cameraName(camera);
    const started = message.started_at ? new Date(message.started_at) : new Date();
    const severity = String(message.priority || message.severity || "medium");
    const snapshot = message.snapshot_url
      ? el("img", { src: message.snapshot_url, alt: t("alerts.snapshot", { camera: name }), loading: "lazy" })
      : el("div", { class: "no-snapshot" });
    const item = el("li", { class: "alert", dataset: { severity, camera: camera || "", incident: String(message.id ?? "") } },
      el("button", { type: "button", class: "alert-open", onclick: () => this.onOpen(camera) },
        snapshot,
        el("span", { class: "alert-text" },
          el("span", { class: "alert-head" },
            el("span", { class: `badge severity ${severity}`, text: t(`alerts.severity.${severity}`) }),
            el("time", { datetime: started.toISOString(), text: formatTime(started) })),
          el("span", { class: "alert-camera", text: name }),
          el("span", { class: "alert-rule", text: String(message.rule || "") }))),
      message.id === undefined ? null : el("a", {
        class: "alert-incident", href: `/static/incident.html?id=${encodeURIComponent(message.id)}`,
        text: t("alerts.openIncident", { id: message.id }),
      }));
    this.list.prepend(item);
    while (this.list.children.length > MAX_ALERTS) this.list.lastElementChild.remove();
    if (message.overdue) this.escalate(message);
  }

  // incident.escalated: red and a sound; incident.updated: no longer red once someone acknowledged it.
  escalate(message) {
    let item = this.list.querySelector(`li.alert[data-incident="${CSS.escape(String(message.id))}"]`);
    if (!item) {
      this.add({ ...message, overdue: false });
      item = this.list.firstElementChild;
    }
    item.classList.add("overdue");
    item.title = t("alerts.overdue");
    alarm();
  }

  update(message) {
    const item = this.list.querySelector(`li.alert[data-incident="${CSS.escape(String(message.id))}"]`);
    if (item && !message.overdue) item.classList.remove("overdue");
  }
}
