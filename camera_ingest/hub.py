"""The ingest hub: one session per stream URL, shared by every camera and consumer that reads it."""

from __future__ import annotations

import logging
import threading
import time

from camera_ingest.session import StreamSession
from wawai.bus import EventBus
from wawai.config.model import WawaiConfig
from wawai.config.schema import CameraConfig
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
        # Held while the session maps change (cameras added or removed at run time); readers of the
        # maps take a snapshot under it.
        self._lock = threading.RLock()
        self._last_published: dict[str, tuple[object, ...]] = {}
        self._stop = threading.Event()
        self._started = False
        self._watchdog: threading.Thread | None = None
        for camera in config.cameras.values():
            self._attach(camera)

    def _attach(self, camera: CameraConfig) -> list[StreamSession]:
        """Map the camera's streams to sessions; returns the sessions made for it (not yet started)."""
        urls = {"main": camera.streams.main}
        if camera.streams.sub:
            urls["sub"] = camera.streams.sub
        streams: dict[str, StreamSession] = {}
        made: list[StreamSession] = []
        with self._lock:
            for stream, url in urls.items():
                session = self._sessions.get(url)
                if session is None:
                    session = StreamSession(
                        url,
                        camera_id=camera.id,
                        stream=stream,
                        loop=camera.streams.loop,
                        stall_seconds=camera.streams.stall_seconds,
                        on_change=self._session_changed,
                    )
                    self._sessions[url] = session
                    made.append(session)
                streams[stream] = session
            self._streams[camera.id] = streams
        return made

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._started = True
            sessions = list(self._sessions.values())
        for session in sessions:
            session.start()
        self._watchdog = threading.Thread(target=self._watch, name="ingest-watchdog", daemon=True)
        self._watchdog.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            sessions = list(self._sessions.values())
        for session in sessions:
            session.stop()
        for session in sessions:
            self._join(session)
        if self._watchdog is not None:
            self._watchdog.join(timeout=WATCHDOG_PERIOD * 4)

    def _join(self, session: StreamSession) -> None:
        # Exiting while a reader is blocked in FFmpeg can abort the interpreter: wait for each.
        if not session.join(timeout=session.timeouts.read * 2 + JOIN_GRACE):
            log.warning("camera %s/%s: reader did not stop in time", session.camera_id, session.stream)

    def _watch(self) -> None:
        while not self._stop.wait(WATCHDOG_PERIOD):
            now = time.monotonic()
            with self._lock:
                sessions = list(self._sessions.values())
            for session in sessions:
                try:
                    session.check_stall(now)
                except Exception:
                    log.exception("watchdog failed for camera %s", session.camera_id)

    # --- cameras at run time --------------------------------------------------------------------

    def add_camera(self, camera: CameraConfig) -> None:
        with self._lock:
            if camera.id in self._streams:
                raise ValueError(f"camera {camera.id} is already in the hub")
            made = self._attach(camera)
            started = self._started
        if started:
            for session in made:
                session.start()
        log.info("camera %s added to ingest (%d new stream session(s))", camera.id, len(made))

    def remove_camera(self, camera_id: str) -> None:
        with self._lock:
            streams = self._streams.pop(camera_id, None)
            if streams is None:
                return
            self._last_published.pop(camera_id, None)
            in_use = {id(s) for other in self._streams.values() for s in other.values()}
            closing = [s for s in dict.fromkeys(streams.values()) if id(s) not in in_use]
            for session in closing:
                self._sessions.pop(session.url, None)
        for session in closing:
            session.stop()
        for session in closing:
            self._join(session)
        log.info("camera %s removed from ingest (%d stream session(s) closed)", camera_id, len(closing))

    # --- StreamHub ------------------------------------------------------------------------------

    def camera_ids(self) -> list[str]:
        with self._lock:
            return list(self._streams)

    def stream_names(self, camera_id: str) -> list[str]:
        with self._lock:
            return list(self._streams[camera_id])

    def _session(self, camera_id: str, stream: str) -> StreamSession:
        try:
            with self._lock:
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
        with self._lock:
            streams = self._streams.get(camera_id)
        if streams is None:
            raise KeyError(f"unknown camera {camera_id}")
        session = streams.get("sub") or streams["main"]
        return session.frames.subscribe(name, fps=fps, max_width=max_width, maxsize=maxsize)

    def facts(self, camera_id: str, stream: str = "main") -> StreamFacts | None:
        return self._session(camera_id, stream).facts()

    def status(self, camera_id: str) -> CameraStatus:
        with self._lock:
            streams = self._streams.get(camera_id)
        if streams is None:
            raise KeyError(f"unknown camera {camera_id}")
        stats: dict[str, StreamStats] = {name: session.stats() for name, session in streams.items()}
        return CameraStatus(camera_id=camera_id, state=stats["main"].state, streams=stats)

    # --- status out -----------------------------------------------------------------------------

    def _session_changed(self, session: StreamSession) -> None:
        with self._lock:
            cameras = [cid for cid, streams in self._streams.items() if session in streams.values()]
        for camera_id in cameras:
            try:
                status = self.status(camera_id)
            except KeyError:  # removed meanwhile
                continue
            key = (status.state, *((s.state, s.last_error) for s in status.streams.values()))
            with self._lock:
                if self._last_published.get(camera_id) == key:
                    continue
                self._last_published[camera_id] = key
            self._bus.publish({"type": "camera.status", "camera": camera_id, **status.to_json()})
