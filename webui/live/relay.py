"""The live relay: turns WHEP offers into viewer sessions fed from the hub (or a shared transcoder).

One relay per app. Every viewer of a camera stream reads the hub's single connection to it through its
own bounded, GOP-dropping subscription; streams a browser cannot play as-is go through one
``SharedTranscoder`` per camera whatever the number of viewers.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import Counter
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.exceptions import InvalidStateError, OperationError

from wawai.config.schema import CameraConfig, WebSection
from wawai.hub import PacketSubscription, StreamHub
from wawai.media import StreamFacts
from webui.live import ice
from webui.live.session import Mode, ViewerSession
from webui.live.track import PacketTrack
from webui.live.transcoder import SharedTranscoder

log = logging.getLogger(__name__)

VIEWER_QUEUE = 300  # pictures: a few GOPs; past that the viewer's oldest GOP is dropped


class OfferError(ValueError):
    """The offer cannot be answered (not SDP, no video, no H.264)."""


class LiveBusy(Exception):
    """Too many live views open (per user or in total); the caller answers 503 with Retry-After."""


class LiveRelay:
    def __init__(
        self,
        hub: StreamHub,
        web: WebSection,
        *,
        connect_timeout: float = 15.0,
        facts_wait: float = 3.0,
        transcode_width: int = 640,
        instant_start: bool = True,
    ) -> None:
        self._hub = hub
        self._web = web
        self._connect_timeout = connect_timeout
        self._facts_wait = facts_wait
        self._transcode_width = transcode_width
        # Replay the GOP in progress to a new viewer (off only to measure what it saves: bench/live.py).
        self._instant_start = instant_start
        self._sessions: dict[str, ViewerSession] = {}
        self._opening: Counter[str] = Counter()  # offers being answered, per user: they count as open
        self._transcoders: dict[str, SharedTranscoder] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._configuration: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the app's loop, for calls from threads

    def session(self, session_id: str) -> ViewerSession | None:
        return self._sessions.get(session_id)

    def stats(self, camera_ids: set[str] | None = None) -> dict[str, Any]:
        """Counters; with ``camera_ids``, only of those cameras (a group-limited user sees no others)."""
        def shown(camera_id: str) -> bool:
            return camera_ids is None or camera_id in camera_ids

        transcoders = [t for cid, t in self._transcoders.items() if shown(cid)]
        return {
            "sessions": sum(1 for s in self._sessions.values() if shown(s.camera_id)),
            "transcoders": len(transcoders),
            "transcoded_viewers": sum(t.viewers() for t in transcoders),
        }

    async def open_view(self, camera_id: str, stream: str, offer_sdp: str, user_name: str) -> ViewerSession:
        """Answer a WHEP offer for ``camera_id``; raises KeyError (unknown camera), OfferError or LiveBusy.

        The caps (``web.live_max_sessions``, ``web.live_max_sessions_per_user``) are checked and the slot
        taken in one step on the event loop, so concurrent offers cannot pass them together.
        """
        open_for_user = sum(1 for s in self._sessions.values() if s.user_name == user_name)
        if open_for_user + self._opening[user_name] >= self._web.live_max_sessions_per_user:
            limit = self._web.live_max_sessions_per_user
            raise LiveBusy(f"you have {limit} live views open; close one first")
        if len(self._sessions) + self._opening.total() >= self._web.live_max_sessions:
            raise LiveBusy("the server has as many live views open as it serves; try again shortly")
        self._opening[user_name] += 1
        try:
            return await self._open_view(camera_id, stream, offer_sdp, user_name)
        finally:
            self._opening[user_name] -= 1
            if self._opening[user_name] <= 0:
                del self._opening[user_name]

    async def _open_view(self, camera_id: str, stream: str, offer_sdp: str, user_name: str) -> ViewerSession:
        if self._configuration is None:
            self._configuration = ice.configure(self._web)
        self._loop = asyncio.get_running_loop()
        names = self._hub.stream_names(camera_id)
        stream = stream if stream in names else names[0]
        facts = await self._wait_for_facts(camera_id, stream)
        mode: Mode = "passthrough" if facts is None or facts.passthrough_ok else "transcoded"
        view_id = secrets.token_urlsafe(16)
        # One subscriber name per viewer: ingest reports drops per name (CameraStatus streams[].drops).
        subscription = self._subscribe(camera_id, stream, mode, names, f"live-{view_id[:8]}")
        track = PacketTrack(subscription)
        pc = RTCPeerConnection(self._configuration)
        session = ViewerSession(camera_id, stream, mode, user_name, pc, track, id=view_id)
        try:
            session.answer_sdp = await self._answer(pc, track, offer_sdp)
        except Exception:
            await session.close()
            self._release_transcoder(camera_id)
            raise
        self._sessions[session.id] = session

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.close_view(session.id)

        self._spawn(self._close_if_never_connected(session))
        log.info("live view %s opened: %s/%s %s by %s", session.id, camera_id, stream, mode, user_name)
        return session

    async def close_view(self, session_id: str) -> bool:
        session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        await session.close()
        self._release_transcoder(session.camera_id)
        log.info("live view %s closed", session_id)
        return True

    async def close(self) -> None:
        for session_id in list(self._sessions):
            await self.close_view(session_id)
        for task in list(self._tasks):
            task.cancel()
        for transcoder in list(self._transcoders.values()):
            await asyncio.to_thread(transcoder.stop)
        self._transcoders.clear()

    async def close_camera(self, camera_id: str) -> int:
        """End every view of one camera (its streams stop or move); the browser's tile retries."""
        ids = [sid for sid, session in self._sessions.items() if session.camera_id == camera_id]
        for session_id in ids:
            await self.close_view(session_id)
        transcoder = self._transcoders.pop(camera_id, None)
        if transcoder is not None:
            await asyncio.to_thread(transcoder.stop)
        if ids:
            log.info("live: closed %d view(s) of camera %s", len(ids), camera_id)
        return len(ids)

    # --- wawai.stage.CameraListener: called from the runtime's worker thread ------------------------

    def camera_added(self, camera: CameraConfig) -> None:
        """Nothing to do: views open on demand."""

    def camera_changed(self, old: CameraConfig, new: CameraConfig) -> None:
        """Live fields (name, rules...) do not touch the video: the views go on."""

    def camera_removed(self, camera_id: str) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(self.close_camera(camera_id), loop)
        try:
            future.result(timeout=10)
        except Exception:
            log.exception("live: closing the views of camera %s failed", camera_id)

    async def _wait_for_facts(self, camera_id: str, stream: str) -> StreamFacts | None:
        # A camera still connecting has no facts yet; wait a little so the right path is chosen.
        loop = asyncio.get_running_loop()
        end = loop.time() + self._facts_wait
        while (facts := self._hub.facts(camera_id, stream)) is None and loop.time() < end:
            await asyncio.sleep(0.1)
        return facts

    def _subscribe(
        self, camera_id: str, stream: str, mode: Mode, names: list[str], name: str
    ) -> PacketSubscription:
        if mode == "passthrough":
            return self._hub.subscribe_packets(
                camera_id, stream, name=name, maxsize=VIEWER_QUEUE, with_current_gop=self._instant_start,
                drop_gops=True,
            )
        transcoder = self._transcoders.get(camera_id)
        if transcoder is None:
            # The sub stream is cheaper to decode; full screen on a transcoded camera shows the same.
            source = "sub" if "sub" in names else names[0]
            facts = self._hub.facts(camera_id, source)
            transcoder = SharedTranscoder(
                self._hub, camera_id, source, max_width=self._transcode_width,
                fps=(facts.fps if facts and facts.fps else 15.0),
            )
            transcoder.start()
            self._transcoders[camera_id] = transcoder
        return transcoder.subscribe(name, VIEWER_QUEUE)

    def _release_transcoder(self, camera_id: str) -> None:
        transcoder = self._transcoders.get(camera_id)
        if transcoder is not None and transcoder.viewers() == 0:
            del self._transcoders[camera_id]
            self._spawn(asyncio.to_thread(transcoder.stop))

    async def _answer(self, pc: RTCPeerConnection, track: PacketTrack, offer_sdp: str) -> str:
        # The transceiver exists before the offer is applied so the offer's video section binds to it
        # with H.264 as its only codec (aiortc fixes codecs while applying the offer; never VP8 here).
        transceiver = pc.addTransceiver(track, direction="sendonly")
        codecs = RTCRtpSender.getCapabilities("video").codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType in ("video/H264", "video/rtx")])
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        except InvalidStateError:
            raise
        except (ValueError, KeyError, IndexError, OperationError) as exc:
            raise OfferError(f"not a usable offer (recvonly video with H.264 is needed): {exc}") from exc
        if transceiver.mid is None:
            raise OfferError("the offer has no video section")
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        return str(pc.localDescription.sdp)

    async def _close_if_never_connected(self, session: ViewerSession) -> None:
        await asyncio.sleep(self._connect_timeout)
        if session.id in self._sessions and session.pc.connectionState != "connected":
            log.info("live view %s never connected; closing it", session.id)
            await self.close_view(session.id)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
