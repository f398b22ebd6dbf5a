"""kill -9 during recording, then a new start: nothing finished is lost, the cut segment is repaired."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest

from recorder.paths import recordings_root
from tests.recorder.clips import VTEST_30S, clip, frame_hashes
from tests.recorder.rtsp_support import build, segment_rows, start, stop, write_recorder_config
from tests.support.waiting import wait_for
from wawai.assets import REPO_ROOT

pytestmark = pytest.mark.rtsp


def test_kill_9_then_restart_indexes_and_repairs_everything(rtsp_server, tmp_path: Path) -> None:
    storage = tmp_path / "data"
    config_dir = write_recorder_config(tmp_path, {"cam": rtsp_server.url("vtest30")}, storage=storage,
                                       segment_seconds=4)
    ctx, _ = build(config_dir)  # migrates; the child and the restart use the same database
    child = subprocess.Popen([sys.executable, "-m", "tests.recorder.record_child", str(config_dir)],
                             cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(segment_rows(ctx)) >= 2, 60, "two finished segments in the child")
        time.sleep(2.5)  # well into the third segment: a few fragments on disk, the rest in flight
        os.kill(child.pid, signal.SIGKILL)
        killed_at = time.time()
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    finished = segment_rows(ctx)
    on_disk = sorted(recordings_root(storage).rglob("*.mp4"))
    indexed = {storage / r.path for r in finished}
    cut = [p for p in on_disk if p not in indexed]
    assert len(cut) == 1  # the segment being written when the process died
    # Make one finished file vanish too (a disk repaired by hand): its row must go.
    vanished = finished[0]
    (storage / vanished.path).unlink()

    ctx, stage = build(config_dir)
    start(ctx, stage)
    try:
        wait_for(lambda: len(segment_rows(ctx)) >= len(finished) + 1, 30, "the repaired segment indexed")
    finally:
        stop(ctx, stage)
    rows = {r.path: r for r in segment_rows(ctx)}
    assert vanished.path not in rows
    for row in finished[1:]:  # nothing finished is lost
        assert row.path in rows and (storage / row.path).stat().st_size == row.bytes
    repaired = rows[cut[0].relative_to(storage).as_posix()]
    assert 0.5 <= repaired.duration <= 4.0
    # Fragments reach the disk every second: the crash lost about a second (plus delivery slack).
    assert repaired.end >= killed_at - 2.0
    # The repaired segment follows the last finished one exactly, frame by frame.
    kept = [*finished[1:], repaired]
    for previous, following in pairwise(kept):
        assert following.start == pytest.approx(previous.end, abs=1e-6)
    source = frame_hashes(clip(VTEST_30S))
    recorded = [h for row in kept for h in frame_hashes(storage / row.path)]
    first = source.index(recorded[0])
    assert recorded == [source[(first + i) % len(source)] for i in range(len(recorded))]
    assert len(frame_hashes(storage / repaired.path)) == round(repaired.duration * 10)
