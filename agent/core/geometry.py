"""Box geometry for matching: x1, y1, x2, y2 boxes as fractions of the frame.

The tracker's hot path calls `pair_geometry` once per frame for every track against every
detection; at 20 objects a numpy operation costs more in overhead than in arithmetic, so it
computes only what every frame needs (the share inside, for the rare nested box, on demand).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PairGeometry:
    """Every a against every b: [i, j] is a[i] with b[j]."""

    iou: FloatArray
    #: Intersection areas; `inside` divides them by b's areas when it is needed.
    inter: FloatArray
    #: Frigate's size-relative distance (centre shift in box sizes, plus size change).
    dist: FloatArray
    area_a: FloatArray
    area_b: FloatArray

    def inside(self) -> FloatArray:
        """[i, j]: the share of b[j]'s area that lies inside a[i]."""
        out: FloatArray = self.inter / np.maximum(self.area_b, 1e-12)[None, :]
        return out


def pair_geometry(a: FloatArray, b: FloatArray) -> PairGeometry:
    """IoU, intersection, Frigate's distance, and both areas, in one pass."""
    aw, ah = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    area_a, area_b = aw * ah, bw * bh
    inter = _intersection(a, b)
    iou = inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-12)
    aw_, ah_ = np.maximum(aw, 1e-6)[:, None], np.maximum(ah, 1e-6)[:, None]
    bw_, bh_ = np.maximum(bw, 1e-6)[None, :], np.maximum(bh, 1e-6)[None, :]
    dx = ((b[:, 0] + b[:, 2])[None, :] - (a[:, 0] + a[:, 2])[:, None]) / (2 * aw_)
    dy = (b[None, :, 3] - a[:, None, 3]) / ah_
    wr = np.maximum(aw_, bw_) / np.minimum(aw_, bw_) - 1
    hr = np.maximum(ah_, bh_) / np.minimum(ah_, bh_) - 1
    dist = np.sqrt(dx * dx + dy * dy + wr * wr + hr * hr)
    return PairGeometry(iou, inter, dist, area_a, area_b)


def area(b: FloatArray) -> FloatArray:
    out: FloatArray = np.maximum(b[:, 2] - b[:, 0], 0.0) * np.maximum(b[:, 3] - b[:, 1], 0.0)
    return out


def _intersection(a: FloatArray, b: FloatArray) -> FloatArray:
    ix = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    iy = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    out: FloatArray = np.maximum(ix, 0.0) * np.maximum(iy, 0.0)
    return out


def inside_share(outer: FloatArray, inner: FloatArray) -> FloatArray:
    """[i, j]: the share of box inner[j]'s area that lies inside box outer[i]."""
    out: FloatArray = _intersection(outer, inner) / np.maximum(area(inner)[None, :], 1e-12)
    return out


def size_change(a: FloatArray, b: FloatArray) -> FloatArray:
    """The size part of Frigate's distance (see `pair_geometry`): how much width and height
    differ."""
    aw = np.maximum(a[:, 2] - a[:, 0], 1e-6)[:, None]
    ah = np.maximum(a[:, 3] - a[:, 1], 1e-6)[:, None]
    bw = np.maximum(b[:, 2] - b[:, 0], 1e-6)[None, :]
    bh = np.maximum(b[:, 3] - b[:, 1], 1e-6)[None, :]
    wr = np.maximum(aw, bw) / np.minimum(aw, bw) - 1
    hr = np.maximum(ah, bh) / np.minimum(ah, bh) - 1
    out: FloatArray = np.sqrt(wr**2 + hr**2)
    return out


def box_iou(a: npt.NDArray[np.floating], b: npt.NDArray[np.floating]) -> FloatArray:
    """Pairwise IoU of x1,y1,x2,y2 boxes: (len(a), len(b))."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    inter = _intersection(a64, b64)
    union = area(a64)[:, None] + area(b64)[None, :] - inter
    out: FloatArray = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
    return out
