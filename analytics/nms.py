"""Non-maximum suppression per class, on numpy arrays (boxes as x1, y1, x2, y2)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def iou_matrix(a: npt.NDArray[np.floating], b: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """IoU of every box in ``a`` (N, 4) against every box in ``b`` (M, 4)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float64)
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def nms(
    boxes: FloatArray, scores: FloatArray, classes: IntArray, iou: float, max_boxes: int = 1000
) -> IntArray:
    """Indices kept, highest score first; boxes of different classes never suppress each other.

    Only the ``max_boxes`` best-scoring boxes take part (the usual pre-NMS top-k), which also bounds the
    IoU matrix computed here in one go.
    """
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(-scores, kind="stable")[:max_boxes]
    # Offsetting each class far apart makes one pass handle all classes (the usual batched-NMS trick).
    offset = classes[order].astype(np.float64)[:, None] * (float(boxes.max()) + 1.0)
    shifted = boxes[order].astype(np.float64) + offset
    overlaps = iou_matrix(shifted, shifted) > iou
    suppressed = np.zeros(len(order), dtype=bool)
    keep: list[int] = []
    for rank in range(len(order)):
        if suppressed[rank]:
            continue
        keep.append(int(order[rank]))
        suppressed |= overlaps[rank]
    return np.asarray(keep, dtype=np.int64)
