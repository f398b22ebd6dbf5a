"""Making the index and the disk agree at start, and repairing a segment cut short by a crash.

A segment is indexed when it is closed, so a file without a row is the one that was being written when
the process died (or was closed just before the row was written). Fragmented MP4 stays readable up to its
last complete fragment: such a file is remuxed (stream copy) into a clean file holding exactly those
fragments, then indexed. Rows whose file is gone are dropped.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import av
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recorder.paths import recordings_root, relative_to_storage, start_from_path
from recorder.segment_file import FRAGMENT_MICROSECONDS, MOVFLAGS, START_TAG
from wawai.db.recordings import RecordingSegment, delete_segments
from wawai.mp4_boxes import init_size

log = logging.getLogger(__name__)

REPAIR_SUFFIX = ".repair"


@dataclass(frozen=True, slots=True)
class RepairedFile:
    start: float
    end: float
    bytes: int
    codec: str


def _recorded_start(container: av.container.InputContainer) -> float | None:
    comment = container.metadata.get("comment", "")
    if comment.startswith(START_TAG):
        try:
            return float(comment[len(START_TAG):])
        except ValueError:
            return None
    return None


class CannotWrite(OSError):
    """The repaired copy could not be written (disk full, no permission): the original is kept as is."""


def repair_segment(path: Path, fallback_start: float) -> RepairedFile | None:
    """Rewrite ``path`` with every complete packet it holds; None (and the file deleted) if it holds none.

    Raises CannotWrite when the copy cannot be written; the original is then left untouched.
    """
    temp = path.with_name(path.stem + REPAIR_SUFFIX + path.suffix)
    try:
        source = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        log.warning("%s cannot be read (%s): deleted", path, exc)
        path.unlink(missing_ok=True)
        return None
    with source:
        start = _recorded_start(source) or fallback_start
        kept = [s for s in source.streams if s.type in ("video", "audio")]
        video = source.streams.video[0] if source.streams.video else None
        if video is None or video.time_base is None:
            log.warning("%s has no video stream: deleted", path)
            path.unlink(missing_ok=True)
            return None
        codec, time_base = video.codec_context.name, video.time_base
        first, last = _copy_packets(source, kept, video.index, temp, start)
    if first is None or last is None or last <= first:
        log.warning("%s holds no complete picture: deleted", path)
        temp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        return None
    os.replace(temp, path)
    duration = float((last - first) * time_base)
    return RepairedFile(start, start + duration, path.stat().st_size, codec)


def _copy_packets(source: av.container.InputContainer, kept: list[av.stream.Stream], video_index: int,
                  temp: Path, start: float) -> tuple[int | None, int | None]:
    """Stream-copy every readable packet into ``temp``; returns the video's first pts and last end."""
    first: int | None = None
    last: int | None = None
    packets = source.demux(kept)
    try:
        with av.open(str(temp), "w", format="mp4",
                     options={"movflags": MOVFLAGS, "frag_duration": str(FRAGMENT_MICROSECONDS)}) as out:
            out.metadata["comment"] = f"{START_TAG}{start:.6f}"
            mapping = {s.index: out.add_stream_from_template(s) for s in kept}
            while True:
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                except (av.FFmpegError, EOFError) as exc:
                    log.info("%s: reading stopped at a cut-off fragment (%s)", source.name, exc)
                    break
                if packet.dts is None or packet.pts is None:
                    continue
                if packet.is_corrupt:
                    break  # the sample the crash cut in half: the end of what is playable
                if packet.stream.index == video_index:
                    first = packet.pts if first is None else min(first, packet.pts)
                    end_pts = packet.pts + (packet.duration or 0)
                    last = end_pts if last is None else max(last, end_pts)
                packet.stream = mapping[packet.stream.index]
                out.mux(packet)
    except (av.FFmpegError, OSError) as exc:
        temp.unlink(missing_ok=True)
        raise CannotWrite(f"cannot write {temp.name}: {exc}") from exc
    return first, last


def reconcile(storage: Path, sessions: sessionmaker[Session], *, drop_missing: bool = True,
              node: str | None = None, shared_storage: bool = False) -> tuple[int, int]:
    """Index every segment file without a row (repairing it) and drop rows without a file.

    ``drop_missing=False`` on a cluster node: the index is shared and the other nodes' files are on
    their own storage, so a row without a file here is not this node's to drop. Files a cluster node
    indexes carry its name (``node``: web nodes fetch them from it); on shared storage a file without a
    row may be a segment another node is writing right now, so files are left alone there.
    Returns (files indexed, rows dropped).
    """
    root = recordings_root(storage)
    with sessions() as session:
        query = select(RecordingSegment.path, RecordingSegment.id)
        rows = {row.path: row.id for row in session.execute(query)}
    dropped = [row_id for rel, row_id in rows.items() if drop_missing and not (storage / rel).exists()]
    indexed = 0
    new_rows: list[RecordingSegment] = []
    files = sorted(root.rglob("*.mp4")) if root.exists() and not (node and shared_storage) else []
    for path in files:
        if path.stem.endswith(REPAIR_SUFFIX):
            path.unlink(missing_ok=True)  # a repair that was itself interrupted; the original is intact
            continue
        rel = relative_to_storage(storage, path)
        if rel in rows:
            continue
        parsed = start_from_path(storage, path)
        if parsed is None:
            continue
        camera_id, fallback_start = parsed
        try:
            repaired = repair_segment(path, fallback_start)
        except CannotWrite as exc:
            log.warning("%s left for the next start: %s", path, exc)
            continue
        if repaired is None:
            continue
        new_rows.append(RecordingSegment(camera_id=camera_id, start=repaired.start, end=repaired.end,
                                         duration=repaired.end - repaired.start, bytes=repaired.bytes,
                                         path=rel, codec=repaired.codec, init_bytes=init_size(path),
                                         node=node))
        indexed += 1
    with sessions() as session:
        delete_segments(session, dropped)
        session.add_all(new_rows)
        session.commit()
    if indexed or dropped:
        log.info("recordings reconciled: %d file(s) indexed after repair, %d row(s) without a file dropped",
                 indexed, len(dropped))
    return indexed, len(dropped)
