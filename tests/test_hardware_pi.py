"""On a Raspberry Pi with a camera: grab real frames. Skipped, with the reason, anywhere else.

Run with `pytest -m hardware tests/test_hardware_pi.py`; the result is the exit code.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipelines.frames import Frame
from pipelines.sources.base import FrameSource
from pipelines.sources.imx500 import DEFAULT_NETWORK, Imx500Source, Imx500SourceConfig
from pipelines.sources.picamera import PiCameraSource, PiCameraSourceConfig

pytestmark = pytest.mark.hardware

MODELS = Path("/usr/share/imx500-models")
# The first upload of a network to the IMX500 takes minutes; later starts are quick.
IMX500_WAIT = 600.0


def cameras() -> list[dict[str, Any]]:
    """What libcamera lists, or a skip saying why there is nothing to test."""
    if importlib.util.find_spec("picamera2") is None:
        pytest.skip("picamera2 is not importable (not a Pi, or the venv lacks system packages)")
    from picamera2 import Picamera2

    found: list[dict[str, Any]] = Picamera2.global_camera_info()
    if not found:
        pytest.skip("no camera connected (`rpicam-hello --list-cameras` lists none)")
    return found


def first_frame(source: FrameSource, timeout: float) -> Frame | None:
    """The first frame, or None if none came within `timeout` seconds."""
    timer = threading.Timer(timeout, source.close)
    timer.start()
    try:
        return next(iter(source.frames()), None)
    finally:
        timer.cancel()
        source.close()


def test_picamera_grabs_a_bgr_frame_with_a_current_timestamp() -> None:
    found = cameras()
    # camera_num is the place in this (sorted) list, as Picamera2(n) takes it, not "Num".
    num = next((i for i, c in enumerate(found) if str(c.get("Model")) != "imx500"), 0)
    config = PiCameraSourceConfig(camera_num=num, main_size=(1280, 720), lores_size=(640, 360))
    frame = first_frame(PiCameraSource(config), timeout=30)
    assert frame is not None, "no frame within 30 s"
    assert isinstance(frame, Frame)
    assert frame.image.shape == (720, 1280, 3) and frame.image.dtype == np.uint8
    assert frame.analysis is not None and frame.analysis.shape == (360, 640, 3)
    assert abs(frame.timestamp - time.time()) < 5
    assert frame.image.std() > 1, "the image is flat: lens cap on, or no light?"


@pytest.mark.parametrize(
    "network",
    [DEFAULT_NETWORK, str(MODELS / "imx500_network_yolov8n_pp.rpk")],
    ids=["ssd", "yolov8n-without-intrinsics"],
)
def test_imx500_grabs_a_frame_with_detections(network: str) -> None:
    found = cameras()
    if not any(str(c.get("Model")) == "imx500" for c in found):
        pytest.skip("no Raspberry Pi AI Camera (IMX500) connected")
    if not MODELS.is_dir() or not Path(network).is_file():
        pytest.skip(f"{network} missing: `sudo apt install imx500-all`")
    config = Imx500SourceConfig(network=network)
    frame = first_frame(Imx500Source(config), timeout=IMX500_WAIT)
    assert frame is not None, f"no IMX500 output within {IMX500_WAIT:.0f} s"
    assert frame.image.shape == (1520, 2028, 3)
    assert frame.detections is not None
    assert abs(frame.timestamp - time.time()) < 5
