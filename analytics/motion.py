"""Motion on a small grey picture: the cheap test that decides whether (and where) the detector runs.

A running-average background at ``width`` pixels wide, thresholded difference, masked where the
camera's ``motion_masks`` say motion means nothing (trees, clocks, LED signs), then dilated blobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from wawai.media import BGRImage

Box = tuple[float, float, float, float]
_KERNEL = np.ones((3, 3), dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class Motion:
    moving: bool
    fraction: float  # share of the (unmasked) picture that changed
    regions: list[Box] = field(default_factory=list)  # x1, y1, x2, y2 in frame pixels


class MotionGate:
    def __init__(
        self,
        masks: list[list[tuple[float, float]]] | None = None,
        *,
        width: int = 160,
        threshold: int = 25,
        min_blob_fraction: float = 0.0004,
        learn_rate: float = 0.05,
    ) -> None:
        self.masks = masks or []
        self.width = width
        self.threshold = threshold
        self.min_blob_fraction = min_blob_fraction
        self.learn_rate = learn_rate
        self._background: npt.NDArray[np.float32] | None = None
        self._keep: npt.NDArray[np.uint8] | None = None  # 255 where motion counts, 0 under a mask

    def _small(self, image: BGRImage) -> npt.NDArray[np.uint8]:
        height, width = image.shape[:2]
        small_h = max(1, round(height * self.width / width))
        small = cv2.resize(image, (self.width, small_h), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        return np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), dtype=np.uint8)

    def _mask_for(self, shape: tuple[int, int]) -> npt.NDArray[np.uint8]:
        if self._keep is None or self._keep.shape != shape:
            keep = np.full(shape, 255, dtype=np.uint8)
            height, width = shape
            for polygon in self.masks:
                points = np.array([[x * width, y * height] for x, y in polygon], dtype=np.int32)
                cv2.fillPoly(keep, [points], 0)
            self._keep = keep
        return self._keep

    def update(self, image: BGRImage) -> Motion:
        small = self._small(image)
        if self._background is None or self._background.shape != small.shape:
            self._background = small.astype(np.float32)
            return Motion(False, 0.0)
        diff = cv2.absdiff(small, cv2.convertScaleAbs(self._background))
        cv2.accumulateWeighted(small, self._background, self.learn_rate)
        _, binary = cv2.threshold(diff, self.threshold, 255, cv2.THRESH_BINARY)
        keep = self._mask_for(small.shape[:2])
        binary = cv2.bitwise_and(binary, keep)
        binary = cv2.dilate(binary, _KERNEL, iterations=2)
        counted = max(1, int(np.count_nonzero(keep)))
        fraction = float(np.count_nonzero(binary)) / counted
        contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        scale = image.shape[1] / small.shape[1]
        min_area = self.min_blob_fraction * small.shape[0] * small.shape[1]
        regions: list[Box] = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            if w * h >= min_area:
                regions.append((x * scale, y * scale, (x + w) * scale, (y + h) * scale))
        return Motion(bool(regions), fraction, regions)
