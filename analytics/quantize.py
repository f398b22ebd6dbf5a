"""A static INT8 copy of a detector, calibrated on the user's own footage, with its own manifest.

``quantize(manifest, footage, frames=60)`` writes ``<stem>_int8.onnx`` and ``<name>-int8.yaml`` beside
the original manifest (the weights file is not committed, like every model file). Calibration frames are
spread evenly over the given clips and prepared exactly as the detector prepares them (letterbox,
colour order, scale), so the activation ranges are the ones the model sees at run time.

Why these choices (measured on YOLOX-Nano, see README "Performance"):
- QDQ, per-channel weights, MinMax calibration: Percentile (99.99) calibration lost far more people.
- Models below opset 13 are converted first: per-channel DequantizeLinear needs opset 13.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import av
import numpy as np
import numpy.typing as npt
import yaml

from analytics.manifest import ModelError, ModelManifest
from analytics.preprocess import prepare
from wawai.files import sha256_of
from wawai.media import BGRImage

log = logging.getLogger(__name__)

MIN_OPSET = 13


def calibration_frames(footage: list[Path], count: int) -> Iterator[BGRImage]:
    """``count`` BGR pictures spread evenly over the clips (each clip gives its share)."""
    share = max(1, count // len(footage))
    for path in footage:
        try:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                total = stream.frames or 0
                step = max(1, total // share) if total else 10
                taken = 0
                for index, frame in enumerate(container.decode(stream)):
                    if index % step == 0:
                        yield cast(BGRImage, frame.to_ndarray(format="bgr24"))
                        taken += 1
                        if taken >= share:
                            break
        except (av.error.FFmpegError, IndexError) as exc:
            raise ModelError(f"{path}: cannot read calibration footage: {exc}") from exc


def quantize(manifest: ModelManifest, footage: list[Path], *, frames: int = 60,
             out_dir: Path | None = None) -> Path:
    """Write the INT8 model and its manifest; return the manifest's path. Raises ModelError."""
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    if not footage:
        raise ModelError("quantize: give at least one clip to calibrate on (--footage FILE)")
    spec = manifest.spec
    out_dir = out_dir or manifest.manifest_path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    model_out = out_dir / f"{Path(spec.file).stem}_int8.onnx"
    manifest_out = out_dir / f"{spec.name}-int8.yaml"
    inputs = [
        {"images": prepare(picture, spec)[0][None]} for picture in calibration_frames(footage, frames)
    ]
    if not inputs:
        raise ModelError("quantize: the footage gave no frames to calibrate on")
    model = onnx.load(str(manifest.model_path))
    input_name = model.graph.input[0].name

    class Frames(CalibrationDataReader):
        def __init__(self) -> None:
            self._items = iter([{input_name: item["images"]} for item in inputs])

        def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
            return next(self._items, None)

    opset = max((entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")), default=0)
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch:
        source = Path(scratch) / "fp32.onnx"
        if opset < MIN_OPSET:
            model = version_converter.convert_version(model, MIN_OPSET)
        onnx.save(model, str(source))
        partial = Path(scratch) / model_out.name
        quantize_static(
            str(source), str(partial), Frames(), quant_format=QuantFormat.QDQ, per_channel=True,
            weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )
        partial.replace(model_out)
    raw = yaml.safe_load(manifest.manifest_path.read_text()) or {}
    raw.update(name=f"{spec.name}-int8", file=model_out.name, sha256=sha256_of(model_out))
    for upstream in ("url", "url_sha256"):  # made here: there is nothing upstream to fetch it from
        raw.pop(upstream, None)
    header = (
        f"# Static INT8 copy of {spec.name} made by `wawai model quantize` from {manifest.model_path.name}\n"
        f"# (QDQ, per-channel, MinMax over {len(inputs)} frames of: {', '.join(p.name for p in footage)}).\n"
    )
    manifest_out.write_text(header + yaml.safe_dump(raw, sort_keys=False))
    log.info("quantized %s -> %s (%d calibration frames)", spec.name, model_out, len(inputs))
    return manifest_out
