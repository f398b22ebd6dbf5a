"""Segment files from the shared clip's real packets: keyframe starts, exact continuity, exact frames."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av
import pytest

from recorder.segment_file import FinishedFile
from recorder.segmenter import Segmenter
from tests.recorder.clips import clip, frame_hashes, media_packets
from wawai.media import CodecParams, MediaPacket

START = datetime(2026, 11, 29, 23, 59, 55, tzinfo=UTC).timestamp()  # crosses a day boundary


def record(storage: Path, segment_seconds: float, *, loops: int = 1) -> list[FinishedFile]:
    done: list[FinishedFile] = []
    segmenter = Segmenter(storage, "gate-1", segment_seconds, done.append)
    for packet in media_packets(clip(), START, loops=loops):
        segmenter.feed(packet)
    segmenter.finish()
    return done


def first_packet_is_keyframe(path: Path) -> bool:
    with av.open(str(path)) as container:
        packet = next(p for p in container.demux(video=0) if p.pts is not None)
        return packet.is_keyframe


def test_segments_start_on_keyframes_and_meet_exactly(storage: Path) -> None:
    done = record(storage, 10)
    assert len(done) == 3
    for previous, following in pairwise(done):
        assert following.start == pytest.approx(previous.end, abs=1e-9)
    assert done[0].start == START
    assert done[-1].end == pytest.approx(START + 30.0, abs=1e-6)
    for finished in done:
        assert first_packet_is_keyframe(finished.path)
        assert finished.end - finished.start == pytest.approx(10.0, abs=1e-6)


def test_a_run_ahead_of_the_wall_clock_ends_where_the_next_one_starts(storage: Path) -> None:
    """Pictures that arrive faster than their timestamps (the first keyframe came late) put the run
    ahead of the wall clock; when the drift breaks the run, the segments must still not overlap."""
    done: list[FinishedFile] = []
    segmenter = Segmenter(storage, "gate-1", 10, done.append)
    for packet in media_packets(clip(), START):
        stream_time = packet.wallclock - START
        # The first 8 s arrive in 4 s, then at the stream's own pace: 4 s ahead from then on.
        arrived = START + (stream_time / 2 if stream_time < 8 else stream_time - 4)
        segmenter.feed(replace(packet, wallclock=arrived))
    segmenter.finish()
    assert len(done) >= 2
    for previous, following in pairwise(done):
        assert following.start == pytest.approx(previous.end, abs=1e-6)
    assert [d for f in done for d in frame_hashes(f.path)] == frame_hashes(clip())


def test_paths_are_utc_day_hour_minute_second(storage: Path) -> None:
    done = record(storage, 10)
    relative = [f.path.relative_to(storage).as_posix() for f in done]
    assert relative == [
        "recordings/gate-1/2026-11-29/23/59.55.mp4",
        "recordings/gate-1/2026-11-30/00/00.05.mp4",
        "recordings/gate-1/2026-11-30/00/00.15.mp4",
    ]
    assert all(re.match(r".*/\d{4}-\d{2}-\d{2}/\d{2}/\d{2}\.\d{2}\.mp4$", p) for p in relative)


def test_every_frame_reproduced_once_across_segments(storage: Path) -> None:
    done = record(storage, 10)
    source = frame_hashes(clip())
    recorded = [digest for finished in done for digest in frame_hashes(finished.path)]
    assert len(recorded) == len(source) == 300
    assert recorded == source


def test_segment_length_not_a_multiple_of_the_keyframe_interval(storage: Path) -> None:
    # GOP is 2 s: a 3 s segment can only be cut at the next keyframe, 4 s in.
    done = record(storage, 3)
    assert [round(f.end - f.start, 6) for f in done] == [4.0] * 7 + [2.0]
    recorded = [digest for finished in done for digest in frame_hashes(finished.path)]
    assert recorded == frame_hashes(clip())


def test_a_looped_clip_keeps_frames_continuous(storage: Path) -> None:
    done = record(storage, 10, loops=2)
    assert len(done) == 6
    recorded = [digest for finished in done for digest in frame_hashes(finished.path)]
    assert recorded == frame_hashes(clip()) * 2


def test_non_aac_audio_is_dropped_with_one_log_line(storage: Path, caplog) -> None:
    caplog.set_level(logging.INFO)
    mulaw = CodecParams(kind="audio", codec="pcm_mulaw", time_base=Fraction(1, 8000), sample_rate=8000,
                        channels=1)
    done: list[FinishedFile] = []
    segmenter = Segmenter(storage, "gate-1", 10, done.append)
    for packet in media_packets(clip(), START):
        segmenter.feed(packet)
        segmenter.feed(MediaPacket(kind="audio", data=b"\xff" * 800, pts=packet.pts * 8000 // 10240,
                                   dts=packet.pts * 8000 // 10240, time_base=mulaw.time_base, keyframe=True,
                                   params=mulaw, wallclock=packet.wallclock, duration=800))
    segmenter.finish()
    lines = [r.getMessage() for r in caplog.records if "audio is not recorded" in r.getMessage()]
    assert lines == ["camera gate-1: pcm_mulaw audio is not recorded (only AAC is kept in MP4)"]
    for finished in done:
        with av.open(str(finished.path)) as container:
            assert not container.streams.audio
    assert [d for f in done for d in frame_hashes(f.path)] == frame_hashes(clip())


def test_parameter_sets_sent_only_in_band_are_found_in_the_keyframe(storage: Path) -> None:
    done: list[FinishedFile] = []
    segmenter = Segmenter(storage, "gate-1", 10, done.append)
    packets = list(media_packets(clip(), START, in_band=True))
    assert packets[0].params.extradata is None and packets[0].data.startswith(b"\x00\x00\x00\x01")
    for packet in packets:
        segmenter.feed(packet)
    segmenter.finish()
    assert len(done) == 3  # one cut every 10 s, not at every keyframe
    assert [d for f in done for d in frame_hashes(f.path)] == frame_hashes(clip())
