"""Detector backends: each turns a BGR frame into `Detections`."""

from __future__ import annotations

from pipelines.detectors.base import Detector, DetectorError
from pipelines.detectors.onnx_yolo import OnnxDetectorConfig

__all__ = ["Detector", "DetectorError", "OnnxDetectorConfig", "build_detector"]


def build_detector(config: OnnxDetectorConfig) -> Detector:
    """The detector a config selects; runtimes and SDKs are imported only here."""
    if config.type == "onnx":
        from pipelines.detectors.onnx_yolo import OnnxDetector

        return OnnxDetector(config)
    raise DetectorError(f"unknown detector type {config.type!r}")
