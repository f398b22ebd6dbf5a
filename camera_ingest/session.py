"""One stream URL, opened once: a reader thread that connects, reads, reconnects and fans out.

The reader turns demuxer packets into whole pictures (``PictureAssembler``) on a timeline that never
goes backwards (``TimestampRebaser``), measures the stream, and publishes each packet to the
subscribers through ``PacketFanout``. A file path is read at its own rate and, when asked, loops.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction

import av
import av.container
import av.stream

from camera_ingest.fanout import PacketFanout
from camera_ingest.frames import FrameProducer
from camera_ingest.health import Backoff, StreamMeter
from camera_ingest.packets import PictureAssembler, RawPacket, TimestampRebaser, rescale, to_seconds
from camera_ingest.source import (
    SourceError,
    Timeouts,
    describe_error,
    is_file,
    open_source,
    wait_for_restart,
)
from wawai.logs import mask_url
from wawai.media import CodecParams, MediaPacket, StreamFacts
from wawai.status import CameraState, StreamStats

log = logging.getLogger(__name__)

VIDEO_TIME_BASE = Fraction(1, 90000)  # the RTP clock; files are rescaled onto it


class EndOfStream(Exception):
    """The source ended (a server closing the connection, or the end of a file)."""


def video_params(stream: av.stream.Stream, time_base: Fraction) -> CodecParams:
    ctx = stream.codec_context
    return CodecParams(
        kind="video",
        codec=ctx.name,
        time_base=time_base,
        extradata=bytes(ctx.extradata) if ctx.extradata else None,
        width=int(getattr(ctx, "width", 0) or 0),
        height=int(getattr(ctx, "height", 0) or 0),
        profile=ctx.profile,
        has_b_frames=bool(getattr(ctx, "has_b_frames", False)),
    )


def audio_params(stream: av.stream.Stream) -> CodecParams:
    ctx = stream.codec_context
    return CodecParams(
        kind="audio",
        codec=ctx.name,
        time_base=stream.time_base or Fraction(1, int(getattr(ctx, "sample_rate", 0) or 48000)),
        extradata=bytes(ctx.extradata) if ctx.extradata else None,
        profile=ctx.profile,
        sample_rate=int(getattr(ctx, "sample_rate", 0) or 0),
        channels=int(getattr(ctx, "channels", 0) or 0),
    )


class StreamSession:
    def __init__(
        self,
        url: str,
        *,
        camera_id: str,
        stream: str,
        loop: bool,
        stall_seconds: float,
        on_change: Callable[[StreamSession], None],
    ) -> None:
        self.url = url
        self.camera_id = camera_id
        self.stream = stream
        self.loop = loop
        self.stall_seconds = stall_seconds
        self.fanout = PacketFanout()
        self.frames = FrameProducer(camera_id, stream, self.fanout)
        self._on_change = on_change
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stats = StreamStats()
        self._video: CodecParams | None = None
        self._audio: CodecParams | None = None
        self._meter = StreamMeter()
        self._video_rebaser = TimestampRebaser(VIDEO_TIME_BASE, default_step=3000)
        self._audio_rebaser: TimestampRebaser | None = None
        self._last_packet_monotonic: float | None = None
        self._connected_at: float | None = None
        self._max_pts: int | None = None
        self._last_source_dts: int | None = None
        self._pacer = FilePacer(self._stop)

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name=f"ingest-{self.camera_id}-{self.stream}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the reader to end; a blocked read ends within its read timeout."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return False
        self.frames.stop()
        self.fanout.close_all()
        return True

    @property
    def timeouts(self) -> Timeouts:
        # A frozen server shows only through the read timeout, after about twice its value.
        return Timeouts(open=max(self.stall_seconds, 2.0), read=max(self.stall_seconds / 2, 1.0))

    # --- what others read -----------------------------------------------------------------------

    def stats(self) -> StreamStats:
        fps, bitrate = self._meter.figures()
        with self._lock:
            stats = replace(self._stats, drops=dict(self._stats.drops))
        if stats.state == CameraState.ONLINE:
            stats.fps, stats.bitrate_kbps = fps, bitrate
        stats.keyframe_interval = self._meter.keyframe_interval
        stats.drops = {**self.fanout.drops(), **self.frames.drops()}
        return stats

    def facts(self) -> StreamFacts | None:
        with self._lock:
            video, audio = self._video, self._audio
        if video is None:
            return None
        fps, _ = self._meter.figures()
        return StreamFacts(video=video, audio=audio, fps=fps, keyframe_interval=self._meter.keyframe_interval)

    def check_stall(self, now_monotonic: float) -> None:
        """Called by the hub's watchdog: an open socket without data is offline after stall_seconds."""
        with self._lock:
            last = self._last_packet_monotonic
            online = self._stats.state == CameraState.ONLINE
        if online and last is not None and now_monotonic - last > self.stall_seconds:
            self._set_state(CameraState.OFFLINE, f"no data for {self.stall_seconds:g} s (stream stalled)")

    # --- the reader thread ----------------------------------------------------------------------

    def _set_state(self, state: CameraState, error: str | None = None) -> None:
        with self._lock:
            stats = self._stats
            changed = stats.state != state or (error is not None and stats.last_error != error)
            stats.state = state
            if error is not None:
                stats.last_error = error
            if state == CameraState.ONLINE:
                stats.online_since = stats.online_since if not changed else time.time()
            else:
                stats.online_since = None
        if changed:
            if state == CameraState.ONLINE:
                log.info("camera %s/%s online (%s)", self.camera_id, self.stream, mask_url(self.url))
            else:
                log.warning("camera %s/%s %s: %s", self.camera_id, self.stream, state, error)
            try:
                self._on_change(self)
            except Exception:  # a failing listener must not stop this camera's reader
                log.exception("camera %s/%s: status listener failed", self.camera_id, self.stream)

    def _run(self) -> None:
        backoff = Backoff()
        reconnecting = False  # a connection attempt after a lost or failed one (file loops do not count)
        while not self._stop.is_set():
            if reconnecting:
                with self._lock:
                    self._stats.reconnects += 1
            reconnecting = True
            self._connected_at = None
            refused = permanent = False
            try:
                self._read_once()
                if self._stop.is_set():
                    break
                if is_file(self.url):
                    if self.loop:
                        backoff.reset()
                        reconnecting = False
                        continue  # a loop is not a fault: go round at once
                    self._set_state(CameraState.OFFLINE, "end of file")
                    break
                raise EndOfStream("the server closed the stream (end of stream)")
            except (SourceError, EndOfStream) as exc:
                refused = isinstance(exc, SourceError) and exc.refused
                permanent = isinstance(exc, SourceError) and exc.permanent
                reason = exc.reason if isinstance(exc, SourceError) else str(exc)
                self._set_state(CameraState.ERROR if permanent else CameraState.OFFLINE, reason)
            except Exception as exc:  # a bug or an unexpected FFmpeg fault must not end the camera
                log.exception("camera %s/%s: reader failed", self.camera_id, self.stream)
                self._set_state(CameraState.OFFLINE, describe_error(exc, self.url).reason)
            connected_at = self._connected_at
            backoff.connection_ended(None if connected_at is None else time.monotonic() - connected_at)
            delay = backoff.next_delay()
            if is_file(self.url) or permanent:
                self._stop.wait(delay)  # a person must fix it; the schedule alone paces the retries
            elif wait_for_restart(self.url, delay, self._stop, seen_down=refused):
                backoff.reset()  # the camera restarted: a failure now is a new outage, not the same one

    def _read_once(self) -> None:
        container = open_source(self.url, self.timeouts)
        try:
            self._read_container(container)
        except av.error.EOFError:
            return
        except (av.error.FFmpegError, OSError) as exc:
            raise describe_error(exc, self.url) from None
        finally:
            container.close()

    def _read_container(self, container: av.container.InputContainer) -> None:
        if not container.streams.video:
            raise SourceError(f"not a video stream: no video track in {mask_url(self.url)}", permanent=True)
        video = container.streams.video[0]
        if video.codec_context.name not in ("h264", "hevc"):
            raise SourceError(
                f"unsupported video codec {video.codec_context.name} (H.264 or H.265 expected)",
                permanent=True,
            )
        audio = next((s for s in container.streams.audio if s.codec_context.name), None)
        video_tb = video.time_base or VIDEO_TIME_BASE
        if video_tb == VIDEO_TIME_BASE:
            video_tb = VIDEO_TIME_BASE  # the same object: rescaling per picture becomes an identity check
        with self._lock:
            params = video_params(video, VIDEO_TIME_BASE)
            if self._video is not None and self._video.has_b_frames:
                params = replace(params, has_b_frames=True)
            self._video = params
            self._audio = audio_params(audio) if audio is not None else None
            self._stats.codec, self._stats.profile = params.codec, params.profile
            self._stats.width, self._stats.height = params.width, params.height
            self._stats.audio_codec = self._audio.codec if self._audio else None
            self._stats.b_frames = params.has_b_frames
        if self._audio is not None and (
            self._audio_rebaser is None or self._audio_rebaser.time_base != self._audio.time_base
        ):
            self._audio_rebaser = TimestampRebaser(self._audio.time_base, default_step=1024)
        self._video_rebaser.discontinuity()
        if self._audio_rebaser is not None:
            self._audio_rebaser.discontinuity()
        self.fanout.discontinuity()
        self._max_pts = None
        self._last_source_dts = None
        assembler = PictureAssembler()
        pacer = self._pacer if is_file(self.url) else None
        if pacer is not None:
            pacer.new_pass()
        streams = [video] if audio is None else [video, audio]
        for packet in container.demux(streams):
            if self._stop.is_set():
                return
            if packet.size == 0:
                continue
            now = time.time()
            self._mark_alive()
            if packet.stream is video:
                raw = RawPacket(
                    bytes(packet), packet.pts, packet.dts, packet.is_keyframe, packet.duration or 0, now
                )
                for picture in assembler.feed(raw):
                    self._deliver_video(picture, video_tb, pacer)
            elif audio is not None and packet.pts is not None and self._audio is not None:
                self._emit_audio(packet, now)
        last = assembler.flush()
        if last is not None:
            self._deliver_video(last, video_tb, pacer)

    def _deliver_video(self, picture: RawPacket, source_tb: Fraction, pacer: FilePacer | None) -> None:
        if pacer is not None:
            pacer.wait_for(picture, source_tb)
            picture = replace(picture, wallclock=time.time())  # sent now, as a camera would
        self._emit_video(picture, source_tb)

    def _mark_alive(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._last_packet_monotonic = now
            self._stats.last_packet_at = time.time()
            state = self._stats.state
        if self._connected_at is None:
            self._connected_at = now
        if state != CameraState.ONLINE:
            self._set_state(CameraState.ONLINE)

    def _emit_video(self, picture: RawPacket, source_tb: Fraction) -> None:
        assert picture.pts is not None
        params = self._video
        assert params is not None
        dts = picture.dts if picture.dts is not None else self._guess_dts(picture)
        self._last_source_dts = dts
        if self._max_pts is not None and picture.pts < self._max_pts and not params.has_b_frames:
            # Pictures arrive out of presentation order: the stream has B-frames.
            params = replace(params, has_b_frames=True)
            with self._lock:
                self._video = params
                self._stats.b_frames = True
        self._max_pts = picture.pts if self._max_pts is None else max(self._max_pts, picture.pts)
        pts, dts = self._video_rebaser.rebase(picture.pts, dts, source_tb, picture.wallclock)
        packet = MediaPacket(
            kind="video",
            data=picture.data,
            pts=pts,
            dts=dts,
            time_base=VIDEO_TIME_BASE,
            keyframe=picture.keyframe,
            params=params,
            wallclock=picture.wallclock,
            duration=rescale(picture.duration, source_tb, VIDEO_TIME_BASE),
        )
        pts_seconds = to_seconds(pts, VIDEO_TIME_BASE)  # == packet.pts_seconds, without a Fraction
        self._meter.add_picture(picture.wallclock, len(picture.data), picture.keyframe, pts_seconds)
        self.fanout.publish(packet)

    def _guess_dts(self, picture: RawPacket) -> int:
        """RTP carries no DTS: FFmpeg leaves it unset until it has seen the reorder delay."""
        assert picture.pts is not None
        last = self._last_source_dts
        if last is None:
            return picture.pts
        return max(last + 1, min(picture.pts, last + max(picture.duration, 1)))

    def _emit_audio(self, packet: av.Packet, wallclock: float) -> None:
        params, rebaser = self._audio, self._audio_rebaser
        assert params is not None and rebaser is not None and packet.pts is not None
        source_tb = packet.time_base or params.time_base
        dts = packet.dts if packet.dts is not None else packet.pts
        pts, dts = rebaser.rebase(packet.pts, dts, source_tb, wallclock)
        self.fanout.publish(
            MediaPacket(
                kind="audio",
                data=bytes(packet),
                pts=pts,
                dts=dts,
                time_base=rebaser.time_base,
                keyframe=True,
                params=params,
                wallclock=wallclock,
                duration=round((packet.duration or 0) * source_tb / rebaser.time_base),
            )
        )


class FilePacer:
    """Releases a file's pictures at the file's own rate, as a camera would send them.

    One pacer lives across a file's loops: ``new_pass()`` places the next pass's first picture one
    frame after the last one, so looping does not show as a burst or a pause.
    """

    MAX_SLEEP = 1.0  # a jump in the file's timestamps must not freeze the stream

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._origin: tuple[float, float] | None = None  # (monotonic, media seconds)
        self._last: tuple[float, float] | None = None  # the last picture: (due monotonic, media seconds)
        self._step = 0.0

    def new_pass(self) -> None:
        self._origin = None

    def wait_for(self, picture: RawPacket, time_base: Fraction) -> None:
        stamp = picture.dts if picture.dts is not None else picture.pts
        if stamp is None:
            return
        media = float(stamp * time_base)
        now = time.monotonic()
        if self._last is not None and media > self._last[1]:
            self._step = media - self._last[1]
        if self._origin is None:
            start = now if self._last is None else max(now, self._last[0] + self._step)
            self._origin = (start, media)
        due = self._origin[0] + (media - self._origin[1])
        delay = due - now
        if delay > self.MAX_SLEEP or delay < -self.MAX_SLEEP:
            self._origin, due, delay = (now, media), now, 0.0  # re-anchor after a jump or a long stall
        self._last = (due, media)
        if delay > 0:
            self._stop.wait(delay)
