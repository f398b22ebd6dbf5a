"""FastestDet output: (5 + classes, gh, gw), one prediction per grid cell.

Channel 0 is the objectness (sigmoid applied), 1-2 the centre offsets inside the cell (apply tanh),
3-4 width and height relative to the whole input (apply sigmoid), 5.. class scores (softmax applied).
Score ``obj^0.6 * cls^0.4`` as upstream.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def check_shape(shape: tuple[int, ...], width: int, height: int, classes: int) -> str | None:
    if len(shape) != 3 or shape[0] != 5 + classes or shape[1] < 1 or shape[2] < 1:
        want = f"[{5 + classes}, gh, gw]"
        return f"fastestdet output per picture should be {want}, the model gives {list(shape)}"
    return None


def decode(
    output: npt.NDArray[np.float32], width: int, height: int, threshold: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    _, grid_h, grid_w = output.shape
    flat = output.reshape(output.shape[0], -1).T  # (cells, 5 + classes)
    classes = flat[:, 5:].argmax(axis=1)
    cls_score = flat[np.arange(len(classes)), 5 + classes]
    obj = np.clip(flat[:, 0], 0, None)
    scores = np.power(obj, 0.6) * np.power(np.clip(cls_score, 0, None), 0.4)
    keep = np.flatnonzero(scores >= threshold)
    rows = flat[keep]
    gy, gx = np.divmod(keep, grid_w)
    cx = (gx + np.tanh(rows[:, 1])) / grid_w
    cy = (gy + np.tanh(rows[:, 2])) / grid_h
    bw = 1.0 / (1.0 + np.exp(-rows[:, 3]))
    bh = 1.0 / (1.0 + np.exp(-rows[:, 4]))
    boxes = np.stack(
        [(cx - bw / 2) * width, (cy - bh / 2) * height, (cx + bw / 2) * width, (cy + bh / 2) * height], axis=1
    ).astype(np.float32)
    return boxes, scores[keep].astype(np.float32), classes[keep].astype(np.int64)
