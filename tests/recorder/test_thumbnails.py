"""Segment thumbnails: none while recording, made from the stored file at the first request, then kept."""

from __future__ import annotations

from pathlib import Path

import cv2

from recorder.segment_file import FinishedFile
from recorder.segmenter import Segmenter
from tests.recorder.clips import clip, media_packets
from wawai.thumbnails import WIDTH, ensure_thumbnail, thumbnail_path

START = 1_764_000_000.0


def record(storage: Path) -> list[FinishedFile]:
    done: list[FinishedFile] = []
    segmenter = Segmenter(storage, "gate-1", 10, done.append)
    for packet in media_packets(clip(), START):
        segmenter.feed(packet)
    segmenter.finish()
    return done


def test_recording_decodes_nothing_and_the_first_request_makes_the_thumbnail(storage: Path) -> None:
    done = record(storage)
    assert len(done) == 3
    assert not list(storage.rglob("*.jpg"))  # closing a segment makes no thumbnail
    segment = done[1].path
    made = ensure_thumbnail(segment)
    assert made == thumbnail_path(segment) and made.is_file()
    image = cv2.imread(str(made))
    assert image is not None and image.shape[1] == WIDTH  # 160 px wide, the clip's aspect kept
    assert abs(image.shape[0] - round(WIDTH * 480 / 640)) <= 2
    before = made.stat().st_mtime_ns
    assert ensure_thumbnail(segment) == made and made.stat().st_mtime_ns == before  # kept, not remade
    assert [p.name for p in made.parent.iterdir() if p.suffix == ".tmp"] == []


def test_no_thumbnail_for_a_deleted_or_unreadable_segment(storage: Path) -> None:
    segment = record(storage)[0].path
    segment.unlink()
    assert ensure_thumbnail(segment) is None
    broken = storage / "broken.mp4"
    broken.write_bytes(b"not a video")
    assert ensure_thumbnail(broken) is None
    assert not list(storage.rglob("*.jpg"))
