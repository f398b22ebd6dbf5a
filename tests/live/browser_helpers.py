"""What the browser tests run inside the page, and the app they run against (real RTSP, real ingest)."""

from __future__ import annotations

from typing import Any

# Frames decoded and currentTime of every tile's video, in tile order.
TILE_PLAYBACK = """() => [...document.querySelectorAll('.tile video')].map((v) => ({
  width: v.videoWidth, time: v.currentTime,
  frames: v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0,
}))"""

# Opens one WHEP viewer with the page's own module, waits for the first decoded frame, closes it.
FIRST_FRAME = """async ({camera, stream}) => {
  const { openViewer } = await import('/static/js/whep.js');
  const video = document.createElement('video');
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.append(video);
  const started = performance.now();
  const viewer = await openViewer(video, camera, stream);
  await new Promise((resolve) => video.requestVideoFrameCallback(() => resolve()));
  const ms = performance.now() - started;
  viewer.close();
  video.remove();
  return { ms, mode: viewer.mode };
}"""

# The status the server answers a WHEP offer with, through the page's own request code.
WHEP_STATUS = """async (camera) => {
  const { request } = await import('/static/js/api.js');
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  try {
    const response = await request(`/api/live/${camera}/whep`, {
      method: 'POST', body: pc.localDescription.sdp, headers: { 'Content-Type': 'application/sdp' },
    });
    const location = response.headers.get('Location');
    await request(location, { method: 'DELETE' });
    return response.status;
  } catch (error) {
    return error.status;
  } finally {
    pc.close();
  }
}"""


def camera_yaml(name: str, url: str, group: str = "north", sub: str | None = None) -> str:
    streams = f'main: "{url}", stall_seconds: 4' + (f', sub: "{sub}"' if sub else "")
    return f"name: {name}\ngroup: {group}\nstreams: {{{streams}}}\n"


def wait_playing(page: Any, count: int, timeout_ms: int = 45_000, only_first: bool = False) -> None:
    """Wait until the wall has ``count`` playing tiles (all tiles, or its first ``count``)."""
    page.wait_for_function(
        """([count, onlyFirst]) => {
          let videos = [...document.querySelectorAll('.tile video')];
          if (onlyFirst) videos = videos.slice(0, count);
          return videos.length === count && videos.every((v) => v.videoWidth > 0
            && v.getVideoPlaybackQuality().totalVideoFrames > 2);
        }""",
        arg=[count, only_first],
        timeout=timeout_ms,
    )
