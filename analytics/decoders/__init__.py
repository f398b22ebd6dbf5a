"""Output decoders, one module per model family, chosen by the manifest's ``format``.

A decoder turns one picture's raw output (the batch axis removed) into boxes in model-input pixels
(x1, y1, x2, y2), scores and class indices, above a score threshold; NMS and the letterbox are undone
by the detector, so every decoder stays a pure function of the tensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from analytics.decoders import fastestdet, yolov8, yolox

Decoded = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.int64]]


class DecodeFn(Protocol):
    def __call__(
        self, output: npt.NDArray[np.float32], width: int, height: int, threshold: float
    ) -> Decoded: ...


class ShapeCheckFn(Protocol):
    def __call__(self, shape: tuple[int, ...], width: int, height: int, classes: int) -> str | None: ...


@dataclass(frozen=True)
class OutputFormat:
    name: str
    decode: DecodeFn
    check_shape: ShapeCheckFn  # None when the shape fits, else what is wrong


FORMATS: dict[str, OutputFormat] = {
    "yolox": OutputFormat("yolox", yolox.decode, yolox.check_shape),
    "fastestdet": OutputFormat("fastestdet", fastestdet.decode, fastestdet.check_shape),
    "yolov8": OutputFormat("yolov8", yolov8.decode, yolov8.check_shape),
}


def output_format(name: str) -> OutputFormat:
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise KeyError(f"unknown output format {name!r} (known: {known})") from None


