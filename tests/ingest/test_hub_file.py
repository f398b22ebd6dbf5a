"""The hub reading files: paced at the file's rate, looping with monotonic timestamps, clear errors."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from camera_ingest.session import FilePacer
from tests.ingest.conftest import HubFactory
from tests.ingest.helpers import assert_monotonic, drain
from tests.support.waiting import wait_for, wait_until
from wawai.assets import find_asset
from wawai.media import MediaPacket
from wawai.status import CameraState

CLIP = "video/vtest_640x480_30s_h264.mp4"
# The deadline for conditions no issue puts a time on (an error state, a paced rate reached): wait_until
# returns as soon as they hold, so this only decides how long a loaded machine may take.
GENEROUS = 30.0


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 2 s of the walkway clip (10 fps, keyframes every 2 s): a loop every 2 s."""
    source = find_asset(CLIP)
    if source is None:
        pytest.skip(f"footage {CLIP} not found")
    out = tmp_path_factory.mktemp("clips") / "short.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-t", "2", "-c", "copy", str(out)], check=True
    )
    return out


def test_file_loops_with_monotonic_timestamps(short_clip: Path, make_hub: HubFactory):
    hub, _ = make_hub(cam={"main": str(short_clip), "loop": True})
    sub = hub.subscribe_packets("cam", name="rec", maxsize=10_000)
    received: list[MediaPacket] = []
    # 5 s of a 2 s clip: at least two loops
    assert wait_until(lambda: len(drain(sub.queue, received, 0.1)) >= 50, 15.0)
    assert_monotonic(received)
    keyframes = [p for p in received if p.keyframe]
    assert len(keyframes) >= 3
    duration = float((received[-1].pts - received[0].pts) * received[0].time_base)
    assert duration >= 4.8  # continuous timeline across loops, not restarted at 0
    status = hub.status("cam").streams["main"]
    assert status.state == CameraState.ONLINE and status.reconnects == 0


def test_file_is_paced_at_its_own_rate(short_clip: Path, make_hub: HubFactory):
    hub, _ = make_hub(cam={"main": str(short_clip), "loop": True})
    assert wait_until(lambda: (hub.status("cam").streams["main"].fps or 0) > 0, GENEROUS)
    assert wait_until(lambda: 8 <= (hub.status("cam").streams["main"].fps or 0) <= 12, GENEROUS)


def test_file_without_loop_ends_offline(short_clip: Path, make_hub: HubFactory):
    hub, _ = make_hub(cam={"main": str(short_clip)})
    assert wait_until(lambda: hub.status("cam").state == CameraState.OFFLINE, GENEROUS)
    assert hub.status("cam").streams["main"].last_error == "end of file"


def test_missing_file_is_an_error(tmp_path: Path, make_hub: HubFactory):
    hub, _ = make_hub(cam={"main": str(tmp_path / "nope.mp4")})
    assert wait_until(lambda: hub.status("cam").state == CameraState.ERROR, GENEROUS)
    assert "file not found" in (hub.status("cam").streams["main"].last_error or "")


def test_not_a_video_file_is_an_error(tmp_path: Path, make_hub: HubFactory):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 100)
    hub, _ = make_hub(cam={"main": str(text)})
    assert wait_until(lambda: hub.status("cam").state == CameraState.ERROR, GENEROUS)
    assert "not a video" in (hub.status("cam").streams["main"].last_error or "")


def test_one_camera_failing_does_not_touch_another(short_clip: Path, tmp_path: Path, make_hub: HubFactory):
    hub, _ = make_hub(
        good={"main": str(short_clip), "loop": True}, bad={"main": str(tmp_path / "missing.mp4")}
    )
    assert wait_until(lambda: hub.status("bad").state == CameraState.ERROR, GENEROUS)
    assert wait_until(lambda: hub.status("good").state == CameraState.ONLINE, GENEROUS)
    sub = hub.subscribe_packets("good", name="t")
    assert sub.queue.get(timeout=GENEROUS) is not None


def test_sub_stream_feeds_frames(short_clip: Path, make_hub: HubFactory, tmp_path: Path):
    small = tmp_path / "small.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(short_clip),
            "-vf",
            "scale=320:240",
            "-c:v",
            "libx264",
            "-g",
            "10",
            "-preset",
            "ultrafast",
            str(small),
        ],
        check=True,
    )
    hub, _ = make_hub(cam={"main": str(short_clip), "sub": str(small), "loop": True})
    assert hub.stream_names("cam") == ["main", "sub"]
    frames = hub.subscribe_frames("cam", name="analytics", fps=2, max_width=1280)
    frame = frames.queue.get(timeout=GENEROUS)
    assert frame is not None and frame.stream == "sub" and frame.image.shape == (240, 320, 3)


def test_unknown_camera_or_stream_raises(short_clip: Path, make_hub: HubFactory):
    hub, _ = make_hub(start=False, cam={"main": str(short_clip)})
    with pytest.raises(KeyError):
        hub.subscribe_packets("nope", name="t")
    with pytest.raises(KeyError):
        hub.subscribe_packets("cam", "sub", name="t")
    assert hub.facts("cam") is None  # never connected


def test_hub_follows_the_stream_hub_contract(short_clip: Path, tmp_path: Path):
    from camera_ingest import create_hub
    from tests.ingest.helpers import make_config
    from wawai.bus import EventBus
    from wawai.hub import StreamHub

    hub: StreamHub = create_hub(
        make_config(tmp_path, cam={"main": str(short_clip)}), EventBus()
    )  # mypy checks
    assert hub.camera_ids() == ["cam"] and hub.stream_names("cam") == ["main"]


def test_looping_keeps_the_frame_rate_across_the_loop(short_clip: Path, make_hub: HubFactory):
    hub, _ = make_hub(cam={"main": str(short_clip), "loop": True})
    sub = hub.subscribe_packets("cam", name="rec", maxsize=10_000)
    received: list[MediaPacket] = []
    assert wait_until(lambda: len(drain(sub.queue, received, 0.1)) >= 45, 15.0)
    # The timeline runs on at the same step across each loop (10 fps: 0.1 s)...
    steps = {b.pts - a.pts for a, b in itertools.pairwise(received)}
    assert max(steps) <= 2 * min(steps)
    # ...and so does the delivery: each pass is placed one frame after the last picture of the one
    # before, so a seam (a pass starts on its keyframe: the GOP is the clip) is neither a pause nor a
    # burst. A loaded machine delays single pictures by tenths of a second (0.40 s seen), so the bounds
    # are the pacer's own re-anchoring limit, not the 0.1 s step: a seam waits less than that...
    seams = [b.wallclock - a.wallclock for a, b in itertools.pairwise(received) if b.keyframe]
    assert seams and max(seams) < FilePacer.MAX_SLEEP, seams
    # ...and the pictures never run ahead of the file's own clock (later is the machine's doing).
    delivered = received[-1].wallclock - received[0].wallclock
    media = float((received[-1].pts - received[0].pts) * received[0].time_base)
    assert delivered >= media - FilePacer.MAX_SLEEP, (delivered, media)


def test_keyframe_mode_decodes_only_keyframes_and_resumes_without_waiting(
    short_clip: Path, make_hub: HubFactory
):
    """A quiet scene: keyframes only (one per 2 s here); back to full rate mid-GOP, not at the next one."""
    hub, _ = make_hub(cam={"main": str(short_clip), "loop": True})
    packets = hub.subscribe_packets("cam", name="keys", maxsize=10_000)
    frames = hub.subscribe_frames("cam", name="analytics", fps=5, max_width=320, maxsize=100)
    frames.set_keyframes_only(True)
    producer = hub._session("cam", "main").frames  # what the decoder did, not only what arrived
    assert frames.queue.get(timeout=GENEROUS) is not None
    decoded_before = producer.decoded
    quiet: list = []
    assert wait_until(lambda: len(drain(frames.queue, quiet, 0.1)) >= 3, GENEROUS)
    key_times = {round(p.pts_seconds, 3) for p in drain(packets.queue, [], 0.2) if p.keyframe}
    assert all(round(f.pts_seconds, 3) in key_times for f in quiet)
    assert producer.decoded - decoded_before <= len(quiet) + 1  # only keyframes went to the decoder

    frames.set_keyframes_only(False)
    busy: list = []
    assert wait_until(lambda: len(drain(frames.queue, busy, 0.1)) >= 8, GENEROUS)
    gaps = [b.pts_seconds - a.pts_seconds for a, b in itertools.pairwise(busy)]
    # 5 fps again, on the grid: no burst of the pictures that were not decoded
    assert all(0.15 <= gap <= 0.25 for gap in gaps[1:]), [round(b.pts_seconds, 2) for b in busy]
    # Frames between two keyframes arrived before the next keyframe: the kept GOP was caught up.
    def key_after_first_busy_frame() -> float | None:
        # It may still be ahead in the file (up to one 2 s GOP): wait for it rather than read a moment.
        key_times.update(round(p.pts_seconds, 3) for p in drain(packets.queue, [], 0.1) if p.keyframe)
        return min((t for t in key_times if t > busy[0].pts_seconds + 0.01), default=None)

    first_key_after = wait_for(key_after_first_busy_frame, GENEROUS, "the keyframe after the first frame")
    assert sum(1 for b in busy if b.pts_seconds < first_key_after - 0.01) >= 1
