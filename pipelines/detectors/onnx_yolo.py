"""YOLO-family ONNX models on the CPU with ONNX Runtime."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OnnxDetectorConfig(BaseModel):
    """A YOLO ONNX model (v3/v5 with objectness, or v8/YOLO11) run by ONNX Runtime on the CPU."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["onnx"] = Field("onnx", description="Selects the ONNX Runtime CPU detector.")
    model: str = Field(
        "yolov3-tiny",
        description="'yolov3-tiny' (built at setup from the bundled weights) or a path to a .onnx file.",
    )
    input_size: int = Field(
        416, ge=64, le=1920, multiple_of=32, description="Square network input in pixels."
    )
    score_threshold: float = Field(
        0.3, ge=0, le=1, description="Drop detections scoring below this."
    )
    iou_threshold: float = Field(0.45, ge=0, le=1, description="Overlap above which NMS merges boxes.")
    threads: int = Field(2, ge=1, le=64, description="CPU threads ONNX Runtime may use.")
    labels_file: str | None = Field(
        None,
        description="Class names, one per line; empty = from the model's metadata, else COCO-80.",
    )
