"""One small JPEG per stored segment, from its first keyframe, for the timeline's hover preview.

Made when someone first asks for it (``ensure_thumbnail``), not when the segment closes: decoding a 720p
keyframe costs about 25 ms of CPU, which per 10 s segment was 0.27 % of a core per camera, more than
ffmpeg spends recording the whole stream, and nearly all those thumbnails are never looked at. The JPEG
is kept beside the segment afterwards (retention deletes both). ``bench/thumbnails.py`` measures it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import av
import cv2

log = logging.getLogger(__name__)

WIDTH = 160
JPEG_QUALITY = 70


def thumbnail_path(segment: Path) -> Path:
    return segment.with_suffix(".jpg")


def ensure_thumbnail(segment: Path) -> Path | None:
    """The segment's thumbnail, made now if it does not exist yet; None (logged) if it cannot be made."""
    target = thumbnail_path(segment)
    if target.is_file():
        return target
    try:
        image = _first_picture(segment)
        if image is None:
            return None
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            return None
        _write_atomically(target, encoded.tobytes())
    except (av.FFmpegError, OSError, ValueError, cv2.error) as exc:
        log.debug("no thumbnail for %s: %s", segment.name, exc)
        return None
    if not segment.exists():  # retention deleted the segment meanwhile: leave no thumbnail behind it
        target.unlink(missing_ok=True)
        return None
    return target


def _first_picture(segment: Path) -> cv2.typing.MatLike | None:
    """The segment's first picture (it starts on a keyframe), ``WIDTH`` wide, as BGR.

    Only that keyframe is demuxed and decoded, by a decoder of its own with one thread: decoding through
    the container, or with worker threads, cost twice as much CPU for one picture."""
    with av.open(str(segment), "r") as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        keyframe = next((p for p in container.demux(stream) if p.size and p.is_keyframe), None)
        if keyframe is None:
            return None
        decoder = av.CodecContext.create(stream.codec_context.name, "r")
        assert isinstance(decoder, av.VideoCodecContext)
        decoder.thread_count = 1
        decoder.extradata = stream.codec_context.extradata
        frames = [*decoder.decode(keyframe), *decoder.decode(None)]
    frame = frames[0] if frames else None
    if not isinstance(frame, av.VideoFrame):
        return None
    height = max(2, round(WIDTH * frame.height / max(frame.width, 1) / 2) * 2)
    return frame.reformat(width=WIDTH, height=height, format="bgr24").to_ndarray()


def _write_atomically(target: Path, data: bytes) -> None:
    # A temp file of its own: two requests for the same thumbnail may make it at the same time.
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=target.stem, suffix=".jpg.tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
