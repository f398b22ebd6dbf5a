"""Analytics fixtures: a migrated SQLite database of our own, a detector worker that is always stopped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from analytics.detector import Detector
from analytics.manifest import load_manifest
from analytics.worker import DetectorWorker
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade


@pytest.fixture
def incident_db(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'wawai.db'}"
    upgrade(url)
    maker = make_sessionmaker(url)
    yield maker
    maker.kw["bind"].dispose()


@pytest.fixture(scope="module")
def yolox_worker() -> Iterator[DetectorWorker]:
    worker = DetectorWorker(Detector(load_manifest("yolox-nano", ["models"], Path(".")), threads=2))
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def int8_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``wawai model quantize yolox-nano`` run for real, calibrated on the two shared people clips."""
    from tests.analytics.helpers import VTEST30
    from wawai.assets import find_asset
    from wawai.cli import main

    clips = [find_asset(VTEST30), find_asset("video/intel_one-by-one-person_768x432_60s_h264.mp4")]
    if None in clips:
        pytest.skip("shared footage not found")
    root = tmp_path_factory.mktemp("int8")
    (root / "config").mkdir()
    models = Path(__file__).resolve().parents[2] / "models"
    (root / "config" / "wawai.yaml").write_text(f"detector: {{model_dirs: ['{models}']}}\n")
    out = root / "models"
    code = main(["--config", str(root / "config"), "model", "quantize", "yolox-nano", "--footage",
                 *(str(c) for c in clips), "--frames", "40", "--output-dir", str(out)])
    assert code == 0
    return out / "yolox-nano-int8.yaml"


@pytest.fixture(scope="module", params=["fp32", "int8"])
def footage_worker(request: pytest.FixtureRequest) -> Iterator[DetectorWorker]:
    """The incident-count tests run with the FP32 model and with its INT8 copy."""
    if request.param == "fp32":
        manifest = load_manifest("yolox-nano", ["models"], Path("."))
    else:
        path: Path = request.getfixturevalue("int8_manifest")
        manifest = load_manifest(path.stem, [str(path.parent)], Path("."))
    worker = DetectorWorker(Detector(manifest, threads=2))
    worker.start()
    yield worker
    worker.stop()
