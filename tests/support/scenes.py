"""Synthetic detections for core tests: boxes that move on a script, with a fake clock."""

from __future__ import annotations

import numpy as np

from pipelines.detections import Detections

T0 = 1_800_000_000.0  # a fixed epoch second, so tests do not depend on the wall clock


def dets(*objects: tuple[str, tuple[float, float, float, float], float]) -> Detections:
    """Detections from (label, (x1, y1, x2, y2), score) triples."""
    if not objects:
        return Detections.empty()
    labels = [o[0] for o in objects]
    names = sorted(set(labels))
    return Detections.build(
        np.array([o[1] for o in objects], np.float32),
        [o[2] for o in objects],
        [names.index(lb) for lb in labels],
        names,
    )


def box_at(cx: float, bottom: float, w: float = 0.1, h: float = 0.2) -> tuple[float, ...]:
    """A box whose anchor (bottom centre) is at (cx, bottom)."""
    return (cx - w / 2, bottom - h, cx + w / 2, bottom)
