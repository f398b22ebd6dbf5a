// The incident's clip (pre- and post-roll included) in a plain <video>, with when the incident began and
// ended. One function, so that the shared recorded-video player (player.js, issue 9) replaces the body:
//   const player = mountPlayer(container, { camera, start, end, markers: [began, ended] }); player.seekWallclock(...)
import { request } from "./api.js";
import { el } from "./dom.js";
import { formatDateTime, formatTime, t } from "./i18n.js";

export async function showClip(container, incident) {
  const start = incident.clip_start;
  const end = incident.clip_end ?? Date.now() / 1000;
  const status = el("p", { class: "message", text: t("incident.clipLoading") });
  const began = new Date(incident.started_at);
  const ended = incident.ended_at ? new Date(incident.ended_at) : null;
  const times = el("div", { class: "clip-times" },
    el("span", { class: "began", text: t("incident.began", { time: formatDateTime(began) }) }),
    el("span", { class: "ended", text: ended ? t("incident.ended", { time: formatTime(ended) }) : t("incident.stillOpen") }));
  container.replaceChildren(el("h2", { text: t("incident.clip") }), status, times);
  let response;
  try {
    response = await request(`/api/recordings/${encodeURIComponent(incident.camera)}/clip.mp4?start=${start}&end=${end}`);
  } catch (error) {
    status.textContent = error.status === 403 ? t("incident.clipRefused") : t("incident.clipMissing");
    return { destroy() {} };
  }
  const clipStart = Number(response.headers.get("X-Clip-Start")) || start;
  const clipEnd = Number(response.headers.get("X-Clip-End")) || end;
  const url = URL.createObjectURL(await response.blob());
  const video = el("video", { controls: true, muted: true, autoplay: true, playsinline: true, preload: "auto", src: url });
  video.muted = true;
  container.dataset.clipStart = String(clipStart);
  container.dataset.clipEnd = String(clipEnd);
  status.textContent = t("incident.clipRange", { start: formatTime(clipStart), end: formatTime(clipEnd) });
  container.replaceChildren(el("h2", { text: t("incident.clip") }), video, status, times);
  video.play().catch(() => { /* autoplay refused: the controls are there */ });
  return {
    destroy() {
      video.pause();
      video.removeAttribute("src");
      URL.revokeObjectURL(url);
    },
  };
}
