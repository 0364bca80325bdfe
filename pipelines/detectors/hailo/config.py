"""The Hailo detector's settings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: The score threshold compiled into the Model Zoo HEFs' NMS (hailo_model_zoo v2.14,
#: cfg/postprocess_config/yolov8s_nms_config.json): lower scores never leave libhailort.
HEF_NMS_SCORE_THRESHOLD = 0.2


class HailoDetectorConfig(BaseModel):
    """A HEF with HailoRT's built-in NMS (YOLOv5/6/8/11) run on a Hailo-8 or Hailo-8L."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["hailo"] = Field("hailo", description="Selects the Hailo-8/8L detector.")
    model: str = Field(
        "yolov8s",
        description=(
            "A model name from the Hailo manifest, `eva models list` (yolov8s, yolov8n, yolov6n, "
            "yolo11n; the file for the chip found is used; get it with `eva models fetch`) "
            "or a path to a .hef file."
        ),
    )
    score_threshold: float = Field(
        0.3, ge=0, le=1, description="Drop detections scoring below this."
    )
    labels_file: str | None = Field(
        None,
        description="Class names, one per line; empty = the manifest's labels, else COCO-80.",
    )
    timeout_ms: int = Field(
        1000, ge=10, le=60_000, description="Longest wait for one inference on the chip."
    )
    multi_process_service: bool = Field(
        False,
        description=(
            "Reach the chip through the HailoRT service (hailort.service), so other programs "
            "(hailo-apps, another agent) can use it at the same time; every Hailo camera of "
            "the agent must agree. False = this agent holds the chip alone, its cameras share it."
        ),
    )
    group_id: str = Field(
        "SHARED",
        min_length=1,
        description=(
            "With multi_process_service: the HailoRT group the programs sharing the chip join; "
            "use the same value in each."
        ),
    )
