"""Where to run the detector on a picture much larger than the model input: crops around motion.

Detecting a 4K picture shrunk to 416 pixels loses every small person; cropping the moving parts (and
the tracked objects) at the model's own resolution keeps them. Crops that overlap are merged; when the
crops would cover most of the picture anyway, the whole picture is cheaper.
"""

from __future__ import annotations

Box = tuple[float, float, float, float]
Crop = tuple[int, int, int, int]


def needs_crops(frame_w: int, frame_h: int, model_w: int, model_h: int, factor: float = 2.0) -> bool:
    """Whether the picture is so much larger than the model input that shrinking it loses detail."""
    return frame_w >= factor * model_w or frame_h >= factor * model_h


def _overlaps(a: Crop, b: Crop) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _union(a: Crop, b: Crop) -> Crop:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def crops_for(
    boxes: list[Box],
    frame_w: int,
    frame_h: int,
    model_w: int,
    model_h: int,
    *,
    margin: float = 0.25,
    max_crops: int = 4,
    max_cover: float = 0.5,
) -> list[Crop] | None:
    """Crops (x1, y1, x2, y2) covering ``boxes``, each at least the model size; None: the whole picture."""
    crops: list[Crop] = []
    for x1, y1, x2, y2 in boxes:
        pad_x, pad_y = (x2 - x1) * margin, (y2 - y1) * margin
        w = max(model_w, (x2 - x1) + 2 * pad_x)
        h = max(model_h, (y2 - y1) + 2 * pad_y)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        left = int(min(max(0.0, cx - w / 2), max(0.0, frame_w - w)))
        top = int(min(max(0.0, cy - h / 2), max(0.0, frame_h - h)))
        crops.append((left, top, min(frame_w, int(left + w)), min(frame_h, int(top + h))))
    merged = True
    while merged:
        merged = False
        for i in range(len(crops)):
            for j in range(i + 1, len(crops)):
                if _overlaps(crops[i], crops[j]):
                    crops[i] = _union(crops[i], crops[j])
                    del crops[j]
                    merged = True
                    break
            if merged:
                break
    cover = sum((c[2] - c[0]) * (c[3] - c[1]) for c in crops) / float(frame_w * frame_h)
    if not crops or len(crops) > max_crops or cover > max_cover:
        return None
    return crops
