"""YOLOv8/YOLO11-style output (Ultralytics ONNX export): (4 + classes, anchors).

Rows 0-3 are the box centre and size in input pixels, the rest class scores with the sigmoid applied
(there is no objectness). Also accepts the transposed (anchors, 4 + classes) layout.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def check_shape(shape: tuple[int, ...], width: int, height: int, classes: int) -> str | None:
    if len(shape) == 2 and (4 + classes) in shape:
        return None
    return f"yolov8 output per picture should be [{4 + classes}, anchors], the model gives {list(shape)}"


def decode(
    output: npt.NDArray[np.float32], width: int, height: int, threshold: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    # Channels come first in the upstream export; anchors always outnumber channels.
    rows = output.T if output.shape[0] < output.shape[1] else output
    class_scores = rows[:, 4:]
    classes = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(classes)), classes]
    keep = scores >= threshold
    box = rows[keep, :4]
    boxes = np.concatenate([box[:, :2] - box[:, 2:] / 2, box[:, :2] + box[:, 2:] / 2], axis=1)
    return boxes.astype(np.float32), scores[keep].astype(np.float32), classes[keep].astype(np.int64)
