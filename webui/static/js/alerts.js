// The live alerts panel: incidents pushed over /api/events, newest first.
import { complaintItem } from "./complaint_alert.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

const MAX_ALERTS = 50;

export class AlertsPanel {
  constructor(list, { cameraName, onOpen, onOpenWall }) {
    this.list = list;
    this.cameraName = cameraName;
    this.onOpen = onOpen;
    this.onOpenWall = onOpenWall;
    this.list.replaceChildren(el("li", { class: "none", text: t("alerts.none") }));
  }

  add(message) {
    this.list.querySelector(".none")?.remove();
    if (message.incident_type === "complaint") {
      this.prepend(complaintItem(message, { onOpenCamera: this.onOpen, onOpenWall: this.onOpenWall }));
      return;
    }
    const camera = message.camera ?? message.incident?.camera;
    const name = this.cameraName(camera);
    const started = message.started_at ? new Date(message.started_at) : new Date();
    const severity = String(message.severity || "medium");
    const snapshot = message.snapshot_url
      ? el("img", { src: message.snapshot_url, alt: t("alerts.snapshot", { camera: name }), loading: "lazy" })
      : el("div", { class: "no-snapshot" });
    const item = el("li", { class: "alert", dataset: { severity, camera: camera || "" } },
      el("button", { type: "button", class: "alert-open", onclick: () => this.onOpen(camera) },
        snapshot,
        el("span", { class: "alert-text" },
          el("span", { class: "alert-head" },
            el("span", { class: `badge severity ${severity}`, text: t(`alerts.severity.${severity}`) }),
            el("time", { datetime: started.toISOString(), text: started.toLocaleTimeString() })),
          el("span", { class: "alert-camera", text: name }),
          el("span", { class: "alert-rule", text: String(message.rule || "") }))));
    this.prepend(item);
  }

  prepend(item) {
    this.list.prepend(item);
    while (this.list.children.length > MAX_ALERTS) this.list.lastElementChild.remove();
  }
}
