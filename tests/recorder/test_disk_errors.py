"""Disk errors: a full filesystem (a size-limited tmpfs) and a camera folder that cannot be created.

Recording must not crash, must say so once per camera (state + one log line, not one per packet), must
leave other cameras alone, and must resume by itself once writing works again. A real ENOSPC needs a
small filesystem, and mounting one needs root; without root the full-disk test is skipped (no other
unprivileged way gives a real ENOSPC; RLIMIT_FSIZE gives EFBIG per file, a different failure).
"""

from __future__ import annotations

import logging
import shutil
import time
from functools import partial
from pathlib import Path

import pytest

from recorder.paths import recordings_root
from tests.recorder.clips import frame_hashes
from tests.recorder.rtsp_support import build, segment_rows, start, stop, write_recorder_config
from tests.support.waiting import wait_for
from wawai.stage import Stage

pytestmark = pytest.mark.rtsp

STOPPED = "recording stopped by a disk error"


def in_state(stage: Stage, camera: str, state: str) -> bool:
    return bool(stage.camera_status(camera)["state"] == state)


def error_lines(caplog: pytest.LogCaptureFixture, camera: str) -> int:
    messages = [r.getMessage() for r in caplog.records]
    return sum(1 for m in messages if STOPPED in m and f"camera {camera}:" in m)


def test_full_disk_stops_recording_once_and_it_resumes_when_space_returns(rtsp_server, small_disk: Path,
                                                                          tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO)
    filler = small_disk / "filler.bin"
    with filler.open("wb") as handle:
        handle.write(b"\0" * (shutil.disk_usage(small_disk).free - 48 * 1024))
    cameras = {"a": rtsp_server.url("vtest30"), "b": rtsp_server.url("vtest")}
    ctx, stage = build(write_recorder_config(tmp_path, cameras, storage=small_disk))
    events = ctx.bus.subscribe()
    start(ctx, stage)
    try:
        for camera in cameras:
            wait_for(partial(in_state, stage, camera, "disk_error"), 30, f"{camera} to fail")
        time.sleep(5)  # ~75 packets per camera and two retries each while the disk stays full
        for camera in cameras:
            status = stage.camera_status(camera)
            assert status["state"] == "disk_error"
            assert "No space left on device" in status["error"]
            assert error_lines(caplog, camera) == 1
        filler.unlink()  # space returns
        for camera in cameras:
            wait_for(partial(in_state, stage, camera, "recording"), 30, f"{camera} to resume")
            wait_for(partial(segment_rows, ctx, camera), 30, f"{camera} segments after")
        assert any("recording resumed" in r.getMessage() for r in caplog.records)
    finally:
        stop(ctx, stage)
    for row in segment_rows(ctx):
        assert frame_hashes(small_disk / row.path)  # everything indexed plays, including what was cut
    overview = ctx.services["recordings"].overview("a", 0, time.time() + 60)
    assert any(gap.reason == "disk_error" for gap in overview.gaps)
    # Each change was pushed on the bus (the WebSocket forwards it), once, not per packet.
    pushed = []
    while (message := events.get(timeout=0)) is not None:
        if message["type"] == "recording.status" and message["camera_id"] == "a":
            pushed.append(message["state"])
    assert pushed[-3:] == ["disk_error", "recording", "stopped"]  # perhaps "recording" first: 48 KB fit
    assert pushed.count("disk_error") == 1


def test_one_camera_that_cannot_write_leaves_the_others_recording(rtsp_server, tmp_path: Path,
                                                                  caplog) -> None:
    caplog.set_level(logging.INFO)
    storage = tmp_path / "data"
    blocked = recordings_root(storage) / "blocked"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the camera's folder should be")
    cameras = {"blocked": rtsp_server.url("vtest30"), "fine": rtsp_server.url("vtest")}
    ctx, stage = build(write_recorder_config(tmp_path, cameras, storage=storage))
    start(ctx, stage)
    try:
        wait_for(lambda: len(segment_rows(ctx, "fine")) >= 3, 30, "the healthy camera's segments")
        assert stage.camera_status("blocked")["state"] == "disk_error"
        assert segment_rows(ctx, "blocked") == []
        assert error_lines(caplog, "blocked") == 1
        assert error_lines(caplog, "fine") == 0
        blocked.unlink()
        wait_for(lambda: len(segment_rows(ctx, "blocked")) >= 1, 30, "the blocked camera to resume")
        assert stage.camera_status("fine")["state"] == "recording"
    finally:
        stop(ctx, stage)
