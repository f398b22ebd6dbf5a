"""The relay answered by a real aiortc client: passthrough, instant start, the shared transcoder, cleanup."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from tests.live.clip_hub import ClipHub
from tests.live.loop import run_fresh
from wawai.config.schema import WebSection
from webui.live import LiveRelay, OfferError, ice


class Viewer:
    """An aiortc peer playing the browser's part: offers recvonly video, decodes what arrives."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTransceiver("video", direction="recvonly")
        self.frames: list[tuple[float, int, int]] = []  # (arrival, width, height)
        self._tasks: list[asyncio.Task[None]] = []

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._tasks.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.frames.append((time.monotonic(), frame.width, frame.height))  # type: ignore[union-attr]

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def wait_frames(self, count: int, timeout: float = 15) -> None:
        end = time.monotonic() + timeout
        while len(self.frames) < count and time.monotonic() < end:
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()


Body = Callable[[LiveRelay, ClipHub], Awaitable[None]]


def with_relay(clips: dict[str, Path], body: Body, web: WebSection | None = None) -> None:
    """Run ``body`` against a relay over a real-time clip hub, on a fresh event loop (no pytest-asyncio)."""

    async def main() -> None:
        ice.install_host_addresses([])  # the client peer here runs on the same aioice: offer loopback too
        hub = ClipHub(clips)
        relay = LiveRelay(hub, web or WebSection(), connect_timeout=10)
        try:
            await asyncio.sleep(1.5)  # the clips run, so a GOP is in progress when the viewer comes
            await body(relay, hub)
        finally:
            await relay.close()
            hub.close()

    run_fresh(main())


async def watch(relay: LiveRelay, camera: str, frames: int = 20) -> tuple[Viewer, str, float]:
    viewer = Viewer()
    started = time.monotonic()
    session = await relay.open_view(camera, "main", await viewer.offer(), "tester")
    await viewer.accept(session.answer_sdp)
    await viewer.wait_frames(frames)
    first = viewer.frames[0][0] - started if viewer.frames else float("inf")
    return viewer, session.id, first


def test_passthrough_plays_the_camera_h264_and_starts_with_the_current_gop(h264_clip: Path) -> None:
    async def body(relay: LiveRelay, hub: ClipHub) -> None:
        viewer, session_id, first = await watch(relay, "cam")
        session = relay.session(session_id)
        assert session is not None and session.mode == "passthrough"
        assert len(viewer.frames) >= 20
        assert viewer.frames[-1][1:] == (640, 480)
        # The clip's keyframes are 2 s apart; the kept GOP gives a picture well before the next one.
        assert first < 1.5, f"first frame after {first:.2f} s"
        assert "a=rtpmap" in session.answer_sdp and "H264" in session.answer_sdp
        await viewer.close()

    with_relay({"cam": h264_clip}, body)


def test_b_frames_and_hevc_go_through_one_shared_transcoder(bframe_clip: Path, hevc_clip: Path) -> None:
    async def body(relay: LiveRelay, hub: ClipHub) -> None:
        for camera in ("bframes", "hevc"):
            facts = hub.facts(camera)
            assert facts is not None and not facts.passthrough_ok
        viewers = []
        for camera in ("bframes", "hevc", "hevc"):
            viewer, session_id, _ = await watch(relay, camera, frames=10)
            session = relay.session(session_id)
            assert session is not None and session.mode == "transcoded"
            assert len(viewer.frames) >= 10, camera
            viewers.append((viewer, session_id))
        stats = relay.stats()
        assert stats["transcoders"] == 2 and stats["transcoded_viewers"] == 3
        assert hub.viewers() == 2  # one hub subscription per transcoded camera, not per viewer
        for viewer, session_id in viewers:
            await relay.close_view(session_id)
            await viewer.close()
        assert relay.stats()["transcoders"] == 0

    with_relay({"bframes": bframe_clip, "hevc": hevc_clip}, body)


def test_viewers_leaving_release_their_subscriptions(h264_clip: Path) -> None:
    async def body(relay: LiveRelay, hub: ClipHub) -> None:
        threads_before = threading.active_count()
        for _ in range(5):
            viewer, session_id, _ = await watch(relay, "cam", frames=2)
            assert hub.viewers() == 1
            assert await relay.close_view(session_id)
            await viewer.close()
        await asyncio.sleep(0.5)
        assert hub.viewers() == 0
        assert relay.stats()["sessions"] == 0
        assert threading.active_count() <= threads_before + 1

    with_relay({"cam": h264_clip}, body)


def test_an_offer_without_video_is_refused(h264_clip: Path) -> None:
    async def body(relay: LiveRelay, hub: ClipHub) -> None:
        pc = RTCPeerConnection()
        pc.addTransceiver("audio", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        with pytest.raises(OfferError):
            await relay.open_view("cam", "main", pc.localDescription.sdp, "tester")
        with pytest.raises(OfferError):
            await relay.open_view("cam", "main", "not sdp", "tester")
        await pc.close()
        assert hub.viewers() == 0

    with_relay({"cam": h264_clip}, body)


def test_udp_port_range_and_loopback_are_offered(h264_clip: Path) -> None:
    async def body(relay: LiveRelay, hub: ClipHub) -> None:
        viewer, session_id, _ = await watch(relay, "cam", frames=2)
        session = relay.session(session_id)
        assert session is not None
        lines = session.answer_sdp.splitlines()
        candidates = [line.split() for line in lines if line.startswith("a=candidate")]
        assert any(parts[4] == "127.0.0.1" for parts in candidates)
        assert all(41000 <= int(parts[5]) <= 41100 for parts in candidates)
        await viewer.close()

    with_relay({"cam": h264_clip}, body, WebSection(udp_ports=(41000, 41100)))


def test_a_slow_viewer_restarts_at_a_keyframe_after_its_queue_overflows() -> None:
    from fractions import Fraction

    from wawai.media import CodecParams, MediaPacket
    from webui.live.fanout import GopFanout
    from webui.live.track import PacketTrack

    params = CodecParams(kind="video", codec="h264", time_base=Fraction(1, 90_000))

    def picture(n: int, key: bool) -> MediaPacket:
        data = b"\x00\x00\x00\x01" + (b"\x65" if key else b"\x41") + bytes([n])
        return MediaPacket("video", data, n, n, params.time_base, key, params)

    async def main() -> list[bytes]:
        fanout = GopFanout()
        subscription = fanout.subscribe("slow", maxsize=4)
        track = PacketTrack(subscription)
        fanout.publish(picture(0, key=True))
        sent = [bytes(await track.recv())]
        for n in range(1, 6):  # the rest of a long GOP overflows the 4-picture queue
            fanout.publish(picture(n, key=False))
        fanout.publish(picture(6, key=True))
        fanout.publish(picture(7, key=False))
        sent += [bytes(await track.recv()) for _ in range(2)]
        track.stop()
        return sent

    first, second, third = run_fresh(main())
    assert first[5] == 0
    assert second[4] == 0x65 and second[5] == 6  # on at the next keyframe, never a delta without its refs
    assert third[5] == 7


def test_a_slow_viewer_never_holds_up_another() -> None:
    from fractions import Fraction

    from wawai.media import CodecParams, MediaPacket
    from webui.live.fanout import GopFanout
    from webui.live.track import PacketTrack

    params = CodecParams(kind="video", codec="h264", time_base=Fraction(1, 90_000))

    async def main() -> tuple[list[int], PacketTrack]:
        fanout = GopFanout()
        fast = PacketTrack(fanout.subscribe("fast", maxsize=8))
        slow = PacketTrack(fanout.subscribe("slow", maxsize=8))  # never read, like a stuck browser
        seen = []
        for n in range(40):
            key = n % 5 == 0
            data = b"\x00\x00\x00\x01" + (b"\x65" if key else b"\x41") + bytes([n])
            fanout.publish(MediaPacket("video", data, n, n, params.time_base, key, params))
            seen.append(bytes(await fast.recv())[5])
        fast.stop()
        return seen, slow

    seen, slow = run_fresh(main())
    assert seen == list(range(40))  # every picture, in order, at once
    queue = slow._subscription.queue
    assert len(queue) <= 8 and queue.dropped >= 32  # the slow one dropped whole GOPs instead
    kept = queue.get(timeout=0)
    assert kept is not None and kept.keyframe  # and what it kept starts at a keyframe
    slow.stop()
