"""Latency measurement for `eva bench`."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from pipelines.detectors.base import Detector


def measure_latency(
    detector: Detector, image: npt.NDArray[np.uint8], runs: int, *, warmup: int = 3
) -> dict[str, float]:
    """Median, p95 and mean milliseconds of `detector.detect(image)`, preprocessing included."""
    return time_calls(lambda: detector.detect(image), runs, warmup=warmup)


def time_calls(fn: Callable[[], object], runs: int, *, warmup: int = 3) -> dict[str, float]:
    """Median, p95 and mean milliseconds of `runs` calls of `fn`, after `warmup` calls."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    # The first runs pay for allocations and thread start-up, which steady operation never sees.
    for _ in range(warmup):
        fn()
    times = np.empty(runs)
    for i in range(runs):
        start = time.perf_counter()
        fn()
        times[i] = time.perf_counter() - start
    ms = times * 1000
    return {
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "mean_ms": float(ms.mean()),
        "runs": float(runs),
    }


def hailo_host_overhead(
    image: npt.NDArray[np.uint8], runs: int, input_size: tuple[int, int] = (640, 640)
) -> dict[str, dict[str, float]]:
    """What the agent adds around a Hailo inference: letterboxing and NMS-output decoding.

    The decoder gets HailoRT's NMS-by-class layout for 80 classes with 10 boxes, a busy
    scene; the chip's own time is not part of this (it is in the published figures).
    """
    from pipelines.detectors.hailo.decode import decode_hailo_nms
    from pipelines.detectors.hailo.detector import letterbox_rgb_uint8
    from pipelines.models.labels import coco80_names

    names = coco80_names()
    rng = np.random.default_rng(0)
    output = [np.zeros((0, 5), np.float32) for _ in names]
    for class_id in (0, 0, 0, 2, 2, 16, 19, 19, 19, 19):
        y0, x0 = rng.uniform(0.15, 0.6, 2)
        row = np.array([[y0, x0, y0 + 0.2, x0 + 0.15, rng.uniform(0.4, 0.9)]], np.float32)
        output[class_id] = np.concatenate([output[class_id], row])
    boxed = letterbox_rgb_uint8(image, input_size)
    height, width = image.shape[:2]
    return {
        "letterbox": time_calls(lambda: letterbox_rgb_uint8(image, input_size), runs),
        "decode": time_calls(
            lambda: decode_hailo_nms(
                output,
                names,
                frame_size=(width, height),
                input_size=input_size,
                scale=boxed.scale,
                pad_x=boxed.pad_x,
                pad_y=boxed.pad_y,
                score_threshold=0.3,
            ),
            runs,
        ),
    }


def imx500_host_overhead(runs: int) -> dict[str, float]:
    """Decoding one frame's IMX500 output tensors (SSD layout, 100 rows, 10 kept) and
    mapping the boxes to a 2028x1520 main image; the sensor's own time is not part of it."""
    from pipelines.detectors.imx500_decode import (
        TensorLayout,
        coco90_names,
        decode_outputs,
        map_to_frame,
    )

    rng = np.random.default_rng(0)
    rows = 100
    y0x0 = rng.uniform(0.1, 0.6, (rows, 2)).astype(np.float32)
    boxes = np.concatenate([y0x0, y0x0 + 0.2], axis=1)[None]
    scores = np.where(np.arange(rows) < 10, 0.8, 0.01).astype(np.float32)[None]
    classes = rng.integers(0, 80, rows).astype(np.float32)[None]
    outputs = [boxes, scores, classes, np.array([[float(rows)]], np.float32)]
    layout = TensorLayout(input_size=(320, 320), labels=coco90_names())
    size = (2028, 1520)

    def convert(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        y_0, x_0, y_1, x_1 = box
        return x_0 * size[0], y_0 * size[1], (x_1 - x_0) * size[0], (y_1 - y_0) * size[1]

    def once() -> object:
        found = decode_outputs(outputs, layout, 0.5)
        if found is None:
            raise RuntimeError("the benchmark's tensors were not decoded")
        return map_to_frame(found, convert, size)

    return time_calls(once, runs)
