"""Detector backends: each turns a BGR frame into `Detections`.

A backend is registered here once: its config class in `DetectorConfig` and its class in
`_BACKENDS`, keyed by the config's `type`.
"""

from __future__ import annotations

import importlib
from typing import Annotated

from pydantic import Field

from eva_errors import DetectorError
from pipelines.detectors.base import Detector
from pipelines.detectors.hailo.config import HailoDetectorConfig
from pipelines.detectors.on_sensor import OnSensorDetectorConfig
from pipelines.detectors.onnx_yolo import OnnxDetectorConfig

__all__ = ["Detector", "DetectorConfig", "build_detector"]

DetectorConfig = Annotated[
    OnnxDetectorConfig | HailoDetectorConfig | OnSensorDetectorConfig,
    Field(discriminator="type"),
]

# type -> (module, class, constructor). Each backend module is imported only when chosen:
# onnxruntime or hailo_platform cost nothing on a machine that uses the other.
_BACKENDS: dict[str, tuple[str, str, str | None]] = {
    "onnx": ("pipelines.detectors.onnx_yolo", "OnnxDetector", None),
    "hailo": ("pipelines.detectors.hailo.detector", "HailoDetector", "open"),
    "imx500": ("pipelines.detectors.on_sensor", "OnSensorDetector", None),
}


def build_detector(
    config: OnnxDetectorConfig | HailoDetectorConfig | OnSensorDetectorConfig,
) -> Detector:
    """The detector a config selects; runtimes and SDKs are imported only here."""
    if config.type not in _BACKENDS:
        raise DetectorError(f"unknown detector type {config.type!r}: use {', '.join(_BACKENDS)}")
    module, name, constructor = _BACKENDS[config.type]
    cls = getattr(importlib.import_module(module), name)
    detector: Detector = getattr(cls, constructor)(config) if constructor else cls(config)
    return detector
