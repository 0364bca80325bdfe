"""Joining detections into tracks with stable ids across frames.

A small IoU tracker with Hungarian assignment (scipy). norfair pins numpy<2, and
supervision pulls in PyAV, matplotlib and requests for its ByteTrack; at a Pi's frame
rates (2-30 fps) and a few dozen objects, IoU matching within each label does the job
in microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from agent.config import TrackerConfig
from pipelines.detections import Detections


@dataclass(slots=True)
class Track:
    """One object followed across frames. Mutated only by the Tracker."""

    id: int
    label: str
    box: npt.NDArray[np.float32]
    score: float
    max_score: float
    first_seen: float
    last_seen: float
    hits: int = 1
    #: Zones the object stands in, after debouncing (see `observe_zones`).
    zones: frozenset[str] = frozenset()
    #: When the object entered each zone in `zones`.
    zone_since: dict[str, float] = field(default_factory=dict)
    _zone_candidate: frozenset[str] = frozenset()
    _zone_candidate_frames: int = 0

    def observe_zones(self, raw: frozenset[str], now: float, stable_frames: int) -> None:
        """Accept a new zone set only once it has held for `stable_frames` frames.

        Without this, a cow standing on a zone's border would enter and leave it on
        alternate frames.
        """
        if raw == self.zones:
            self._zone_candidate_frames = 0
            return
        if raw == self._zone_candidate:
            self._zone_candidate_frames += 1
        else:
            self._zone_candidate, self._zone_candidate_frames = raw, 1
        if self._zone_candidate_frames >= stable_frames or self.hits <= 1:
            for z in raw - self.zones:
                self.zone_since[z] = now
            for z in self.zones - raw:
                self.zone_since.pop(z, None)
            self.zones = raw
            self._zone_candidate_frames = 0


@dataclass(frozen=True, slots=True)
class TrackUpdate:
    """The result of one frame: tracks still alive and tracks that have just been lost."""

    active: list[Track]
    removed: list[Track]


class Tracker:
    """IoU + Hungarian tracker; a track unseen for `lost_after_seconds` is removed."""

    def __init__(self, config: TrackerConfig) -> None:
        self._config = config
        self._tracks: list[Track] = []
        self._next_id = 1

    @property
    def tracks(self) -> list[Track]:
        return self._tracks

    def update(self, detections: Detections, now: float) -> TrackUpdate:
        """Match this frame's detections to tracks, start new ones and drop lost ones."""
        matched_tracks, matched_dets = self._match(detections)
        for ti, di in zip(matched_tracks, matched_dets, strict=True):
            t = self._tracks[ti]
            t.box = detections.boxes[di]
            t.score = float(detections.scores[di])
            t.max_score = max(t.max_score, t.score)
            t.last_seen = now
            t.hits += 1
        unmatched = np.ones(len(detections), bool)
        unmatched[matched_dets] = False
        for di in np.flatnonzero(unmatched).tolist():
            score = float(detections.scores[di])
            self._tracks.append(
                Track(
                    id=self._next_id,
                    label=detections.labels[di],
                    box=detections.boxes[di],
                    score=score,
                    max_score=score,
                    first_seen=now,
                    last_seen=now,
                )
            )
            self._next_id += 1
        lost_after = self._config.lost_after_seconds
        removed = [t for t in self._tracks if now - t.last_seen > lost_after]
        if removed:
            self._tracks = [t for t in self._tracks if now - t.last_seen <= lost_after]
        return TrackUpdate(active=list(self._tracks), removed=removed)

    def flush(self) -> list[Track]:
        """Remove and return every track (the input ended)."""
        gone, self._tracks = self._tracks, []
        return gone

    def _match(self, detections: Detections) -> tuple[list[int], list[int]]:
        if not self._tracks or len(detections) == 0:
            return [], []
        track_boxes = np.stack([t.box for t in self._tracks])
        iou = box_iou(track_boxes, detections.boxes)
        track_labels = np.array([t.label for t in self._tracks], dtype=object)
        det_labels = np.array(detections.labels, dtype=object)
        iou[track_labels[:, None] != det_labels[None, :]] = 0.0
        rows, cols = linear_sum_assignment(-iou)
        keep = iou[rows, cols] >= max(self._config.iou_threshold, 1e-6)
        return rows[keep].tolist(), cols[keep].tolist()


def box_iou(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Pairwise IoU of x1,y1,x2,y2 boxes: (len(a), len(b))."""
    ix1 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy1 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix2 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0).astype(np.float64)
