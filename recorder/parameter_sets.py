"""Parameter sets (SPS/PPS, and VPS for H.265) taken from a keyframe when the camera sent none out of band.

Some cameras leave ``sprop-parameter-sets`` out of their SDP and repeat the sets before each IDR instead;
the stream then has no extradata. MP4 needs them in its header (avcC/hvcC), which the muxer builds from
Annex-B extradata, so they are collected from the first keyframe of the segment.
"""

from __future__ import annotations

import re

_START_CODE = re.compile(b"\x00\x00\x01")
_H264_SETS = {7, 8}  # SPS, PPS
_HEVC_SETS = {32, 33, 34}  # VPS, SPS, PPS


def _nal_units(data: bytes) -> list[bytes]:
    starts = [m.end() for m in _START_CODE.finditer(data)]
    units = []
    for index, begin in enumerate(starts):
        end = starts[index + 1] - 3 if index + 1 < len(starts) else len(data)
        unit = data[begin:end].rstrip(b"\x00")  # a 4-byte start code leaves a zero on the previous unit
        if unit:
            units.append(unit)
    return units


def parameter_sets(keyframe: bytes, codec: str) -> bytes | None:
    """The keyframe's parameter sets as Annex-B extradata, or None (length-prefixed data, other codecs)."""
    if codec == "h264":
        wanted, kind = _H264_SETS, lambda unit: unit[0] & 0x1F
    elif codec == "hevc":
        wanted, kind = _HEVC_SETS, lambda unit: (unit[0] >> 1) & 0x3F
    else:
        return None
    if not keyframe.startswith((b"\x00\x00\x01", b"\x00\x00\x00\x01")):
        return None
    found = [unit for unit in _nal_units(keyframe) if kind(unit) in wanted]
    return b"".join(b"\x00\x00\x00\x01" + unit for unit in found) or None
