"""``wawai model fetch``: the real weights from a real HTTP server on loopback, or from a mirror.

Right checksum: stored where detector.model_dirs finds it, licence printed. Wrong checksum, a cut-off
download or no server: refused in one line, nothing stored. A mirror that holds the file: no download.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from analytics.manifest import load_manifest
from tests.offline.conftest import YOLOX_MANIFEST
from tests.offline.weights_server import WeightsServer
from tests.support.app_fixtures import free_port
from wawai.cli import main
from wawai.files import sha256_of

WEIGHTS = "yolox_nano_416x416.onnx"


@pytest.fixture(scope="module")
def server(yolox_bytes: bytes) -> Iterator[WeightsServer]:
    running = WeightsServer(yolox_bytes)
    running.start()
    yield running
    running.stop()


def make_site(root: Path, url: str) -> tuple[Path, Path]:
    """A config dir whose model dir holds the real yolox-nano manifest, its url pointed at ``url``."""
    models = root / "site-models"
    models.mkdir(parents=True)
    manifest = yaml.safe_load(YOLOX_MANIFEST.read_text())
    manifest["url"] = url
    (models / "yolox-nano.yaml").write_text(yaml.safe_dump(manifest))
    config = root / "config"
    config.mkdir()
    (config / "wawai.yaml").write_text(yaml.safe_dump({
        "storage": {"path": str(root / "data")},
        "detector": {"model": "yolox-nano", "model_dirs": [str(models)]},
    }))
    return config, models


def fetch(config: Path, *extra: str) -> int:
    return main(["--config", str(config), "model", "fetch", "yolox-nano", *extra])


def stored(models: Path) -> list[str]:
    """Every file in the model dir but the manifest: temp files included, so leftovers show."""
    return sorted(p.name for p in models.iterdir() if p.name != "yolox-nano.yaml")


def test_right_checksum_is_stored_where_the_detector_finds_it(
    server: WeightsServer, tmp_path: Path, no_mirror: None, capsys: pytest.CaptureFixture[str]
):
    config, models = make_site(tmp_path, server.url("/good.onnx"))
    before = server.requests["/good.onnx"]
    assert fetch(config) == 0
    out = capsys.readouterr().out
    assert server.requests["/good.onnx"] == before + 1
    assert stored(models) == [WEIGHTS]
    manifest = load_manifest("yolox-nano", [str(models)], tmp_path)
    assert manifest.model_path == models / WEIGHTS
    assert sha256_of(models / WEIGHTS) == manifest.spec.sha256
    assert server.url("/good.onnx") in out and "licence: Apache-2.0" in out
    # A second run finds it in place and downloads nothing.
    assert fetch(config) == 0
    assert "already present" in capsys.readouterr().out
    assert server.requests["/good.onnx"] == before + 1


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/wrong.onnx", "does not match the manifest"), ("/cut.onnx", "cut off after")],
)
def test_wrong_or_cut_off_download_is_refused_and_nothing_stored(
    server: WeightsServer, tmp_path: Path, no_mirror: None, capsys: pytest.CaptureFixture[str],
    path: str, reason: str,
):
    config, models = make_site(tmp_path, server.url(path))
    assert fetch(config) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("wawai: model fetch yolox-nano: ")
    assert reason in err and "nothing stored" in err
    assert stored(models) == []
    assert server.requests[path] >= 1


def test_no_server_is_one_line_and_nothing_stored(
    tmp_path: Path, no_mirror: None, capsys: pytest.CaptureFixture[str]
):
    config, models = make_site(tmp_path, f"http://127.0.0.1:{free_port()}/gone.onnx")
    assert fetch(config, "--timeout", "5") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not download" in err and "--from DIR" in err
    assert stored(models) == []


def test_mirror_is_used_before_the_network(
    server: WeightsServer, tmp_path: Path, no_mirror: None, yolox_bytes: bytes,
    capsys: pytest.CaptureFixture[str],
):
    mirror = tmp_path / "usb-stick"
    mirror.mkdir()
    (mirror / WEIGHTS).write_bytes(yolox_bytes)
    config, models = make_site(tmp_path, server.url("/good.onnx"))
    counted = sum(server.requests.values())
    assert fetch(config, "--from", str(mirror)) == 0
    assert f"mirror {mirror}" in capsys.readouterr().out
    assert sum(server.requests.values()) == counted
    assert hashlib.sha256((models / WEIGHTS).read_bytes()).hexdigest() == sha256_of(mirror / WEIGHTS)


def test_assets_mirror_from_the_environment(
    server: WeightsServer, tmp_path: Path, yolox_bytes: bytes, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    assets = tmp_path / "assets"
    (assets / "models").mkdir(parents=True)
    (assets / "models" / WEIGHTS).write_bytes(yolox_bytes)
    monkeypatch.setenv("WAWAI_ASSETS", str(assets))
    config, models = make_site(tmp_path, server.url("/good.onnx"))
    counted = sum(server.requests.values())
    assert fetch(config) == 0
    assert f"mirror {assets / 'models'}" in capsys.readouterr().out
    assert sum(server.requests.values()) == counted
    assert stored(models) == [WEIGHTS]


def test_mirror_copy_with_a_wrong_checksum_is_not_used(
    server: WeightsServer, tmp_path: Path, no_mirror: None, yolox_bytes: bytes,
    capsys: pytest.CaptureFixture[str],
):
    mirror = tmp_path / "bad-mirror"
    mirror.mkdir()
    (mirror / WEIGHTS).write_bytes(yolox_bytes[:-1] + b"\0")
    config, models = make_site(tmp_path, server.url("/good.onnx"))
    before = server.requests["/good.onnx"]
    assert fetch(config, "--from", str(mirror)) == 0
    assert server.url("/good.onnx") in capsys.readouterr().out
    assert server.requests["/good.onnx"] == before + 1
    assert stored(models) == [WEIGHTS]
    assert sha256_of(models / WEIGHTS) == hashlib.sha256(yolox_bytes).hexdigest()
