"""The fallback for streams browsers cannot take as-is (H.265, H.264 with B-frames).

One transcoder per camera, shared by every viewer of that camera: it decodes the sub stream (or the main
stream, scaled down), encodes H.264 Constrained Baseline without B-frames (libx264 ultrafast/zerolatency,
one keyframe a second so new viewers start fast) and feeds the same passthrough tracks as a camera's own
H.264. Why this fallback: re-encoding per viewer (aiortc's default path) costs a core per few viewers,
while one small encode per camera costs about as much as one viewer of that path and scales with cameras,
not viewers. The picture is reduced (640 px wide by default) to keep that cost low; the tile says
"transcoded" so the operator knows it is not the camera's own stream.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from fractions import Fraction

import av
import av.error

from wawai.hub import PacketSubscription, StreamHub
from wawai.media import CodecParams, MediaPacket
from wawai.queues import Closed
from webui.live.fanout import FanoutSubscription, GopFanout

log = logging.getLogger(__name__)

TIME_BASE = Fraction(1, 90_000)


def output_size(width: int, height: int, max_width: int) -> tuple[int, int]:
    if width <= max_width:
        return width - width % 2, height - height % 2
    scaled = round(height * max_width / width)
    return max_width - max_width % 2, scaled - scaled % 2


class SharedTranscoder:
    """Decodes one camera stream and encodes it once for all of that camera's viewers."""

    def __init__(
        self, hub: StreamHub, camera_id: str, stream: str, *, max_width: int = 640, fps: float = 15.0
    ) -> None:
        self.camera_id = camera_id
        self.stream = stream
        self.max_width = max_width
        self.fps = fps
        self.frames_encoded = 0
        self._hub = hub
        self._fanout = GopFanout()
        self._source: PacketSubscription | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        self._source = self._hub.subscribe_packets(
            self.camera_id, self.stream, name="live-transcode", maxsize=256, with_current_gop=True,
            drop_gops=True,
        )
        self._thread = threading.Thread(
            target=self._run, name=f"live-transcode-{self.camera_id}", daemon=True
        )
        self._thread.start()

    def subscribe(self, name: str, maxsize: int) -> FanoutSubscription:
        return self._fanout.subscribe(name, maxsize)

    def viewers(self) -> int:
        return len(self._fanout)

    def stop(self) -> None:
        self._stopping.set()
        if self._source is not None:
            self._source.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._fanout.close()

    def _run(self) -> None:
        assert self._source is not None
        encode: Callable[[av.VideoFrame], None] | None = None
        decoder: av.CodecContext | None = None
        params: CodecParams | None = None
        while not self._stopping.is_set():
            try:
                packet = self._source.queue.get(timeout=0.5)
            except Closed:
                break
            if packet is None or packet.kind != "video":
                continue
            if decoder is None or packet.params != params:
                if not packet.keyframe:
                    continue
                params = packet.params
                decoder = av.CodecContext.create(params.codec, "r")
                if params.extradata:
                    decoder.extradata = params.extradata
            source = av.Packet(packet.data)
            source.pts, source.dts, source.time_base = packet.pts, packet.dts, packet.time_base
            try:
                frames = decoder.decode(source)  # type: ignore[attr-defined]
            except av.error.FFmpegError as exc:
                log.warning("transcoder for %s: decode error %s", self.camera_id, exc)
                continue
            for frame in frames:
                if encode is None:
                    encode = self._encoder(frame.width, frame.height)
                encode(frame)
        log.info("transcoder for %s stopped after %d frames", self.camera_id, self.frames_encoded)

    def _encoder(self, width: int, height: int) -> Callable[[av.VideoFrame], None]:
        out_w, out_h = output_size(width, height, self.max_width)
        encoder = av.CodecContext.create("libx264", "w")
        encoder.width, encoder.height = out_w, out_h
        encoder.pix_fmt = "yuv420p"
        encoder.time_base = TIME_BASE
        gop = max(1, round(self.fps))
        encoder.gop_size = gop
        encoder.max_b_frames = 0
        encoder.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
            "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0",
        }
        params = CodecParams(
            kind="video", codec="h264", time_base=TIME_BASE, width=out_w, height=out_h,
            profile="Constrained Baseline",
        )
        last_pts = -1

        def encode(frame: av.VideoFrame) -> None:
            nonlocal last_pts
            seconds = frame.time if frame.time is not None else (last_pts + 1) / 90_000 + 1 / self.fps
            pts = max(last_pts + 1, round(seconds * 90_000))
            last_pts = pts
            picture = frame.reformat(width=out_w, height=out_h, format="yuv420p")
            picture.pts, picture.time_base = pts, TIME_BASE
            for out in encoder.encode(picture):
                self.frames_encoded += 1
                self._fanout.publish(
                    MediaPacket(
                        kind="video", data=bytes(out), pts=out.pts or pts, dts=out.dts or pts,
                        time_base=TIME_BASE, keyframe=out.is_keyframe, params=params,
                    )
                )

        return encode
