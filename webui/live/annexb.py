"""H.264 access units as RTP packetizers and browsers need them: Annex-B, parameter sets before each IDR.

Ingest hands packets as the demuxer gave them: Annex-B from RTSP, length-prefixed (AVCC) from MP4 files.
aiortc's packetizer splits on start codes, and a browser joining mid-stream can only decode an IDR that
comes with its SPS/PPS; cameras that send them only out of band (SDP sprop-parameter-sets) would
otherwise show nothing, so they are taken from the stream's extradata and put in front of keyframes.
"""

from __future__ import annotations

START_CODE = b"\x00\x00\x00\x01"
NAL_SPS = 7
NAL_PPS = 8


def is_annexb(data: bytes) -> bool:
    return data.startswith(START_CODE) or data.startswith(b"\x00\x00\x01")


def split_annexb(data: bytes) -> list[bytes]:
    """NAL units of an Annex-B buffer, without their start codes."""
    units: list[bytes] = []
    start = data.find(b"\x00\x00\x01")
    while start >= 0:
        start += 3
        end = data.find(b"\x00\x00\x01", start)
        # A 4-byte start code leaves its leading zero at the end of the previous unit.
        unit = data[start:] if end < 0 else data[start:end].rstrip(b"\x00")
        if unit:
            units.append(unit)
        start = end
    return units


def split_avcc(data: bytes, length_size: int = 4) -> list[bytes]:
    units: list[bytes] = []
    i = 0
    while i + length_size <= len(data):
        size = int.from_bytes(data[i : i + length_size], "big")
        i += length_size
        units.append(data[i : i + size])
        i += size
    return units


def parameter_sets(extradata: bytes | None) -> tuple[list[bytes], int]:
    """SPS/PPS NAL units in ``extradata`` (avcC record or Annex-B) and the AVCC length size."""
    if not extradata:
        return [], 4
    if is_annexb(extradata):
        return [u for u in split_annexb(extradata) if u[0] & 0x1F in (NAL_SPS, NAL_PPS)], 4
    if extradata[0] != 1 or len(extradata) < 7:
        return [], 4
    length_size = (extradata[4] & 0x03) + 1
    units: list[bytes] = []
    i = 5
    for kind_mask in (0x1F, None):  # SPS count is masked with 0x1F, PPS count is a plain byte
        if i >= len(extradata):
            break
        count = extradata[i] & kind_mask if kind_mask else extradata[i]
        i += 1
        for _ in range(count):
            size = int.from_bytes(extradata[i : i + 2], "big")
            i += 2
            units.append(extradata[i : i + size])
            i += size
    return units, length_size


class AnnexBWriter:
    """Turns one stream's packets into Annex-B access units, remembering its parameter sets."""

    def __init__(self) -> None:
        self._extradata: bytes | None = None
        self._param_sets: list[bytes] = []
        self._length_size = 4

    def __call__(self, data: bytes, keyframe: bool, extradata: bytes | None) -> bytes:
        if not keyframe and is_annexb(data):
            return data  # the common case, untouched
        if extradata != self._extradata:
            self._extradata = extradata
            self._param_sets, self._length_size = parameter_sets(extradata)
        units = split_annexb(data) if is_annexb(data) else split_avcc(data, self._length_size)
        if keyframe and self._param_sets:
            types = {unit[0] & 0x1F for unit in units}
            if NAL_SPS not in types or NAL_PPS not in types:
                units = self._param_sets + [u for u in units if u[0] & 0x1F not in (NAL_SPS, NAL_PPS)]
        return b"".join(START_CODE + unit for unit in units)
