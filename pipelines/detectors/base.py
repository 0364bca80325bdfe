"""The interface every detector backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import numpy.typing as npt

from pipelines.detections import Detections


class Detector(ABC):
    """Turns one BGR image into detections with boxes normalized to that image."""

    #: Class names indexed by class id.
    names: tuple[str, ...] = ()

    @abstractmethod
    def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        """Detect objects in a BGR image of any size."""

    def close(self) -> None:  # noqa: B027 - optional hook; most detectors hold nothing
        """Release the runtime or device."""
