"""The demo's footage made from Debian's opencv-doc vtest.avi: the same bytes every time, and the demo's
cameras come online with it when no asset mirror is there (the mirror-only cameras are left out)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import av
import pytest

import camera_ingest
import wawai.demo_footage as footage
from tests.support.waiting import wait_until
from wawai.bus import EventBus
from wawai.commands.demo import prepare_demo
from wawai.config.loader import load_config
from wawai.files import sha256_of
from wawai.status import CameraState

SHORT = "video/vtest_640x480_30s_h264.mp4"
FULL = "video/vtest_640x480_h264.mp4"


@pytest.fixture(scope="module")
def debian_vtest() -> Path:
    source = footage.debian_source()
    if source is None:
        pytest.skip(f"{footage.DEBIAN_VTEST} missing: apt-get install opencv-doc (./scripts/setup.sh does)")
    return source


@pytest.fixture(scope="module")
def short_clip(debian_vtest: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("first") / Path(SHORT).name
    return footage.make_clip(footage.RECIPES[SHORT], debian_vtest, target)


def test_the_clip_is_byte_identical_every_time(short_clip: Path, debian_vtest: Path, tmp_path: Path):
    again = footage.make_clip(footage.RECIPES[SHORT], debian_vtest, tmp_path / "again.mp4")
    assert sha256_of(again) == sha256_of(short_clip)
    assert [p.name for p in tmp_path.iterdir()] == ["again.mp4"]  # no temp file left


def test_the_clip_is_what_the_demo_cameras_need(short_clip: Path):
    with av.open(str(short_clip)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.profile == "Constrained Baseline"  # no B-frames: passed to browsers as is
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 480)
        keyframes = [packet.is_keyframe for packet in container.demux(stream) if packet.size]
    assert len(keyframes) == 300  # 30 s at 10 fps
    assert [i for i, key in enumerate(keyframes) if key] == list(range(0, 300, 20))


def test_demo_without_the_mirror_makes_its_footage_and_its_cameras_come_online(
    short_clip: Path, tmp_path: Path, no_mirror: None, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copy(short_clip, cache / short_clip.name)  # made above; the full clip is made here
    monkeypatch.setattr(footage, "FOOTAGE_DIR", cache)
    with caplog.at_level(logging.INFO):
        site = prepare_demo(tmp_path / "demo", port=18124)
    assert site.cameras == ["plaza", "walkway"]
    left_out = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert len(left_out) == 1 and "car-park, lobby" in left_out[0], left_out
    assert (cache / Path(FULL).name).is_file()
    assert [p.name for p in cache.iterdir() if p.name.endswith(".part")] == []

    config = load_config(site.config_dir)
    assert {c.streams.main for c in config.cameras.values()} == {
        str(cache / Path(FULL).name), str(cache / Path(SHORT).name)
    }
    hub = camera_ingest.create_hub(config, EventBus())
    hub.start()
    try:
        def online() -> bool:
            return all(hub.status(camera).state == CameraState.ONLINE for camera in config.cameras)

        assert wait_until(online, timeout=30), {c: hub.status(c).state for c in config.cameras}
    finally:
        hub.stop()


def test_demo_without_the_mirror_or_debian_says_what_to_install(
    tmp_path: Path, no_mirror: None, monkeypatch: pytest.MonkeyPatch
):
    from wawai.commands.demo import DemoError

    monkeypatch.setattr(footage, "FOOTAGE_DIR", tmp_path / "empty-cache")
    monkeypatch.setattr(footage, "debian_source", lambda: None)
    with pytest.raises(DemoError, match="opencv-doc") as err:
        prepare_demo(tmp_path / "demo")
    assert FULL in str(err.value) and SHORT in str(err.value)
