"""Recording a real RTSP stream through the real ingest hub: continuity, exact frames, offline gaps."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import av
import pytest

from tests.recorder.clips import VTEST_30S, clip, frame_hashes
from tests.recorder.rtsp_support import build, segment_rows, start, stop, write_recorder_config
from tests.support.waiting import wait_for

pytestmark = pytest.mark.rtsp


def test_rtsp_stream_recorded_in_contiguous_keyframe_segments_with_exact_frames(rtsp_server, tmp_path: Path):
    cameras = {"cam": rtsp_server.url("vtest30")}
    config_dir = write_recorder_config(tmp_path, cameras, storage=tmp_path / "data")
    ctx, stage = build(config_dir)
    start(ctx, stage)
    try:
        wait_for(lambda: len(segment_rows(ctx)) >= 4, 30, "four finished segments")
        status = stage.camera_status("cam")
        assert status["state"] == "recording" and status["error"] is None
        # The segment being written is listed and exported too, as far as it reached the disk.
        service = ctx.services["recordings"]
        live = wait_for(lambda: [s for s in service.overview("cam", 0, time.time() + 60).segments
                                 if s.live and s.duration >= 1.2], 10, "a second in the live segment")[0]
        assert live.start == pytest.approx(segment_rows(ctx)[-1].end, abs=1e-6)
        exported = service.export_clip("cam", live.start, live.end, tmp_path / "live.mp4")
        assert exported.start == live.start and 0.9 <= exported.duration <= live.duration
        assert len(frame_hashes(tmp_path / "live.mp4")) == round(exported.duration * 10)
    finally:
        stop(ctx, stage)
    rows = segment_rows(ctx)
    assert len(rows) >= 4
    for previous, following in pairwise(rows):
        assert following.start == pytest.approx(previous.end, abs=1e-6)  # no gap, no overlap
    for row in rows[:-1]:  # the last one was cut by stop()
        assert row.duration == pytest.approx(2.0, abs=1e-6)  # GOP 2 s, segment 2 s
    source = frame_hashes(clip(VTEST_30S))  # the server loops this clip by stream copy
    recorded = [h for row in rows for h in frame_hashes(ctx.storage / row.path)]
    first = source.index(recorded[0])
    assert first % 20 == 0  # starts on a keyframe (GOP 20)
    assert recorded == [source[(first + i) % len(source)] for i in range(len(recorded))]
    assert len(recorded) == round(sum(r.duration for r in rows) * 10)


def test_camera_going_offline_leaves_a_gap_and_recording_resumes(rtsp_server_private, tmp_path: Path):
    server = rtsp_server_private
    config_dir = write_recorder_config(tmp_path, {"cam": server.url("vtest30")}, storage=tmp_path / "data")
    ctx, stage = build(config_dir)
    start(ctx, stage)
    try:
        wait_for(lambda: len(segment_rows(ctx)) >= 2, 30, "two segments before the outage")
        server.kill()
        wait_for(lambda: stage.camera_status("cam")["state"] == "waiting", 20, "the recorder to notice")
        written_before = len(segment_rows(ctx))
        time.sleep(2.0)
        server.restart()
        wait_for(lambda: len(segment_rows(ctx)) >= written_before + 2, 60, "segments after the outage")
        assert stage.camera_status("cam")["state"] == "recording"
    finally:
        stop(ctx, stage)
    rows = segment_rows(ctx)
    service = ctx.services["recordings"]
    overview = service.overview("cam", rows[0].start, rows[-1].end)
    assert len(overview.ranges) == 2
    [gap] = overview.gaps
    assert gap.reason == "offline"
    assert gap.end - gap.start >= 2.0
    for row in rows:
        assert frame_hashes(ctx.storage / row.path)  # every segment decodes


@pytest.mark.parametrize("mount", ["h265", "bframes", "aac"])
def test_other_codecs_and_aac_audio_are_stream_copied(rtsp_server, tmp_path: Path, mount: str) -> None:
    config_dir = write_recorder_config(tmp_path, {"cam": rtsp_server.url(mount)}, storage=tmp_path / "data")
    ctx, stage = build(config_dir)
    start(ctx, stage)
    try:
        wait_for(lambda: len(segment_rows(ctx)) >= 3, 40, "three segments")
    finally:
        stop(ctx, stage)
    rows = segment_rows(ctx)
    for previous, following in pairwise(rows):
        assert following.start == pytest.approx(previous.end, abs=1e-6)
    source = frame_hashes(rtsp_server.media_path(mount))
    # The last segment is left out: stop() cut it mid-GOP, where a B-frame stream has pictures whose
    # references never arrived.
    recorded = [h for row in rows[:-1] for h in frame_hashes(ctx.storage / row.path)]
    first = source.index(recorded[0])
    assert recorded == source[first:first + len(recorded)]
    if mount == "aac":
        with av.open(str(ctx.storage / rows[1].path)) as container:
            [audio] = container.streams.audio
            assert audio.codec_context.name == "aac"
            samples = sum(frame.samples for frame in container.decode(audio))
        assert samples / audio.codec_context.sample_rate == pytest.approx(rows[1].duration, abs=0.2)
