// A WHEP viewer: offer recvonly H.264, POST it, play the answer; DELETE the resource when done.
import { request } from "./api.js";

let iceServers = null;

async function loadIceServers() {
  if (iceServers === null) {
    try {
      iceServers = (await (await request("/api/live/ice")).json()).iceServers;
    } catch {
      iceServers = [];
    }
  }
  return iceServers;
}

function gatheringDone(pc, timeoutMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") { pc.removeEventListener("icegatheringstatechange", done); resolve(); }
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, timeoutMs); // the server offers its own candidates; ours can be peer-reflexive
  });
}

// Returns {mode, stream, pc, close()}; throws ApiError (403, 404, ...) from the server.
export async function openViewer(video, cameraId, stream, onState) {
  const pc = new RTCPeerConnection({ iceServers: await loadIceServers(), bundlePolicy: "max-bundle" });
  const transceiver = pc.addTransceiver("video", { direction: "recvonly" });
  const h264 = (RTCRtpReceiver.getCapabilities("video")?.codecs || []).filter((c) => c.mimeType === "video/H264");
  if (h264.length && transceiver.setCodecPreferences) transceiver.setCodecPreferences(h264);
  pc.addEventListener("track", (event) => {
    video.srcObject = event.streams[0] || new MediaStream([event.track]);
    video.play().catch(() => {});
  });
  pc.addEventListener("connectionstatechange", () => onState?.(pc.connectionState));
  let location = null;
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringDone(pc, 500);
    const response = await request(`/api/live/${encodeURIComponent(cameraId)}/whep?stream=${stream}`, {
      method: "POST", body: pc.localDescription.sdp, headers: { "Content-Type": "application/sdp" },
    });
    location = response.headers.get("Location");
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
    return {
      pc,
      mode: response.headers.get("X-Wawai-Live-Mode") || "passthrough",
      stream: response.headers.get("X-Wawai-Live-Stream") || stream,
      close: () => {
        pc.close();
        video.srcObject = null;
        if (location) request(location, { method: "DELETE", redirect401: false, keepalive: true }).catch(() => {});
      },
    };
  } catch (error) {
    pc.close();
    if (location) request(location, { method: "DELETE", redirect401: false }).catch(() => {});
    throw error;
  }
}
