"""Decoded BGR frames for frame subscribers (analytics), produced only while one exists.

A decoder thread reads the stream's packets through its own GOP-dropping subscription, so slow
decoding never holds up the camera or the packet subscribers; it decodes every picture (P-frames
need their references) but converts to BGR and resizes only the pictures a subscriber is due.

Keyframes only: while every subscriber of a stream asks for keyframes only (analytics does when the
scene is quiet), the decoder decodes just the keyframes and keeps the rest of the GOP undecoded. When a
subscriber asks for every picture again, the kept packets are decoded first (without conversion), so
full-rate frames resume at once instead of at the next keyframe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import cast

import av
import av.video.codeccontext
import cv2

from camera_ingest.fanout import PacketFanout, PacketSubscriptionHandle
from wawai.media import BGRImage, CodecParams, MediaPacket, VideoFrame
from wawai.queues import Closed, DropQueue

log = logging.getLogger(__name__)

VideoDecoder = av.video.codeccontext.VideoCodecContext

TIMESTAMP_TOLERANCE = 0.002  # seconds
DECODER_QUEUE = 300  # packets; a decoder this far behind skips to the next keyframe


class FrameSubscriptionHandle:
    def __init__(
        self,
        name: str,
        fps: float,
        max_width: int,
        maxsize: int,
        on_close: Callable[[FrameSubscriptionHandle], None],
    ) -> None:
        if fps <= 0:
            raise ValueError("fps must be greater than 0")
        self.name = name
        self.fps = fps
        self.max_width = max_width
        self.queue: DropQueue[VideoFrame] = DropQueue(maxsize)
        self._on_close = on_close
        self._next_due: float | None = None
        self._seq = 0
        self.keyframes_only = False

    def set_keyframes_only(self, enabled: bool) -> None:
        """Ask for keyframes only (cheap: the decoder skips the rest) or for every due picture."""
        self.keyframes_only = enabled

    def due(self, pts_seconds: float) -> bool:
        """Whether the picture at ``pts_seconds`` is this subscriber's next one (keeps its rate)."""
        period = 1.0 / self.fps
        next_due = self._next_due
        # The tolerance absorbs timestamp rounding (90 kHz ticks) so a 15 fps stream gives exactly 5 fps.
        if next_due is not None and next_due - 2 * period <= pts_seconds < next_due - TIMESTAMP_TOLERANCE:
            return False
        if next_due is None or abs(pts_seconds - next_due) > period:
            self._next_due = pts_seconds + period  # first picture, or far off the schedule: restart it
        else:  # on schedule: no drift from rounding to pictures; slots already passed are skipped
            next_due += period
            while next_due <= pts_seconds + TIMESTAMP_TOLERANCE:
                next_due += period
            self._next_due = next_due
        return True

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def close(self) -> None:
        self.queue.close()
        self._on_close(self)


def resize_to_width(image: BGRImage, max_width: int) -> BGRImage:
    height, width = image.shape[:2]
    if width <= max_width:
        return image
    new_height = max(1, round(height * max_width / width))
    resized = cv2.resize(image, (max_width, new_height), interpolation=cv2.INTER_AREA)
    return cast(BGRImage, resized)


class FrameProducer:
    def __init__(self, camera_id: str, stream: str, fanout: PacketFanout) -> None:
        self.camera_id = camera_id
        self.stream = stream
        self._fanout = fanout
        self._lock = threading.Lock()
        self._subscribers: list[FrameSubscriptionHandle] = []
        self._thread: threading.Thread | None = None
        self._packets: PacketSubscriptionHandle | None = None
        self.decode_errors = 0
        self.decoded = 0  # pictures fed to the decoder (keyframe mode skips the others)

    def subscribe(self, name: str, *, fps: float, max_width: int, maxsize: int) -> FrameSubscriptionHandle:
        handle = FrameSubscriptionHandle(name, fps, max_width, maxsize, self._remove)
        with self._lock:
            self._subscribers.append(handle)
            if self._thread is None:
                self._start_locked()
        return handle

    def _start_locked(self) -> None:
        packets = self._fanout.subscribe(
            f"decoder:{self.camera_id}", maxsize=DECODER_QUEUE, with_current_gop=True, drop_gops=True
        )
        thread = threading.Thread(
            target=self._run, args=(packets,), name=f"decode-{self.camera_id}-{self.stream}", daemon=True
        )
        self._packets, self._thread = packets, thread
        thread.start()

    def _remove(self, handle: FrameSubscriptionHandle) -> None:
        thread = None
        with self._lock:
            if handle in self._subscribers:
                self._subscribers.remove(handle)
            if not self._subscribers and self._packets is not None:
                self._packets.close()  # the decoder thread sees Closed and ends
                thread, self._thread, self._packets = self._thread, None, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def stop(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for handle in subscribers:
            handle.close()

    def drops(self) -> dict[str, int]:
        with self._lock:
            return {handle.name: handle.queue.dropped for handle in self._subscribers}

    def keyframes_only(self) -> bool:
        """Whether every subscriber wants keyframes only (then non-key pictures are not decoded)."""
        with self._lock:
            return bool(self._subscribers) and all(h.keyframes_only for h in self._subscribers)

    def _run(self, packets: PacketSubscriptionHandle) -> None:
        decoder: VideoDecoder | None = None
        params: CodecParams | None = None
        undecoded: list[MediaPacket] = []  # pictures since the last keyframe, skipped in keyframe mode
        while True:
            try:
                packet = packets.queue.get(timeout=1.0)
            except Closed:
                return
            if packet is None or packet.kind != "video":
                continue
            if decoder is None or packet.params != params:
                if not packet.keyframe:
                    continue
                decoder, params = _new_decoder(packet.params), packet.params
                undecoded.clear()
            if packet.keyframe:
                undecoded.clear()
            elif self.keyframes_only():
                if len(undecoded) < DECODER_QUEUE:
                    undecoded.append(packet)
                else:  # a GOP longer than this: give up catching up, wait for the next keyframe
                    decoder = None
                continue
            elif undecoded:
                for skipped in undecoded:  # catch up: the references of this picture, not delivered
                    self._decode(decoder, skipped, deliver=False)
                undecoded.clear()
            self._decode(decoder, packet)

    def _decode(self, decoder: VideoDecoder, packet: MediaPacket, *, deliver: bool = True) -> None:
        av_packet = av.Packet(packet.data)
        av_packet.pts, av_packet.dts = packet.pts, packet.dts
        av_packet.time_base = packet.time_base
        self.decoded += 1
        try:
            frames = decoder.decode(av_packet)
        except av.error.FFmpegError as exc:
            self.decode_errors += 1
            log.debug("camera %s: decode error: %s", self.camera_id, exc)
            return
        if not deliver:
            return
        for frame in frames:
            pts_seconds = float(frame.pts * packet.time_base) if frame.pts is not None else packet.pts_seconds
            with self._lock:
                due = [handle for handle in self._subscribers if handle.due(pts_seconds)]
            if not due:
                continue
            image = cast(BGRImage, frame.to_ndarray(format="bgr24"))
            sized: dict[int, BGRImage] = {}
            for handle in due:
                if handle.max_width not in sized:
                    sized[handle.max_width] = resize_to_width(image, handle.max_width)
                handle.queue.put(
                    VideoFrame(
                        camera_id=self.camera_id,
                        stream=self.stream,
                        image=sized[handle.max_width],
                        pts_seconds=pts_seconds,
                        wallclock=packet.wallclock,
                        seq=handle.next_seq(),
                    )
                )


def _new_decoder(params: CodecParams) -> VideoDecoder:
    decoder = cast(VideoDecoder, av.CodecContext.create(params.codec, "r"))
    if params.extradata:
        decoder.extradata = params.extradata
    decoder.thread_count = 1  # many cameras: one thread each is cheaper and adds no frame delay
    return decoder
