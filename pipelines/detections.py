"""The one detection type every backend produces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Detections:
    """Objects found in one frame.

    `boxes` are (N, 4) as x1, y1, x2, y2 normalized to the frame (0..1), so zones and
    trackers never care about the source resolution or the detector's input size.
    """

    boxes: FloatArray
    scores: FloatArray
    class_ids: IntArray
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.labels)
        if self.boxes.shape != (n, 4):
            raise ValueError(f"boxes must have shape ({n}, 4), got {self.boxes.shape}")
        if self.scores.shape != (n,) or self.class_ids.shape != (n,):
            raise ValueError(
                f"scores and class_ids must have shape ({n},), "
                f"got {self.scores.shape} and {self.class_ids.shape}"
            )
        if n:
            if not np.all(np.isfinite(self.boxes)):
                raise ValueError("boxes contain NaN or infinity")
            if np.any(self.boxes < -1e-3) or np.any(self.boxes > 1 + 1e-3):
                raise ValueError("boxes must be normalized to 0..1")
            if np.any(self.boxes[:, 2] < self.boxes[:, 0]) or np.any(
                self.boxes[:, 3] < self.boxes[:, 1]
            ):
                raise ValueError("boxes must be x1, y1, x2, y2 with x2 >= x1 and y2 >= y1")
            if np.any(self.scores < 0) or np.any(self.scores > 1):
                raise ValueError("scores must be within 0..1")
        for arr in (self.boxes, self.scores, self.class_ids):
            arr.flags.writeable = False

    @classmethod
    def empty(cls) -> Detections:
        return cls(
            boxes=np.zeros((0, 4), np.float32),
            scores=np.zeros((0,), np.float32),
            class_ids=np.zeros((0,), np.int32),
            labels=(),
        )

    @classmethod
    def build(
        cls,
        boxes: npt.ArrayLike,
        scores: npt.ArrayLike,
        class_ids: npt.ArrayLike,
        names: list[str] | tuple[str, ...],
    ) -> Detections:
        """Build from array-likes, clipping boxes to the frame and naming classes by id."""
        b = np.clip(np.asarray(boxes, np.float32).reshape(-1, 4), 0.0, 1.0)
        ids = np.asarray(class_ids, np.int32).reshape(-1)
        labels = tuple(names[i] if 0 <= i < len(names) else f"class_{i}" for i in ids.tolist())
        return cls(
            boxes=b,
            scores=np.clip(np.asarray(scores, np.float32).reshape(-1), 0.0, 1.0),
            class_ids=ids,
            labels=labels,
        )

    def __len__(self) -> int:
        return len(self.labels)

    def select(self, mask: npt.NDArray[np.bool_]) -> Detections:
        """The subset where `mask` is true."""
        idx = np.flatnonzero(mask)
        return Detections(
            boxes=self.boxes[idx].copy(),
            scores=self.scores[idx].copy(),
            class_ids=self.class_ids[idx].copy(),
            labels=tuple(self.labels[i] for i in idx.tolist()),
        )
