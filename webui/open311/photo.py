"""The documented photo extension: JPEG or PNG only, size-limited, decoded to prove it is a picture.

The picture is re-encoded as JPEG before it is stored: that drops EXIF (a phone's GPS track, its
serial number: the reporter's personal data) and anything hidden after the image data. Dimensions are
read from the header first, so a small file that inflates to gigapixels is refused before decoding.
"""

from __future__ import annotations

import struct

import cv2
import numpy as np

from webui.open311.render import Open311Error

MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo; beyond that a "photo" is an attack
JPEG_QUALITY = 88
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker in (0xFF, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return int(width), int(height)
        at += 2 + length
    return None


def checked_photo(data: bytes, max_bytes: int) -> bytes:
    """The photo as a clean JPEG, or Open311Error(400) saying why it is refused."""
    if len(data) > max_bytes:
        raise Open311Error(400, f"photo is larger than {max_bytes} bytes")
    if data.startswith(_PNG):
        size = _png_size(data)
    elif data.startswith(b"\xff\xd8\xff"):
        size = _jpeg_size(data)
    else:
        raise Open311Error(400, "photo must be a JPEG or PNG image")
    if size is None or size[0] <= 0 or size[1] <= 0:
        raise Open311Error(400, "photo is not a readable JPEG or PNG image")
    if size[0] * size[1] > MAX_PIXELS:
        raise Open311Error(400, f"photo has more than {MAX_PIXELS // 1_000_000} megapixels")
    picture = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if picture is None:
        raise Open311Error(400, "photo is not a readable JPEG or PNG image")
    ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise Open311Error(400, "photo could not be stored as JPEG")
    return encoded.tobytes()
