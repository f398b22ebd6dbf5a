"""The ONNX detector: one onnxruntime session, checked against its manifest at start.

Everything that can be wrong with a model (missing file, checksum, input size, output layout) is found
here, before any camera depends on it, and raised as a one-line ``ModelError``.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from analytics.decoders import OutputFormat, output_format
from analytics.detection import Detection
from analytics.manifest import ModelError, ModelManifest
from analytics.nms import nms
from analytics.preprocess import Transform, prepare
from wawai.media import BGRImage

log = logging.getLogger(__name__)


class Detector:
    def __init__(
        self, manifest: ModelManifest, *, threads: int = 2, providers: list[str] | None = None
    ) -> None:
        self.manifest = manifest
        spec = manifest.spec
        try:
            self.format: OutputFormat = output_format(spec.format)
        except KeyError as exc:
            raise ModelError(f"{manifest.manifest_path.name}: {exc.args[0]}") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.providers = _usable_providers(providers or ["CPUExecutionProvider"])
        try:
            self.session = ort.InferenceSession(str(manifest.model_path), options, providers=self.providers)
        except Exception as exc:  # onnxruntime raises several private exception types
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise ModelError(f"{manifest.model_path}: onnxruntime cannot load it: {reason}") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ModelError(f"{manifest.model_path}: expected one input, the model has {len(inputs)}")
        self.input_name = inputs[0].name
        shape = list(inputs[0].shape)
        want = [None, 3, spec.input.height, spec.input.width]
        if len(shape) != 4 or any(
            isinstance(got, int) and got > 0 and exp is not None and got != exp
            for got, exp in zip(shape, want, strict=True)
        ):
            raise ModelError(
                f"{manifest.model_path}: input shape {shape} does not match the manifest "
                f"{spec.input.width}x{spec.input.height} ({manifest.manifest_path.name})"
            )
        self.dynamic_batch = not (isinstance(shape[0], int) and shape[0] > 0)
        # Run once on a blank picture: the output's real shape, and the first-run cost paid at start.
        blank = np.zeros((1, 3, spec.input.height, spec.input.width), dtype=np.float32)
        try:
            output = self.session.run(None, {self.input_name: blank})[0]
        except Exception as exc:  # onnxruntime's own exception types
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            size = f"{spec.input.width}x{spec.input.height}"
            raise ModelError(f"{manifest.model_path}: fails on a blank {size} input: {reason}") from None
        problem = self.format.check_shape(
            tuple(output.shape[1:]), spec.input.width, spec.input.height, len(manifest.labels)
        )
        if problem:
            raise ModelError(f"{manifest.model_path}: {problem} ({manifest.manifest_path.name})")
        if self.dynamic_batch and not self._batch_works(blank):
            # Declared free, but the graph hard-codes a batch of 1 somewhere (a Reshape): run one by one.
            log.warning("%s: the batch axis is declared free but a batch of 2 fails; running pictures "
                        "one at a time", manifest.model_path.name)
            self.dynamic_batch = False

    def _batch_works(self, blank: npt.NDArray[np.float32]) -> bool:
        try:
            output = self.session.run(None, {self.input_name: np.concatenate([blank, blank])})[0]
        except Exception:  # onnxruntime's own exception types
            return False
        return bool(output.shape[0] == 2)

    @property
    def name(self) -> str:
        return self.manifest.name

    def detect_batch(self, images: list[BGRImage], threshold: float) -> list[list[Detection]]:
        """Detections above ``threshold`` for each picture; one session run when the batch axis is free."""
        prepared = [prepare(image, self.manifest.spec) for image in images]
        if self.dynamic_batch and len(prepared) > 1:
            batch = np.stack([tensor for tensor, _ in prepared])
            outputs = list(self.session.run(None, {self.input_name: batch})[0])
        else:
            outputs = [
                self.session.run(None, {self.input_name: tensor[None]})[0][0] for tensor, _ in prepared
            ]
        return [
            self._decode(output, transform, image.shape[1], image.shape[0], threshold)
            for output, (_, transform), image in zip(outputs, prepared, images, strict=True)
        ]

    def detect(self, image: BGRImage, threshold: float) -> list[Detection]:
        return self.detect_batch([image], threshold)[0]

    def _decode(
        self, output: npt.NDArray[np.float32], transform: Transform, width: int, height: int, threshold: float
    ) -> list[Detection]:
        spec = self.manifest.spec
        boxes, scores, classes = self.format.decode(output, spec.input.width, spec.input.height, threshold)
        if len(boxes) == 0:
            return []
        keep = nms(boxes, scores, classes, spec.nms_iou)
        boxes = transform.to_picture(boxes[keep])
        boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, width)
        boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, height)
        labels = self.manifest.labels
        found = []
        for box, score, cls in zip(boxes, scores[keep], classes[keep], strict=True):
            if box[2] - box[0] < 1 or box[3] - box[1] < 1:
                continue
            label = labels[int(cls)] if int(cls) < len(labels) else str(int(cls))
            x1, y1, x2, y2 = (float(v) for v in box)
            found.append(Detection(x1, y1, x2, y2, float(score), label))
        return found


def _usable_providers(wanted: list[str]) -> list[str]:
    available = set(ort.get_available_providers())
    usable = [name for name in wanted if name in available]
    missing = [name for name in wanted if name not in available]
    if missing:
        log.warning("onnxruntime providers not available here, skipped: %s", ", ".join(missing))
    return usable or ["CPUExecutionProvider"]


