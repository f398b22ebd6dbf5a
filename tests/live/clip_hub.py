"""A StreamHub over local clips, paced in real time: lets the relay be tested without ingest or RTSP.

Only the relay unit tests use it; the browser tests run the real ingest hub against the real RTSP server.
"""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from pathlib import Path

import av

from wawai.media import CodecParams, MediaPacket, StreamFacts
from wawai.status import CameraState, CameraStatus
from webui.live.fanout import GopFanout


class ClipStream:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fanout = GopFanout()
        self.facts: StreamFacts | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        offset = 0
        while not self._stop.is_set():
            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                ctx = stream.codec_context
                time_base = stream.time_base or Fraction(1, 90_000)
                params = CodecParams(
                    kind="video", codec=ctx.name, time_base=time_base,
                    extradata=ctx.extradata, width=ctx.width, height=ctx.height,
                    has_b_frames=bool(ctx.has_b_frames),
                )
                self.facts = StreamFacts(video=params, audio=None, fps=float(stream.average_rate or 10))
                started = time.monotonic()
                last = 0
                for packet in container.demux(stream):
                    if self._stop.is_set() or packet.pts is None:
                        if packet.pts is None:
                            continue
                        return
                    seconds = float((packet.dts if packet.dts is not None else packet.pts) * time_base)
                    delay = started + seconds - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    self.fanout.publish(
                        MediaPacket(
                            kind="video", data=bytes(packet), pts=packet.pts + offset,
                            dts=(packet.dts or 0) + offset, time_base=params.time_base,
                            keyframe=packet.is_keyframe, params=params,
                        )
                    )
                    last = max(last, packet.pts + offset)
                offset = last + 1000

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.fanout.close()


class ClipHub:
    def __init__(self, clips: dict[str, Path]) -> None:
        self.streams = {camera: ClipStream(path) for camera, path in clips.items()}
        self.subscribed = 0

    def camera_ids(self) -> list[str]:
        return list(self.streams)

    def stream_names(self, camera_id: str) -> list[str]:
        if camera_id not in self.streams:
            raise KeyError(camera_id)
        return ["main"]

    def subscribe_packets(self, camera_id, stream="main", *, name, maxsize=512, with_current_gop=False,
                          drop_gops=False):
        self.subscribed += 1
        return self.streams[camera_id].fanout.subscribe(name, maxsize)

    def subscribe_frames(self, camera_id, *, name, fps, max_width=1280, maxsize=2):
        raise NotImplementedError("the relay never asks for frames")

    def facts(self, camera_id: str, stream: str = "main") -> StreamFacts | None:
        return self.streams[camera_id].facts

    def status(self, camera_id: str) -> CameraStatus:
        return CameraStatus(camera_id, CameraState.ONLINE, {})

    def add_camera(self, camera) -> None:
        raise NotImplementedError("a clip hub serves fixed clips")

    def remove_camera(self, camera_id: str) -> None:
        raise NotImplementedError("a clip hub serves fixed clips")

    def viewers(self) -> int:
        return sum(len(s.fanout) for s in self.streams.values())

    def start(self) -> None:
        """Nothing to open: each clip starts playing when it is first subscribed to."""

    def stop(self) -> None:
        self.close()

    def close(self) -> None:
        for stream in self.streams.values():
            stream.close()
