"""HLS media playlists (version 7, fMP4) built from the segment index, never from the files on disk.

Every stored segment is its own fMP4 file whose timestamps start at zero, with its own init part. So each
one gets an ``EXT-X-MAP`` (the file's ftyp + moov, by byte range) and, from the second on, an
``EXT-X-DISCONTINUITY``: that is also exactly what a gap, a codec change or a picture size change needs,
so none of them can shift the time of what follows. ``EXT-X-PROGRAM-DATE-TIME`` on every segment gives
players the wall clock. ``EXT-X-ENDLIST`` only when the range is over; otherwise the playlist is an
EVENT playlist that grows as segments close, so "five minutes ago" catches up to now.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

MIME_TYPE = "application/vnd.apple.mpegurl"


@dataclass(frozen=True, slots=True)
class PlaylistEntry:
    start: float
    end: float
    bytes: int
    init_bytes: int
    uri: str  # the stored file, relative to the playlist


def program_date_time(moment: float) -> str:
    """UTC with milliseconds, as EXT-X-PROGRAM-DATE-TIME wants (2026-12-01T21:00:00.000Z)."""
    stamp = datetime.fromtimestamp(moment, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def build_playlist(entries: Sequence[PlaylistEntry], *, ended: bool) -> str:
    target = max((math.ceil(e.end - e.start) for e in entries), default=1)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{max(target, 1)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        f"#EXT-X-PLAYLIST-TYPE:{'VOD' if ended else 'EVENT'}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for number, entry in enumerate(entries):
        if number:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [
            f'#EXT-X-MAP:URI="{entry.uri}",BYTERANGE="{entry.init_bytes}@0"',
            f"#EXT-X-PROGRAM-DATE-TIME:{program_date_time(entry.start)}",
            f"#EXTINF:{entry.end - entry.start:.3f},",
            f"#EXT-X-BYTERANGE:{entry.bytes - entry.init_bytes}@{entry.init_bytes}",
            entry.uri,
        ]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"

