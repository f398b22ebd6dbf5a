"""The ingest hub: one session per stream URL, shared by every camera and consumer that reads it."""

from __future__ import annotations

import logging
import threading
import time

from camera_ingest.session import StreamSession
from wawai.bus import EventBus
from wawai.config.model import WawaiConfig
from wawai.hub import FrameSubscription, PacketSubscription
from wawai.media import StreamFacts
from wawai.status import CameraStatus, StreamStats

log = logging.getLogger(__name__)

WATCHDOG_PERIOD = 0.5
JOIN_GRACE = 5.0  # beyond the read timeout, for FFmpeg to give up a blocked read


class Hub:
    """Implements ``wawai.hub.StreamHub``; ``start()`` opens every stream, ``stop()`` joins readers."""

    def __init__(self, config: WawaiConfig, bus: EventBus) -> None:
        self._bus = bus
        self._sessions: dict[str, StreamSession] = {}  # by URL: a URL is opened once
        self._streams: dict[str, dict[str, StreamSession]] = {}
        self._lock = threading.Lock()
        self._last_published: dict[str, tuple[object, ...]] = {}
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        for camera_id, camera in config.cameras.items():
            urls = {"main": camera.streams.main}
            if camera.streams.sub:
                urls["sub"] = camera.streams.sub
            streams: dict[str, StreamSession] = {}
            for stream, url in urls.items():
                session = self._sessions.get(url)
                if session is None:
                    session = StreamSession(
                        url,
                        camera_id=camera_id,
                        stream=stream,
                        loop=camera.streams.loop,
                        stall_seconds=camera.streams.stall_seconds,
                        on_change=self._session_changed,
                    )
                    self._sessions[url] = session
                streams[stream] = session
            self._streams[camera_id] = streams

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        for session in self._sessions.values():
            session.start()
        self._watchdog = threading.Thread(target=self._watch, name="ingest-watchdog", daemon=True)
        self._watchdog.start()

    def stop(self) -> None:
        self._stop.set()
        for session in self._sessions.values():
            session.stop()
        for session in self._sessions.values():
            # Exiting while a reader is blocked in FFmpeg can abort the interpreter: wait for each.
            if not session.join(timeout=session.timeouts.read * 2 + JOIN_GRACE):
                log.warning("camera %s/%s: reader did not stop in time", session.camera_id, session.stream)
        if self._watchdog is not None:
            self._watchdog.join(timeout=WATCHDOG_PERIOD * 4)

    def _watch(self) -> None:
        while not self._stop.wait(WATCHDOG_PERIOD):
            now = time.monotonic()
            for session in self._sessions.values():
                try:
                    session.check_stall(now)
                except Exception:
                    log.exception("watchdog failed for camera %s", session.camera_id)

    # --- StreamHub ------------------------------------------------------------------------------

    def camera_ids(self) -> list[str]:
        return list(self._streams)

    def stream_names(self, camera_id: str) -> list[str]:
        return list(self._streams[camera_id])

    def _session(self, camera_id: str, stream: str) -> StreamSession:
        try:
            return self._streams[camera_id][stream]
        except KeyError:
            raise KeyError(f"unknown camera stream {camera_id}/{stream}") from None

    def subscribe_packets(
        self,
        camera_id: str,
        stream: str = "main",
        *,
        name: str,
        maxsize: int = 512,
        with_current_gop: bool = False,
        drop_gops: bool = False,
    ) -> PacketSubscription:
        session = self._session(camera_id, stream)
        return session.fanout.subscribe(
            name, maxsize=maxsize, with_current_gop=with_current_gop, drop_gops=drop_gops
        )

    def subscribe_frames(
        self, camera_id: str, *, name: str, fps: float, max_width: int = 1280, maxsize: int = 2
    ) -> FrameSubscription:
        streams = self._streams.get(camera_id)
        if streams is None:
            raise KeyError(f"unknown camera {camera_id}")
        session = streams.get("sub") or streams["main"]
        return session.frames.subscribe(name, fps=fps, max_width=max_width, maxsize=maxsize)

    def facts(self, camera_id: str, stream: str = "main") -> StreamFacts | None:
        return self._session(camera_id, stream).facts()

    def status(self, camera_id: str) -> CameraStatus:
        streams = self._streams.get(camera_id)
        if streams is None:
            raise KeyError(f"unknown camera {camera_id}")
        stats: dict[str, StreamStats] = {name: session.stats() for name, session in streams.items()}
        return CameraStatus(camera_id=camera_id, state=stats["main"].state, streams=stats)

    # --- status out -----------------------------------------------------------------------------

    def _session_changed(self, session: StreamSession) -> None:
        for camera_id, streams in self._streams.items():
            if session not in streams.values():
                continue
            status = self.status(camera_id)
            key = (status.state, *((s.state, s.last_error) for s in status.streams.values()))
            with self._lock:
                if self._last_published.get(camera_id) == key:
                    continue
                self._last_published[camera_id] = key
            self._bus.publish({"type": "camera.status", "camera": camera_id, **status.to_json()})
