"""One small JPEG per segment, from its first keyframe, for the timeline's hover preview.

Only that keyframe is decoded (it is kept in memory when the segment opens, so the file is not read
back); nothing is encoded but the JPEG. ``bench/thumbnails.py`` measures the cost per camera.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import av
import cv2

from wawai.media import CodecParams

log = logging.getLogger(__name__)

WIDTH = 160
JPEG_QUALITY = 70


def thumbnail_path(segment: Path) -> Path:
    return segment.with_suffix(".jpg")


def write_thumbnail(params: CodecParams, keyframe: bytes, target: Path) -> bool:
    """Decode ``keyframe`` and write a ``WIDTH``-wide JPEG at ``target``; False (logged) if it cannot."""
    try:
        decoder = av.CodecContext.create(params.codec, "r")
        assert isinstance(decoder, av.VideoCodecContext)
        if params.extradata:
            decoder.extradata = params.extradata
        frames = [*decoder.decode(av.Packet(keyframe)), *decoder.decode(None)]
        if not frames:
            return False
        frame = frames[0]
        assert isinstance(frame, av.VideoFrame)
        height = max(2, round(WIDTH * frame.height / max(frame.width, 1) / 2) * 2)
        image = frame.reformat(width=WIDTH, height=height, format="bgr24").to_ndarray()
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            return False
        temp = target.with_suffix(".jpg.tmp")
        temp.write_bytes(encoded.tobytes())
        os.replace(temp, target)
        return True
    except (av.FFmpegError, OSError, ValueError, cv2.error) as exc:
        log.debug("no thumbnail for %s: %s", target.name, exc)
        return False
