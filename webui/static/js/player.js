// The recorded-video player: the one component every page that shows recordings embeds (the timeline,
// synchronized playback, the incident pages). Plays the HLS playlist the server builds from the segment
// index, through the vendored hls.js; knows the wall-clock time of the frame on screen.
//
//   import { mountPlayer } from "/static/js/player.js";
//   const player = mountPlayer(container, {
//     camera: "gate-north",          // camera id
//     start: ms, end: ms,            // wall-clock range to load, epoch milliseconds (UTC); an end in the
//                                    // future gives a playlist that grows while it is watched
//     at: ms,                        // optional: first frame to show (default: start)
//     markers: [{ at: ms, label: "Intrusion", severity: "high", href: "/static/incident.html?id=7" }],
//     onTime: (ms) => {},            // wall-clock time of each frame shown (null before the first)
//     controls: true,                // false: no control bar or keys (a page drives it: synchronized view)
//     autoplay: true,
//     timezone: "Asia/Jakarta",      // optional; default: the site's (GET /api/site)
//   });
//   await player.ready;                  // the playlist is loaded (or the player knows it cannot play)
//   await player.seekWallclock(ms);      // show the frame recorded at ms (the next recording after a gap)
//   player.play(); player.pause(); player.setRate(4); player.step(+1 | -1); player.jump(-10);
//   player.wallclock();                  // ms of the frame on screen, or null
//   player.state();                      // { wallclock, mediaTime, rate, paused, frameInterval, playable, ... }
//   player.destroy();
//
// Keys (while the player has focus): Space play/pause, ←/→ 10 s back/forward, "," and "." one frame back and
// forward, "[" and "]" slower and faster, "1" normal speed. Speeds: 0.25x to 16x.
import Hls from "../vendor/hls.js/hls.light.min.mjs";
import { getJson } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { formatWallclock, siteTimezone } from "./wallclock.js";

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16];
const JUMP_SECONDS = 10;
const FRAME_EPSILON = 0.001; // seek just inside the wanted frame, never onto the boundary before it
const HEVC_TYPES = ['video/mp4; codecs="hvc1.1.6.L93.B0"', 'video/mp4; codecs="hev1.1.6.L93.B0"'];

export function canPlayHevc() {
  return typeof MediaSource !== "undefined" && HEVC_TYPES.some((type) => MediaSource.isTypeSupported(type));
}

export function mountPlayer(container, options) {
  const { camera, start, end, markers = [], onTime = () => {}, controls = true, autoplay = true } = options;
  const video = el("video", { class: "player-video", muted: true, playsinline: true });
  video.muted = true;
  const notice = el("p", { class: "player-notice", role: "status", hidden: true });
  const clock = el("time", { class: "player-clock", text: "—" });
  const root = el("div", { class: "player", tabindex: controls ? "0" : undefined },
    el("div", { class: "player-screen" }, video, notice));
  container.replaceChildren(root);

  let hls = null;
  let fragments = []; // { start, duration, pdt } in media seconds / wall-clock ms, playlist order
  let segments = []; // index rows: codec, frames, start/end (s) for frame intervals
  let presented = null; // { mediaTime, wall } of the frame on screen
  let timezone = options.timezone || null;
  let destroyed = false;
  let frameCallback = 0;
  let rate = 1;
  let resolveReady;
  const ready = new Promise((resolve) => { resolveReady = resolve; });
  const state = { playable: true, error: null, gap: false };

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  // --- wall clock <-> media time -----------------------------------------------------------------
  function wallAt(mediaTime) {
    for (const frag of fragments) {
      if (mediaTime >= frag.start - 0.0005 && mediaTime < frag.start + frag.duration + 0.0005) {
        return frag.pdt + (mediaTime - frag.start) * 1000;
      }
    }
    return null;
  }

  function mediaAt(wall) {
    // The fragment holding ``wall``, else the first one after it (wall falls in a gap); null past the end.
    for (const frag of fragments) {
      if (wall < frag.pdt) return { time: frag.start + FRAME_EPSILON, inGap: true };
      if (wall < frag.pdt + frag.duration * 1000) {
        return { time: frag.start + (wall - frag.pdt) / 1000 + FRAME_EPSILON, inGap: false };
      }
    }
    return null;
  }

  function frameInterval(wall) {
    const seconds = (wall ?? start) / 1000;
    const row = segments.find((s) => s.start <= seconds && seconds < s.end) || segments[0];
    if (row && row.frames) return (row.end - row.start) / row.frames;
    return 0.1;
  }

  // --- the frame on screen ---------------------------------------------------------------------------
  function onFrame(_now, metadata) {
    if (destroyed) return;
    const wall = wallAt(metadata.mediaTime);
    presented = { mediaTime: metadata.mediaTime, wall, frames: metadata.presentedFrames };
    clock.textContent = wall === null ? "—" : formatWallclock(wall, timezone, true);
    clock.dateTime = wall === null ? "" : new Date(wall).toISOString();
    onTime(wall);
    frameCallback = video.requestVideoFrameCallback(onFrame);
  }
  frameCallback = video.requestVideoFrameCallback(onFrame);

  // --- loading -------------------------------------------------------------------------------------
  async function load() {
    if (!timezone) timezone = await siteTimezone();
    const range = `start=${start / 1000}&end=${end / 1000}`;
    const cam = encodeURIComponent(camera);
    const overview = await getJson(`/api/recordings/${cam}?${range}`);
    segments = overview.segments.filter((s) => !s.live);
    if (!segments.length) {
      state.playable = false;
      showNotice(t("player.nothing"));
      return;
    }
    if (segments.some((s) => s.codec === "hevc") && !canPlayHevc()) {
      state.playable = false;
      state.error = "hevc";
      showNotice(t("player.hevc"));
      if (segments.every((s) => s.codec === "hevc")) return;
    }
    if (!Hls.isSupported()) {
      state.playable = false;
      showNotice(t("player.noMse"));
      return;
    }
    // No worker: the CSP allows scripts from this site only (hls.js would start one from a blob URL).
    hls = new Hls({ enableWorker: false, autoStartLoad: false, maxBufferLength: 30, backBufferLength: 60 });
    let first = true;
    await new Promise((resolve) => {
      hls.on(Hls.Events.LEVEL_LOADED, (_event, data) => {
        fragments = data.details.fragments.map((f) => ({ start: f.start, duration: f.duration,
          pdt: f.programDateTime }));
        if (first) {
          first = false;
          const target = mediaAt(options.at ?? start) || { time: 0 };
          hls.startLoad(target.time);
          video.currentTime = target.time;
          resolve();
        }
      });
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) {
          state.error = data.details;
          showNotice(t("player.failed"));
          resolve();
        }
      });
      hls.loadSource(`/api/recordings/${cam}/playlist.m3u8?${range}`);
      hls.attachMedia(video);
    });
    if (autoplay) video.play().catch(() => {});
  }

  // --- commands --------------------------------------------------------------------------------------
  function seekMedia(time) {
    return new Promise((resolve) => {
      video.addEventListener("seeked", () => resolve(), { once: true });
      video.currentTime = Math.max(0, time);
    });
  }

  async function seekWallclock(wall) {
    await ready;
    const target = mediaAt(wall);
    if (!target) return false;
    state.gap = target.inGap;
    showNotice(target.inGap ? t("player.gap") : "");
    await seekMedia(target.time);
    return true;
  }

  function setRate(value) {
    rate = Math.min(16, Math.max(0.25, value));
    video.playbackRate = rate;
    if (speedSelect) speedSelect.value = String(rate);
  }

  function shiftRate(direction) {
    const index = SPEEDS.indexOf(rate);
    const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (index < 0 ? 2 : index) + direction))];
    setRate(next);
  }

  async function step(direction) {
    video.pause();
    const current = presented ? presented.mediaTime : video.currentTime;
    const interval = frameInterval(presented?.wall);
    await seekMedia(current + direction * interval + FRAME_EPSILON);
  }

  function jump(seconds) {
    const wall = presented?.wall ?? options.at ?? start;
    return seekWallclock(wall + seconds * 1000);
  }

  const api = {
    ready,
    video,
    seekWallclock,
    play: () => video.play().catch(() => {}),
    pause: () => video.pause(),
    setRate,
    step,
    jump,
    wallclock: () => (presented ? presented.wall : null),
    // Whether anything was recorded at ``wall`` (the synchronized view pauses a camera in its gaps).
    covers: (wall) => fragments.some((f) => wall >= f.pdt && wall < f.pdt + f.duration * 1000),
    state: () => ({
      ...state,
      wallclock: presented ? presented.wall : null,
      mediaTime: presented ? presented.mediaTime : null,
      presentedFrames: presented ? presented.frames : 0,
      currentTime: video.currentTime,
      rate: video.playbackRate,
      paused: video.paused,
      readyState: video.readyState,
      frameInterval: frameInterval(presented?.wall),
      fragments: fragments.length,
    }),
    destroy() {
      destroyed = true;
      video.cancelVideoFrameCallback(frameCallback);
      if (hls) hls.destroy();
      root.remove();
    },
  };

  // --- controls --------------------------------------------------------------------------------------
  let speedSelect = null;
  if (controls) {
    const button = (key, action, glyph) => el("button", {
      type: "button", class: "quiet", title: t(key), "aria-label": t(key), text: glyph, onclick: action,
    });
    const playButton = button("player.play", () => (video.paused ? api.play() : api.pause()), "▶");
    video.addEventListener("play", () => { playButton.textContent = "❚❚"; });
    video.addEventListener("pause", () => { playButton.textContent = "▶"; });
    speedSelect = el("select", { class: "player-speed", "aria-label": t("player.speed"),
      onchange: () => setRate(Number(speedSelect.value)) },
    SPEEDS.map((s) => el("option", { value: String(s), text: `${s}×`, selected: s === 1 })));
    const bar = el("div", { class: "player-controls", role: "toolbar", "aria-label": t("player.controls") },
      button("player.back10", () => jump(-JUMP_SECONDS), "−10s"),
      button("player.frameBack", () => step(-1), "◀▮"),
      playButton,
      button("player.frameForward", () => step(1), "▮▶"),
      button("player.forward10", () => jump(JUMP_SECONDS), "+10s"),
      speedSelect, el("span", { class: "spacer" }), clock);
    root.append(bar, playerMarkers(markers, start, end, (at) => seekWallclock(at)));
    root.addEventListener("keydown", (event) => {
      if (event.target.tagName === "SELECT") return;
      const keys = {
        " ": () => (video.paused ? api.play() : api.pause()),
        ArrowLeft: () => jump(-JUMP_SECONDS), ArrowRight: () => jump(JUMP_SECONDS),
        ",": () => step(-1), ".": () => step(1),
        "[": () => shiftRate(-1), "]": () => shiftRate(1), 1: () => setRate(1),
      };
      const action = keys[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    });
  } else {
    root.append(el("div", { class: "player-controls compact" }, clock));
  }

  load().catch((error) => {
    state.playable = false;
    state.error = String(error.message || error);
    showNotice(t("player.failed"));
  }).finally(resolveReady);
  root.wawaiPlayer = api; // for pages and tests that find the player in the DOM
  return api;
}

function playerMarkers(markers, start, end, seek) {
  const strip = el("div", { class: "player-markers" });
  for (const marker of markers) {
    if (marker.at < start || marker.at > end) continue;
    const link = el("a", {
      class: `marker severity-${marker.severity || "medium"}`, href: marker.href || "#",
      title: marker.label || "", "aria-label": marker.label || "",
      onclick: (event) => {
        if (!marker.href) {
          event.preventDefault();
          seek(marker.at);
        }
      },
    });
    link.style.left = `${((marker.at - start) / (end - start)) * 100}%`;
    strip.append(link);
  }
  return strip;
}
