"""A frame as it leaves a source."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pipelines.detections import Detections


@dataclass(frozen=True, slots=True)
class Frame:
    """One image in BGR order (OpenCV's), with the time it was captured.

    `timestamp` is seconds since the epoch. Live sources use the capture time; file and
    folder sources use the start of playback plus the media position, so a replay run
    as fast as possible still has the timing of the original.
    """

    image: npt.NDArray[np.uint8]
    timestamp: float
    index: int
    #: Set by sources whose sensor runs the network (IMX500); the detector is then skipped.
    detections: Detections | None = None
    #: A smaller image of the same view for the detector (the Pi camera's lores stream);
    #: boxes are normalized, so detections on it are detections on `image`.
    analysis: npt.NDArray[np.uint8] | None = None

    @property
    def detector_input(self) -> npt.NDArray[np.uint8]:
        """The image a detector should get: the small one when the source made one."""
        return self.image if self.analysis is None else self.analysis

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        h, w = self.image.shape[:2]
        return w, h
