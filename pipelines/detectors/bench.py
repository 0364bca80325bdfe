"""Latency measurement for `eva bench`."""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from pipelines.detectors.base import Detector


def measure_latency(
    detector: Detector, image: npt.NDArray[np.uint8], runs: int, *, warmup: int = 3
) -> dict[str, float]:
    """Median, p95 and mean milliseconds of `detector.detect(image)`, preprocessing included."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    # The first runs pay for allocations and thread start-up, which steady operation never sees.
    for _ in range(warmup):
        detector.detect(image)
    times = np.empty(runs)
    for i in range(runs):
        start = time.perf_counter()
        detector.detect(image)
        times[i] = time.perf_counter() - start
    ms = times * 1000
    return {
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "mean_ms": float(ms.mean()),
        "runs": float(runs),
    }
