"""Index, crash repair, retention and quota on real segment files and a real migrated database, each test
once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recorder.index import SegmentIndex
from recorder.recovery import reconcile
from recorder.retention import Retention
from recorder.segmenter import Segmenter
from recorder.service import RecordingsService
from tests.recorder.clips import clip, duration_seconds, frame_hashes, media_packets
from tests.support.postgres import on_both_databases
from wawai.config.model import WawaiConfig
from wawai.config.schema import CameraConfig, SiteConfig
from wawai.db.recordings import RecordingSegment

START = datetime(2026, 11, 1, 8, 0, 0, tzinfo=UTC).timestamp()

pytestmark = on_both_databases("recorder_db")


def make_config(storage: Path, *, site: dict | None = None,
                cameras: dict[str, dict] | None = None) -> WawaiConfig:
    # Pre/post roll come with the incident rows below (clip_start/clip_end), none from the site.
    data = {"storage": {"path": str(storage), "min_free_bytes": 0},
            "incidents": {"pre_seconds": 0, "post_seconds": 0}} | (site or {})
    cams = {cid: CameraConfig.model_validate({"id": cid, "streams": {"main": "rtsp://127.0.0.1/x"}} | extra)
            for cid, extra in (cameras or {}).items()}
    return WawaiConfig(directory=storage / "config", site=SiteConfig.model_validate(data), cameras=cams)


def record(storage: Path, sessions: sessionmaker[Session], camera: str, start: float,
           segment_seconds: float = 10) -> Segmenter:
    index = SegmentIndex(storage, sessions)
    segmenter = Segmenter(storage, camera, segment_seconds, lambda f: index.add_segment(camera, f))
    for packet in media_packets(clip(), start):
        segmenter.feed(packet)
    segmenter.finish()
    return segmenter


def rows(sessions: sessionmaker[Session]) -> list[RecordingSegment]:
    with sessions() as session:
        return list(session.scalars(select(RecordingSegment).order_by(RecordingSegment.camera_id,
                                                                      RecordingSegment.start)))


def test_finished_segments_are_indexed_and_ranges_queried(storage: Path, recorder_db) -> None:
    record(storage, recorder_db, "cam-a", START)
    record(storage, recorder_db, "cam-a", START + 60)  # a 30 s hole
    found = rows(recorder_db)
    assert len(found) == 6
    assert all(r.codec == "h264" and r.bytes == (storage / r.path).stat().st_size for r in found)
    overview = RecordingsService(storage, recorder_db).overview("cam-a", START - 10, START + 100)
    assert [(r.start, r.end) for r in overview.ranges] == [(START, START + 30), (START + 60, START + 90)]
    assert [(g.start, g.end) for g in overview.gaps] == [(START - 10, START), (START + 30, START + 60),
                                                         (START + 90, START + 100)]
    assert len(overview.segments) == 6


def test_reconcile_repairs_a_cut_off_segment_and_drops_rows_without_files(storage: Path, recorder_db) -> None:
    record(storage, recorder_db, "cam-a", START)
    gone = rows(recorder_db)[0]
    (storage / gone.path).unlink()
    # A segment cut off mid-write: the packets of 7.5 s written, then the process dies (no close, no row).
    segmenter = Segmenter(storage, "cam-a", 10, lambda f: None)
    for packet in media_packets(clip(), START + 100):
        if packet.pts_seconds >= 7.5:
            break
        segmenter.feed(packet)
    assert segmenter.current is not None
    partial = segmenter.current.path
    copy = partial.with_name("copy.bin")
    shutil.copy(partial, copy)  # what reached the disk so far (the writer is still open)
    segmenter.current.abandon()
    size = copy.stat().st_size
    shutil.move(copy, partial)
    with partial.open("r+b") as handle:
        handle.truncate(size - 300)  # and the last fragment only half written

    indexed, dropped = reconcile(storage, recorder_db)
    assert (indexed, dropped) == (1, 1)
    found = {r.path: r for r in rows(recorder_db)}
    assert gone.path not in found
    repaired = found[partial.relative_to(storage).as_posix()]
    assert repaired.start == START + 100
    assert 5.0 <= repaired.duration <= 7.5
    hashes = frame_hashes(partial)  # decodes without error
    assert hashes == frame_hashes(clip())[: len(hashes)]
    assert len(hashes) == round(repaired.duration * 10)
    # A second start changes nothing.
    assert reconcile(storage, recorder_db) == (0, 0)


def _add_incident(sessions: sessionmaker[Session], camera: str, start: float, end: float) -> None:
    incidents = pytest.importorskip("wawai.db.incidents")
    with sessions() as session:
        session.add(incidents.Incident(
            camera_id=camera, rule="r", type="intrusion", severity="high",
            started_at=datetime.fromtimestamp(start, UTC), ended_at=datetime.fromtimestamp(end, UTC),
            clip_start=start - 1, clip_end=end + 1))
        session.commit()


def test_quota_deletes_oldest_first_across_cameras_and_keeps_incident_segments(storage: Path,
                                                                                recorder_db) -> None:
    record(storage, recorder_db, "cam-a", START)
    record(storage, recorder_db, "cam-b", START + 5)
    _add_incident(recorder_db, "cam-a", START + 2, START + 3)  # keeps cam-a's first segment
    before = rows(recorder_db)
    total = sum(r.bytes for r in before)
    by_start = sorted(before, key=lambda r: r.start)
    # Room for about half: the three oldest unprotected segments must go.
    limit = total - sum(r.bytes for r in by_start[1:3]) - 1
    config = make_config(storage, site={"storage": {"path": str(storage), "min_free_bytes": 0,
                                                    "max_bytes": limit}})
    retention = Retention(config, recorder_db, live_paths=set, clock=lambda: START + 3600)
    result = retention.run_pass()
    after = {r.path for r in rows(recorder_db)}
    deleted = [r for r in by_start if r.path not in after]
    expected = [r for r in by_start if not (r.camera_id == "cam-a" and r.start == START)][:3]
    assert [r.path for r in deleted] == [r.path for r in expected]
    assert by_start[0].path in after  # the incident's segment, although the oldest
    assert all(not (storage / r.path).exists() for r in deleted)
    assert result.by_reason == {"quota": 3}
    assert sum(r.bytes for r in rows(recorder_db)) <= limit


def test_age_limit_and_events_mode(storage: Path, recorder_db) -> None:
    record(storage, recorder_db, "old", START)
    record(storage, recorder_db, "events", START)
    _add_incident(recorder_db, "events", START + 14, START + 15)  # window 13 s .. 16 s
    config = make_config(storage, cameras={"old": {"record": {"retain_days": 1}},
                                           "events": {"record": {"mode": "events"}}})
    now = START + 2 * 86400
    result = Retention(config, recorder_db, live_paths=set, clock=lambda: now).run_pass()
    left = rows(recorder_db)
    assert [(r.camera_id, r.start) for r in left] == [("events", START + 10)]
    assert result.by_reason == {"age": 3, "events": 2}


def test_events_mode_drops_segments_outside_incident_windows(storage: Path, recorder_db) -> None:
    record(storage, recorder_db, "events", START)
    _add_incident(recorder_db, "events", START + 18, START + 21)  # window 17 s .. 22 s
    config = make_config(storage, cameras={"events": {"record": {"mode": "events"}}})
    # Too recent to judge: an incident may still be found and need its pre-roll.
    assert Retention(config, recorder_db, live_paths=set, clock=lambda: START + 60).run_pass().segments == 0
    result = Retention(config, recorder_db, live_paths=set, clock=lambda: START + 600).run_pass()
    assert [r.start for r in rows(recorder_db)] == [START + 10, START + 20]
    assert result.by_reason == {"events": 1}


def test_the_segment_being_written_is_never_deleted(storage: Path, recorder_db) -> None:
    record(storage, recorder_db, "cam-a", START)
    live = storage / rows(recorder_db)[0].path
    config = make_config(storage, site={"storage": {"path": str(storage), "min_free_bytes": 0,
                                                    "max_bytes": 0}})
    Retention(config, recorder_db, live_paths=lambda: {live}, clock=lambda: START + 60).run_pass()
    assert [storage / r.path for r in rows(recorder_db)] == [live]
    assert live.exists()


def test_export_across_segment_boundaries(storage: Path, recorder_db, tmp_path: Path) -> None:
    record(storage, recorder_db, "cam-a", START)
    service = RecordingsService(storage, recorder_db)
    output = tmp_path / "out" / "clip.mp4"
    result = service.export_clip("cam-a", START + 7.3, START + 23.15, output)
    assert result.start == START + 6.0  # the keyframe at or before the start (GOP 2 s)
    assert result.end == pytest.approx(START + 23.2, abs=1e-6)  # the frame at 23.1 s ends at 23.2 s
    assert result.duration - (23.15 - 7.3) < 2.0  # within one keyframe interval
    assert duration_seconds(output) == pytest.approx(result.duration, abs=0.15)
    assert frame_hashes(output) == frame_hashes(clip())[60:232]
    data = output.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart
    import hashlib
    assert hashlib.sha256(data).hexdigest() == result.sha256


def test_min_free_bytes_deletes_oldest_until_the_disk_has_room(small_disk: Path, recorder_db) -> None:
    record(small_disk, recorder_db, "cam-a", START)
    record(small_disk, recorder_db, "cam-b", START + 1)
    before = sorted(rows(recorder_db), key=lambda r: r.start)
    wanted = shutil.disk_usage(small_disk).free + before[0].bytes + before[1].bytes // 2
    config = make_config(small_disk, site={"storage": {"path": str(small_disk), "min_free_bytes": wanted}})
    result = Retention(config, recorder_db, live_paths=set, clock=lambda: START + 60).run_pass()
    assert result.by_reason == {"quota": 2}
    assert {r.path for r in rows(recorder_db)} == {r.path for r in before[2:]}
    assert shutil.disk_usage(small_disk).free >= wanted


def test_a_cluster_node_keeps_and_deletes_only_what_is_in_its_own_storage(tmp_path: Path,
                                                                          recorder_db) -> None:
    # Two nodes of a cluster: one index, a storage each (the rows name no node; the files tell).
    mine, theirs = tmp_path / "node-a", tmp_path / "node-b"
    record(mine, recorder_db, "cam-a", START)
    record(theirs, recorder_db, "cam-b", START)
    everything = {r.path for r in rows(recorder_db)}
    their_rows = {r.path for r in rows(recorder_db) if r.camera_id == "cam-b"}
    # Starting up, node-a finds no file for node-b's rows: not its to drop.
    assert reconcile(mine, recorder_db, drop_missing=False) == (0, 0)
    assert {r.path for r in rows(recorder_db)} == everything
    # Past retain_days, node-a deletes its own segments only; node-b's go on node-b's pass.
    config = make_config(mine, site={"storage": {"path": str(mine), "min_free_bytes": 0, "max_bytes": 1}},
                         cameras={camera: {"record": {"retain_days": 1}} for camera in ("cam-a", "cam-b")})
    later = START + 2 * 86400
    result = Retention(config, recorder_db, live_paths=set, clock=lambda: later, local_only=True).run_pass()
    assert {r.path for r in rows(recorder_db)} == their_rows and result.by_reason == {"age": 3}
    assert all((theirs / path).exists() for path in their_rows)
    # A single node (the default) drops rows without a file, as before.
    assert reconcile(mine, recorder_db) == (0, 3)
    assert rows(recorder_db) == []
