"""The top-level boxes of a fragmented MP4: where the init part (ftyp + moov) ends and media begins.

Only box headers are read (8 or 16 bytes each, seeking past the bodies), so this costs a few small reads
per file however long it is. HLS serves a recorded segment as its init part (``EXT-X-MAP``) and the rest
(``EXT-X-BYTERANGE``), straight from the stored file.
"""

from __future__ import annotations

import struct
from pathlib import Path

MEDIA_BOXES = frozenset({b"moof", b"mdat", b"sidx", b"styp"})


def init_size(path: Path) -> int | None:
    """Bytes of the init part (everything before the first moof/mdat), or None if the file has no moov."""
    offset = 0
    seen_moov = False
    with path.open("rb") as handle:
        while True:
            header = handle.read(8)
            if len(header) < 8:
                return None
            size, kind = struct.unpack(">I4s", header)
            if kind in MEDIA_BOXES:
                return offset if seen_moov else None
            if size == 1:
                extended = handle.read(8)
                if len(extended) < 8:
                    return None
                size = struct.unpack(">Q", extended)[0]
            elif size == 0:
                return None  # a box running to the end of the file: no media after it
            if size < 8:
                return None
            seen_moov = seen_moov or kind == b"moov"
            offset += size
            handle.seek(offset)
