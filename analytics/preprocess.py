"""Turning a BGR picture into a model input tensor, and model coordinates back into picture pixels."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from analytics.manifest import ManifestFile
from wawai.media import BGRImage


@dataclass(frozen=True, slots=True)
class Transform:
    """Model input pixel = picture pixel * scale + pad (per axis)."""

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float

    def to_picture(self, boxes: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        out = boxes.copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.scale_x
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.scale_y
        return out


def prepare(image: BGRImage, spec: ManifestFile) -> tuple[npt.NDArray[np.float32], Transform]:
    """A (3, H, W) float32 tensor for the model and the transform that undoes its geometry."""
    height, width = image.shape[:2]
    in_w, in_h = spec.input.width, spec.input.height
    if spec.letterbox == "none":
        resized = cv2.resize(image, (in_w, in_h), interpolation=cv2.INTER_LINEAR)
        transform = Transform(in_w / width, in_h / height, 0.0, 0.0)
        canvas = resized
    else:
        ratio = min(in_w / width, in_h / height)
        new_w, new_h = max(1, round(width * ratio)), max(1, round(height * ratio))
        resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        canvas = np.full((in_h, in_w, 3), spec.pad_value, dtype=np.uint8)
        pad_x = (in_w - new_w) // 2 if spec.letterbox == "center" else 0
        pad_y = (in_h - new_h) // 2 if spec.letterbox == "center" else 0
        canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
        transform = Transform(new_w / width, new_h / height, float(pad_x), float(pad_y))
    if spec.input.colour == "rgb":
        canvas = canvas[:, :, ::-1]
    tensor = canvas.transpose(2, 0, 1).astype(np.float32)
    if spec.input.scale != 1.0:
        tensor *= np.float32(spec.input.scale)
    return np.ascontiguousarray(tensor), transform
