"""A video track that hands the camera's compressed H.264 to aiortc, which packetizes it without encoding.

aiortc's sender packs an ``av.Packet`` as-is (``H264Encoder.pack``) when a track's ``recv`` returns one
instead of a decoded frame. The track reads one viewer's bounded queue; the queue belongs to that viewer
alone, so a slow viewer only drops its own GOPs.

RTP timestamps come from the moment a picture is sent, never from the camera: the replayed current GOP
(sent in one burst so a new viewer has a picture at once) is squeezed into a few milliseconds so the
browser catches up to live instead of staying a GOP behind, and a camera reconnect or a dropped GOP
shows up as a gap of real time. Both keep the timestamps monotonic for the browser's whole session.
"""

from __future__ import annotations

import time
from fractions import Fraction

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from wawai.hub import PacketSubscription
from wawai.media import MediaPacket
from wawai.queues import Closed
from webui.live.annexb import AnnexBWriter

RTP_CLOCK = 90_000
TIME_BASE = Fraction(1, RTP_CLOCK)
MIN_STEP = 90  # 1 ms: the smallest timestamp step, used for pictures sent back to back


class PacketTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, subscription: PacketSubscription) -> None:
        super().__init__()
        self._subscription = subscription
        self._annexb = AnnexBWriter()
        self._started_at = time.monotonic()
        self._last_ts = -MIN_STEP
        self._have_keyframe = False
        self._drops_seen = 0

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self._next_picture()
        ts = max(self._last_ts + MIN_STEP, round((time.monotonic() - self._started_at) * RTP_CLOCK))
        self._last_ts = ts
        out = av.Packet(self._annexb(packet.data, packet.keyframe, packet.params.extradata))
        out.pts = ts
        out.dts = ts
        out.time_base = TIME_BASE
        return out

    async def _next_picture(self) -> MediaPacket:
        while True:
            try:
                packet = await self._subscription.queue.get_async()
            except Closed:
                self.stop()
                raise MediaStreamError from None
            if packet.kind != "video":
                continue
            queue = self._subscription.queue
            if queue.dropped != self._drops_seen:
                # The queue dropped pictures (this viewer was slow): a decoder can only go on from the
                # next keyframe. GOP dropping usually leaves one at the front; an overflow with a single
                # GOP queued cannot, so look for it here.
                self._drops_seen = queue.dropped
                self._have_keyframe = False
            # A decoder can start only at a keyframe; the hub starts there, this guards the contract.
            if not self._have_keyframe and not packet.keyframe:
                continue
            self._have_keyframe = True
            return packet

    def stop(self) -> None:
        super().stop()
        self._subscription.close()

