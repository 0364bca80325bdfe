"""Detector backends: each turns a BGR frame into `Detections`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.detectors.base import Detector, DetectorError

if TYPE_CHECKING:
    from pipelines.detectors.hailo import HailoDetectorConfig
    from pipelines.detectors.on_sensor import OnSensorDetectorConfig
    from pipelines.detectors.onnx_yolo import OnnxDetectorConfig

__all__ = ["Detector", "DetectorError", "build_detector"]


def build_detector(
    config: OnnxDetectorConfig | HailoDetectorConfig | OnSensorDetectorConfig,
) -> Detector:
    """The detector a config selects; runtimes and SDKs are imported only here."""
    # Each backend is imported only when chosen: onnxruntime or hailo_platform cost
    # nothing on a machine that uses the other.
    if config.type == "onnx":
        from pipelines.detectors.onnx_yolo import OnnxDetector

        return OnnxDetector(config)
    if config.type == "hailo":
        from pipelines.detectors.hailo import HailoDetector

        return HailoDetector.open(config)
    if config.type == "imx500":
        from pipelines.detectors.on_sensor import OnSensorDetector

        return OnSensorDetector(config)
    raise DetectorError(f"unknown detector type {config.type!r}: use onnx, hailo or imx500")
