"""YOLOX output: (anchors, 5 + classes) rows over stride 8/16/32 grids.

Each row is ``[dx, dy, log_w, log_h, obj, cls...]`` with obj and cls already passed through a sigmoid
(the upstream export with decode-in-inference off). Box: ``cx = (dx + gx) * s``, ``w = exp(log_w) * s``;
score ``obj * cls``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

STRIDES = (8, 16, 32)


@lru_cache(maxsize=8)
def _grid(width: int, height: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Per-anchor grid offsets (gx, gy) and strides, in the network's row order."""
    cells: list[npt.NDArray[np.float32]] = []
    strides: list[npt.NDArray[np.float32]] = []
    for stride in STRIDES:
        gh, gw = height // stride, width // stride
        ys, xs = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
        cells.append(np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32))
        strides.append(np.full((gh * gw, 1), stride, dtype=np.float32))
    return np.concatenate(cells), np.concatenate(strides)


def anchors(width: int, height: int) -> int:
    return sum((height // s) * (width // s) for s in STRIDES)


def check_shape(shape: tuple[int, ...], width: int, height: int, classes: int) -> str | None:
    expected = (anchors(width, height), 5 + classes)
    if tuple(shape) != expected:
        return f"yolox output per picture should be {list(expected)}, the model gives {list(shape)}"
    return None


def decode(
    output: npt.NDArray[np.float32], width: int, height: int, threshold: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    grid, strides = _grid(width, height)
    # score = obj * cls <= obj: rows whose objectness is already below the threshold cannot pass.
    candidates = np.flatnonzero(output[:, 4] >= threshold)
    rows, grid, strides = output[candidates], grid[candidates], strides[candidates]
    class_scores = rows[:, 5:] * rows[:, 4:5]
    classes = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(classes)), classes]
    keep = scores >= threshold
    rows, grid, strides = rows[keep], grid[keep], strides[keep]
    centre = (rows[:, 0:2] + grid) * strides
    size = np.exp(rows[:, 2:4]) * strides
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1).astype(np.float32)
    return boxes, scores[keep].astype(np.float32), classes[keep].astype(np.int64)
