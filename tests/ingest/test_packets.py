"""Unit tests of the picture assembler, the timestamp rebaser and the backoff, fed real clip packets."""

from __future__ import annotations

import itertools
from fractions import Fraction

import av
import pytest

from camera_ingest.health import Backoff
from camera_ingest.packets import PictureAssembler, RawPacket, TimestampRebaser
from wawai.assets import find_asset

CLIP = "video/vtest_640x480_30s_h264.mp4"


def clip_packets(limit: int = 120) -> tuple[list[RawPacket], Fraction]:
    path = find_asset(CLIP)
    if path is None:
        pytest.skip(f"footage {CLIP} not found")
    packets: list[RawPacket] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base
        assert time_base is not None
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            packets.append(
                RawPacket(
                    bytes(packet), packet.pts, packet.dts, packet.is_keyframe, packet.duration or 0, 0.0
                )
            )
            if len(packets) == limit:
                break
    return packets, time_base


def assemble(packets: list[RawPacket]) -> list[RawPacket]:
    assembler = PictureAssembler()
    out = [picture for packet in packets for picture in assembler.feed(packet)]
    last = assembler.flush()
    return out + ([last] if last else [])


def split(packet: RawPacket, pts: int | None = None, parts: int = 3) -> list[RawPacket]:
    """One picture cut into ``parts`` packets that share its timestamp, as a payloader may send it."""
    size = len(packet.data) // parts + 1
    return [
        RawPacket(
            packet.data[i : i + size],
            packet.pts if pts is None else pts,
            packet.dts,
            packet.keyframe,
            packet.duration,
            packet.wallclock,
        )
        for i in range(0, len(packet.data), size)
    ]


def test_whole_pictures_pass_unchanged():
    packets, _ = clip_packets()
    assert assemble(packets) == packets


def test_pictures_split_across_packets_are_merged_whole():
    packets, _ = clip_packets()
    pieces = [piece for packet in packets for piece in split(packet)]
    assert len(pieces) > len(packets)
    assert [p.data for p in assemble(pieces)] == [p.data for p in packets]


def test_first_picture_without_pts_is_dropped_whole():
    packets, _ = clip_packets()
    first = split(packets[0])
    # As FFmpeg's RTSP demuxer does: the first part of the first IDR comes without a timestamp.
    stream = [RawPacket(first[0].data, None, None, True, 0, 0.0), *first[1:], *packets[1:]]
    out = assemble(stream)
    assert out[0].keyframe and out[0] == next(p for p in packets[1:] if p.keyframe)
    assert all(p.data != packets[0].data and not packets[0].data.endswith(p.data) for p in out)


def test_rebased_timestamps_run_on_across_a_loop_and_a_reconnect():
    packets, source_tb = clip_packets(60)
    rebaser = TimestampRebaser(Fraction(1, 90000), default_step=9000)
    out: list[tuple[int, int]] = []
    clock = itertools.count()
    for round_ in range(3):
        if round_:
            rebaser.discontinuity()
        for p in packets:
            assert p.pts is not None and p.dts is not None
            out.append(rebaser.rebase(p.pts, p.dts, source_tb, wallclock=next(clock) * 0.1))
    dts = [d for _, d in out]
    assert all(b > a for a, b in itertools.pairwise(dts))
    assert out[0] == (0, 0)
    step = dts[1] - dts[0]
    assert step == 9000  # 10 fps on a 90 kHz clock
    # a loop continues one frame later, not at 0 and not far ahead
    assert dts[60] - dts[59] == step


def test_rebaser_leaves_a_gap_for_a_long_outage():
    rebaser = TimestampRebaser(Fraction(1, 90000), default_step=9000)
    tb = Fraction(1, 90000)
    rebaser.rebase(0, 0, tb, 100.0)
    rebaser.rebase(9000, 9000, tb, 100.1)
    rebaser.discontinuity()
    _pts, dts = rebaser.rebase(0, 0, tb, 105.1)  # the camera came back 5 s later, its clock at 0
    assert dts == 9000 + 5 * 90000


def test_rebaser_reanchors_when_the_source_jumps_back():
    rebaser = TimestampRebaser(Fraction(1, 90000))
    tb = Fraction(1, 90000)
    a = rebaser.rebase(500_000, 500_000, tb, 1.0)
    b = rebaser.rebase(509_000, 509_000, tb, 1.1)
    c = rebaser.rebase(1_000, 1_000, tb, 1.2)  # wrapped or reset without a reconnect
    assert a[1] < b[1] < c[1]


def test_b_frame_offsets_survive_rebasing():
    rebaser = TimestampRebaser(Fraction(1, 90000))
    tb = Fraction(1, 90000)
    # decode order I P B B with pts 0, 27000, 9000, 18000 and dts -9000, 0, 9000, 18000
    source = [(9000, -9000), (36000, 0), (18000, 9000), (27000, 18000)]
    out = [rebaser.rebase(p, d, tb, 0.0) for p, d in source]
    assert [p - d for p, d in out] == [p - d for p, d in source]


def test_backoff_steps_cap_and_reset():
    backoff = Backoff()
    assert [backoff.next_delay() for _ in range(7)] == [1, 2, 5, 10, 30, 30, 30]
    backoff.reset()
    assert backoff.next_delay() == 1


def test_backoff_resets_only_after_a_stable_connection():
    backoff = Backoff(stable_seconds=60)
    for _ in range(4):
        backoff.next_delay()
    backoff.connection_ended(None)  # never connected
    backoff.connection_ended(59.0)  # flapping: keeps growing
    assert backoff.next_delay() == 30
    backoff.connection_ended(60.0)
    assert backoff.next_delay() == 1
