"""``wawai model quantize``: the INT8 copy passes the model checks and finds the people FP32 finds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analytics.detector import Detector
from analytics.manifest import load_manifest
from tests.analytics.helpers import clip_frames
from wawai.cli import main
from wawai.files import sha256_of


def test_int8_manifest_passes_the_model_checks_and_detects_people(int8_manifest: Path):
    raw = yaml.safe_load(int8_manifest.read_text())
    assert raw["name"] == "yolox-nano-int8" and raw["file"] == "yolox_nano_416x416_int8.onnx"
    manifest = load_manifest("yolox-nano-int8", [str(int8_manifest.parent)], Path("."))  # checks sha256
    assert raw["sha256"] == sha256_of(manifest.model_path)
    assert manifest.spec.input == load_manifest("yolox-nano", ["models"], Path(".")).spec.input
    detector = Detector(manifest, threads=1)
    frame = next(iter(clip_frames()))
    people = [d for d in detector.detect(frame.image, 0.5) if d.label == "person"]
    assert len(people) >= 3  # the walkway has 4-10 people in every frame


def test_quantize_refuses_missing_footage_and_unknown_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    (tmp_path / "config").mkdir()
    base = ["--config", str(tmp_path / "config"), "model", "quantize"]
    assert main([*base, "yolox-nano", "--footage", str(tmp_path / "none.mp4")]) == 1
    assert "none.mp4: no such file" in capsys.readouterr().err
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not a video")
    assert main([*base, "no-such-model", "--footage", str(clip)]) == 1
    err = capsys.readouterr().err.strip()
    assert "no manifest no-such-model.yaml" in err and len(err.splitlines()) == 1
