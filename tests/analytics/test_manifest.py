"""A model that cannot be used is a one-line error at start, naming what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analytics.detector import Detector
from analytics.manifest import ModelError, load_manifest
from tests.analytics.helpers import asset
from wawai.files import sha256_of

YOLOX = "models/yolox_nano_416x416.onnx"
FASTEST = "models/fastestdet_352x352.onnx"


def write_manifest(folder: Path, name: str, **fields: object) -> None:
    base = {
        "name": name, "file": "model.onnx", "format": "yolox", "labels_file": "coco80_labels.txt",
        "input": "{width: 416, height: 416, colour: bgr, scale: 1.0}", "letterbox": "top_left",
    }
    base.update({k: str(v) for k, v in fields.items()})
    (folder / f"{name}.yaml").write_text("".join(f"{k}: {v}\n" for k, v in base.items()))


def test_shipped_manifests_match_the_shared_files():
    for name in ("yolox-nano", "fastestdet"):
        manifest = load_manifest(name, ["models"], Path("."))
        assert manifest.spec.sha256 == sha256_of(manifest.model_path)
        assert manifest.labels[0] == "person" and len(manifest.labels) == 80


def test_missing_manifest_names_where_it_looked(tmp_path: Path):
    with pytest.raises(ModelError, match=r"no manifest nothing\.yaml") as err:
        load_manifest("nothing", [str(tmp_path)], tmp_path)
    assert "\n" not in str(err.value)


def test_missing_weights_file(tmp_path: Path):
    write_manifest(tmp_path, "lost", file="not-here.onnx")
    with pytest.raises(ModelError, match=r"model file 'not-here\.onnx' not found"):
        load_manifest("lost", [str(tmp_path)], tmp_path)


def test_wrong_checksum(tmp_path: Path):
    shutil.copy(asset(YOLOX), tmp_path / "model.onnx")
    write_manifest(tmp_path, "tampered", sha256='"' + "0" * 64 + '"')
    with pytest.raises(ModelError, match=r"sha256 .* does not match"):
        load_manifest("tampered", [str(tmp_path)], tmp_path)


def test_input_size_not_matching_the_manifest(tmp_path: Path):
    shutil.copy(asset(FASTEST), tmp_path / "model.onnx")  # 352x352, manifest says 416
    write_manifest(tmp_path, "wrong-size")
    wrong = r"input shape \[1, 3, 352, 352\] does not match the manifest 416x416"
    with pytest.raises(ModelError, match=wrong):
        Detector(load_manifest("wrong-size", [str(tmp_path)], tmp_path))


def test_output_layout_not_matching_the_format(tmp_path: Path):
    shutil.copy(asset(FASTEST), tmp_path / "model.onnx")
    write_manifest(tmp_path, "wrong-format", input="{width: 352, height: 352}")
    with pytest.raises(ModelError, match="yolox output per picture should be"):
        Detector(load_manifest("wrong-format", [str(tmp_path)], tmp_path))


def test_not_an_onnx_file(tmp_path: Path):
    (tmp_path / "model.onnx").write_bytes(b"this is not a model")
    write_manifest(tmp_path, "garbage")
    with pytest.raises(ModelError, match="onnxruntime cannot load it") as err:
        Detector(load_manifest("garbage", [str(tmp_path)], tmp_path))
    assert "\n" not in str(err.value)


def test_any_model_matching_a_manifest_works(tmp_path: Path):
    """A copy of the weights under another name and manifest is found in model_dirs and runs."""
    shutil.copy(asset(FASTEST), tmp_path / "model.onnx")
    write_manifest(
        tmp_path, "site-model", format="fastestdet", letterbox="none", sha256=sha256_of(asset(FASTEST)),
        input="{width: 352, height: 352, scale: 0.00392156862745098}",
    )
    detector = Detector(load_manifest("site-model", ["."], tmp_path))
    assert detector.name == "site-model" and not detector.dynamic_batch
