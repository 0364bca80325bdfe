"""One real inference on a Hailo-8/8L; skipped unless hailo_platform and a chip are present."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from eva_errors import DetectorError
from pipelines.detectors.hailo.chip import detect_architecture
from pipelines.detectors.hailo.config import HailoDetectorConfig
from pipelines.detectors.hailo.detector import HailoDetector
from pipelines.models.hailo_manifest import resolve_hef

pytestmark = pytest.mark.hardware


def _sdk_with_a_device() -> Any:
    try:
        import hailo_platform
    except ImportError:
        pytest.skip(
            "hailo_platform is not installed (sudo apt install hailo-all, and a venv made "
            "with --system-site-packages)"
        )
    try:
        ids = hailo_platform.Device.scan()
    except Exception as exc:  # the SDK raises its own types
        pytest.skip(f"hailo_platform cannot scan for devices: {exc}")
    if not ids:
        pytest.skip("no Hailo device found (see `hailortcli fw-control identify`)")
    return hailo_platform


@pytest.fixture(scope="module")
def detector() -> Iterator[HailoDetector]:
    _sdk_with_a_device()
    arch = detect_architecture()
    assert arch in ("hailo8", "hailo8l")
    try:
        resolve_hef("yolov8s", arch)
    except DetectorError as exc:
        pytest.skip(f"no yolov8s HEF for this chip: {exc}")
    det = HailoDetector.open(HailoDetectorConfig(model="yolov8s", score_threshold=0.3))
    yield det
    det.close()


def test_one_real_inference_finds_the_astronaut(detector: HailoDetector) -> None:
    data = pytest.importorskip("skimage.data")
    frame = np.ascontiguousarray(data.astronaut()[..., ::-1])  # RGB photo -> BGR frame
    frame = frame[:, :400]  # not square, so the letterbox pads
    detector.detect(frame)  # the first run pays for warm-up
    start = time.perf_counter()
    det = detector.detect(frame)
    elapsed_ms = (time.perf_counter() - start) * 1000
    print(f"Hailo {detector.hef_path.name}: {elapsed_ms:.1f} ms, {len(det)} detections")
    people = det.select(np.array([label == "person" for label in det.labels], bool))
    assert len(people) >= 1, f"no person found; got {det.labels}"
    x1, y1, x2, y2 = people.boxes[0]
    # The astronaut fills the left-centre of the photo from the top to the bottom.
    assert x1 < 0.4 and x2 > 0.5 and y1 < 0.2 and y2 > 0.8
    assert people.scores[0] >= 0.5


def test_a_second_camera_shares_the_chip(detector: HailoDetector) -> None:
    """A second VDevice in one process would fail (HAILO_OUT_OF_PHYSICAL_DEVICES); the
    second detector joins the first one's instead and both run."""
    data = pytest.importorskip("skimage.data")
    frame = np.ascontiguousarray(data.astronaut()[..., ::-1])
    second = HailoDetector.open(HailoDetectorConfig(model="yolov8s", score_threshold=0.3))
    try:
        assert "person" in second.detect(frame).labels
        assert "person" in detector.detect(frame).labels
    finally:
        second.close()
    assert "person" in detector.detect(frame).labels  # the first still holds the chip
