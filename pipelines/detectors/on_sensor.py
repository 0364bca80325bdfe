"""The detector entry for cameras whose sensor runs the network (the IMX500 AI Camera)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from eva_errors import DetectorError
from pipelines.detections import Detections
from pipelines.detectors.base import Detector


class OnSensorDetectorConfig(BaseModel):
    """Detection happens on the camera's sensor; the network and its settings are in the source."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["imx500"] = Field(
        "imx500",
        description=(
            "The network runs on the AI Camera's IMX500 sensor; choose it in the source "
            "section (source type imx500: network, score_threshold, labels)."
        ),
    )


class OnSensorDetector(Detector):
    """A marker: frames from an IMX500 source carry detections, so this never runs."""

    def __init__(self, config: OnSensorDetectorConfig | None = None) -> None:
        self.config = config or OnSensorDetectorConfig()

    def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        """Always fails: the runner uses `frame.detections` from the IMX500 source instead."""
        raise DetectorError(
            "the IMX500 network runs on the sensor: "
            "use source type imx500 with detector type imx500"
        )
