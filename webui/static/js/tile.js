// One wall tile: a camera's live video, its name and state, the detection overlay.
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { openViewer } from "./whep.js";

const RETRY_MS = 3000;
// A peer connection that stays "disconnected" this long has lost its server (on a cluster: the camera's
// owner node died); offer again through our web node, which forwards to the new owner. Chromium only
// reports "failed" after about 30 s.
const DISCONNECTED_MS = 4000;
const BOXES_STALE_MS = 2000;

export class Tile {
  constructor(index, { onPick, onToggleFull }) {
    this.index = index;
    this.camera = null;
    this.state = "connecting";
    this.full = false;
    this.visible = false;
    this.pageVisible = !document.hidden;
    this.viewer = null;
    this.running = null; // "camera/stream" the viewer was opened for
    this.generation = 0;
    this.retryTimer = null;
    this.boxes = null;
    this.boxesAt = 0;
    this.overlayOn = false;

    this.video = el("video", { muted: true, autoplay: true, playsinline: true, disablepictureinpicture: true });
    this.video.muted = true;
    this.canvas = el("canvas", { class: "overlay", "aria-hidden": "true" });
    this.nameLabel = el("span", { class: "name" });
    this.stateBadge = el("span", { class: "badge state" });
    this.modeBadge = el("span", { class: "badge mode", hidden: true, text: t("tile.transcoded") });
    this.message = el("div", { class: "tile-message", role: "status" });
    this.picker = el("select", { class: "picker", "aria-label": t("wall.pickCamera", { n: index + 1 }) });
    this.picker.addEventListener("change", () => onPick(this.index, this.picker.value || null));
    this.element = el("div", {
      class: "tile", tabindex: "0", role: "group", dataset: { index: String(index), state: "empty" },
      ondblclick: () => onToggleFull(this.index),
      onkeydown: (event) => { if (event.key === "Enter" && event.target === this.element) onToggleFull(this.index); },
    },
    this.video, this.canvas, this.message,
    el("div", { class: "tile-bar" }, this.nameLabel, this.modeBadge, this.stateBadge, this.picker));
    this.element.addEventListener("dragover", (event) => { event.preventDefault(); this.element.classList.add("drop"); });
    this.element.addEventListener("dragleave", () => this.element.classList.remove("drop"));
    this.element.addEventListener("drop", (event) => {
      event.preventDefault();
      this.element.classList.remove("drop");
      const cameraId = event.dataTransfer.getData("text/x-wawai-camera");
      if (cameraId) onPick(this.index, cameraId);
    });
    this.video.addEventListener("resize", () => this.drawBoxes());
    this.render();
  }

  setCameraChoices(cameras) {
    const options = [el("option", { value: "", text: t("wall.emptyTile") })];
    for (const camera of cameras) options.push(el("option", { value: camera.id, text: camera.name }));
    this.picker.replaceChildren(...options);
    this.picker.value = this.camera?.id || "";
  }

  setCamera(camera) {
    if ((camera?.id || null) === (this.camera?.id || null)) return;
    this.camera = camera;
    this.state = camera?.status?.state || "connecting";
    this.boxes = null;
    this.picker.value = camera?.id || "";
    this.render();
    this.sync();
  }

  setState(state) {
    this.state = state;
    this.render();
  }

  setFull(full) {
    this.full = full;
    this.element.classList.toggle("full", full);
    this.sync();
  }

  setVisible(visible) {
    this.visible = visible;
    this.sync();
  }

  setPageVisible(visible) {
    this.pageVisible = visible;
    this.sync();
  }

  highlight(ms = 10000) {
    this.element.classList.add("alerted");
    clearTimeout(this.highlightTimer);
    this.highlightTimer = setTimeout(() => this.element.classList.remove("alerted"), ms);
  }

  stream() {
    // Tiles use the lighter sub stream; full screen uses the main stream.
    return !this.full && this.camera?.streams?.includes("sub") ? "sub" : "main";
  }

  wanted() {
    return this.camera && this.visible && this.pageVisible ? `${this.camera.id}/${this.stream()}` : null;
  }

  // Start, stop or switch the live view so it matches what the tile should show now.
  sync() {
    const wanted = this.wanted();
    if (wanted === this.running) return;
    this.stop();
    if (wanted) this.start(wanted);
    this.render();
  }

  async start(key) {
    const generation = ++this.generation;
    this.running = key;
    const [cameraId, stream] = key.split("/");
    this.message.textContent = "";
    try {
      let lost = null;
      const viewer = await openViewer(this.video, cameraId, stream, (state) => {
        clearTimeout(lost);
        if (generation !== this.generation) return;
        if (state === "failed") this.retry(generation);
        else if (state === "disconnected") lost = setTimeout(() => this.retry(generation), DISCONNECTED_MS);
      });
      if (generation !== this.generation) { viewer.close(); return; }
      this.viewer = viewer;
      this.element.dataset.mode = viewer.mode;
      this.element.dataset.stream = viewer.stream;
    } catch (error) {
      if (generation !== this.generation) return;
      if (error.status === 403) {
        this.message.textContent = t("tile.noAccess");
        return;
      }
      this.retry(generation);
    }
    this.render();
  }

  retry(generation) {
    if (generation !== this.generation) return;
    this.message.textContent = t("tile.failed");
    this.viewer?.close();
    this.viewer = null;
    this.running = null;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => { if (generation === this.generation) this.sync(); }, RETRY_MS);
  }

  stop() {
    this.generation++;
    clearTimeout(this.retryTimer);
    this.viewer?.close();
    this.viewer = null;
    this.running = null;
    delete this.element.dataset.mode;
    delete this.element.dataset.stream;
  }

  render() {
    const camera = this.camera;
    this.element.dataset.camera = camera?.id || "";
    this.element.dataset.state = camera ? this.state : "empty";
    this.element.dataset.live = this.running ? "yes" : "no";
    this.element.setAttribute("aria-label", camera ? `${camera.name} (${t(`tile.state.${this.state}`)})` : t("tile.empty"));
    this.nameLabel.textContent = camera ? camera.name : "";
    this.stateBadge.textContent = camera ? t(`tile.state.${this.state}`) : "";
    this.stateBadge.dataset.state = this.state;
    this.stateBadge.hidden = !camera;
    this.modeBadge.hidden = this.element.dataset.mode !== "transcoded";
    if (!camera) this.message.textContent = t("tile.empty");
    else if (this.state === "offline" || this.state === "error") this.message.textContent = t("tile.offline");
    else if (!this.visible || !this.pageVisible) this.message.textContent = t("tile.paused");
    else if (this.message.textContent === t("tile.offline") || this.message.textContent === t("tile.paused")
      || this.message.textContent === t("tile.empty")) this.message.textContent = "";
  }

  setOverlay(on) {
    this.overlayOn = on;
    this.drawBoxes();
  }

  showBoxes(boxes) {
    this.boxes = boxes;
    this.boxesAt = performance.now();
    this.drawBoxes();
  }

  drawBoxes() {
    const canvas = this.canvas;
    const rect = this.element.getBoundingClientRect();
    canvas.width = Math.max(1, Math.round(rect.width));
    canvas.height = Math.max(1, Math.round(rect.height));
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const fresh = this.boxes && performance.now() - this.boxesAt < BOXES_STALE_MS;
    if (!this.overlayOn || !fresh || !this.video.videoWidth) return;
    // The picture is letterboxed inside the tile (object-fit: contain): map 0..1 boxes onto it.
    const scale = Math.min(canvas.width / this.video.videoWidth, canvas.height / this.video.videoHeight);
    const w = this.video.videoWidth * scale;
    const h = this.video.videoHeight * scale;
    const x0 = (canvas.width - w) / 2;
    const y0 = (canvas.height - h) / 2;
    ctx.lineWidth = 2;
    ctx.font = "12px system-ui, sans-serif";
    for (const box of this.boxes) {
      const x = x0 + box.x * w;
      const y = y0 + box.y * h;
      ctx.strokeStyle = "#3ee07a";
      ctx.strokeRect(x, y, box.w * w, box.h * h);
      const label = `${box.label} ${Math.round((box.score || 0) * 100)}%`;
      ctx.fillStyle = "rgba(0,0,0,0.7)";
      ctx.fillRect(x, Math.max(0, y - 16), ctx.measureText(label).width + 6, 16);
      ctx.fillStyle = "#3ee07a";
      ctx.fillText(label, x + 3, Math.max(12, y - 4));
    }
  }
}
