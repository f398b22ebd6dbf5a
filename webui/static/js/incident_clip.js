// The incident's clip (pre- and post-roll included) in the shared recorded-video player, starting at the
// pre-roll, with when the incident began and ended as markers and in words.
import { el } from "./dom.js";
import { formatDateTime, formatTime, t } from "./i18n.js";
import { mountPlayer } from "./player.js";

export async function showClip(container, incident) {
  const start = incident.clip_start * 1000;
  // An open incident's clip grows: a range ending in the future gives a playlist that grows too.
  const end = incident.clip_end != null ? incident.clip_end * 1000 : Date.now() + 60_000;
  const began = new Date(incident.started_at);
  const ended = incident.ended_at ? new Date(incident.ended_at) : null;
  const status = el("p", { class: "message", text: t("incident.clipLoading") });
  const times = el("div", { class: "clip-times" },
    el("span", { class: "began", text: t("incident.began", { time: formatDateTime(began) }) }),
    el("span", { class: "ended", text: ended ? t("incident.ended", { time: formatTime(ended) }) : t("incident.stillOpen") }));
  const holder = el("div", { class: "clip-player" });
  container.replaceChildren(el("h2", { text: t("incident.clip") }), holder, status, times);
  const markers = [{ at: began.getTime(), label: t("incident.began", { time: formatTime(began) }), severity: incident.severity }];
  if (ended) markers.push({ at: ended.getTime(), label: t("incident.ended", { time: formatTime(ended) }), severity: incident.severity });
  let first = true;
  const player = mountPlayer(holder, {
    camera: incident.camera, start, end, at: start, markers,
    onTime: (ms) => {
      if (ms === null || !first) return;
      first = false; // the first frame shown: where the clip really starts (a keyframe at or before it)
      container.dataset.clipStart = String(ms / 1000);
    },
  });
  await player.ready;
  const playable = player.state().playable;
  container.dataset.clipEnd = String(end / 1000);
  status.textContent = playable
    ? t("incident.clipRange", { start: formatTime(new Date(start)), end: formatTime(new Date(end)) })
    : t("incident.clipMissing");
  return player;
}
