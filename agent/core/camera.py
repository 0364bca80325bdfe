"""One camera's brain: detections in, tracks, changes, events and state out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from agent.core.coalesce import Coalescer
from agent.core.events import CameraState, Event
from agent.core.frame_clock import FrameClock
from agent.core.kinds import Language
from agent.core.rules import STATIC_KINDS, RuleState, evaluate
from agent.core.settings import CameraSettings
from agent.core.tracking import Track, Tracker
from agent.core.zones import Zones
from pipelines.detections import Detections


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one frame produced: closed events, and the new state if the counts changed."""

    events: list[Event]
    state: CameraState | None


class CameraCore:
    """Tracker, zones, rules and coalescing for one camera; no I/O, time comes from frames."""

    def __init__(self, camera: CameraSettings, language: Language) -> None:
        self.config = camera
        self._tracker = Tracker(camera.tracker)
        self._zones = Zones(camera.zones)
        self._labels = frozenset(camera.labels)
        self._rule_states = {r.name: RuleState() for r in camera.rules}
        # Rules whose score, frames and seconds filters a confirmed track always passes (it
        # was seen confirm_frames frames with a mean score of confirm_score, so its best
        # score is at least that); of those, the rules with no label filter either.
        t = camera.tracker
        passed = {
            r.name
            for r in camera.rules
            if r.min_score < t.confirm_score
            and r.min_frames <= t.confirm_frames
            and r.min_seconds == 0
        }
        self._filtered = {r.name for r in camera.rules if r.name in passed and not r.labels}
        # Of the first, the rules that tell nothing and keep their state while the objects,
        # their labels and zones stay the same (a dwell depends on the time, a filter on
        # hits; a label filter picks the same objects then).
        self._static = {r.name for r in camera.rules if r.name in passed and r.kind in STATIC_KINDS}
        self._scene: tuple[tuple[int, str, frozenset[str]], ...] | None = None
        self._coalescer = Coalescer(camera, language)
        self._last_counts: tuple[dict[str, int], dict[str, dict[str, int]]] | None = None
        self.clock = FrameClock(camera.name, camera.tracker.max_frame_gap_seconds)

    @property
    def tracker(self) -> Tracker:
        return self._tracker

    @property
    def pending_events(self) -> int:
        return self._coalescer.pending

    def step(self, detections: Detections, taken_at: float) -> StepResult:
        """Advance by one frame taken at `taken_at` (seconds since the epoch)."""
        now = self.clock.steady(taken_at)
        # (Only when some box's label is not tracked: as a rule all are, and a subset with
        # every box is the same detections at the cost of a copy of each array.)
        if self._labels and len(detections) and not self._labels.issuperset(detections.labels):
            detections = detections.select(
                np.fromiter((lb in self._labels for lb in detections.labels), bool, len(detections))
            )
        update = self._tracker.update(detections, now)
        self._place(update.active, now)
        # What the rules and the state read of the objects; a frame that changes none of it
        # (the usual one) cannot change a count, an arrival or a zone.
        scene = tuple([(t.id, t.label, t.zones) for t in update.active])
        unchanged = scene == self._scene and not update.removed
        self._scene = scene
        changes = []
        for rule in self.config.rules:
            if unchanged and rule.name in self._static:
                continue
            state, found = evaluate(
                rule,
                self._rule_states[rule.name],
                update.active,
                update.removed,
                now,
                filtered=rule.name in self._filtered,
            )
            self._rule_states[rule.name] = state
            changes.extend(found)
        self._coalescer.add(changes)
        return StepResult(
            self._coalescer.poll(now, self.clock.offset),
            None if unchanged else self._state_if_changed(update.active, taken_at),
        )

    def finish(self) -> list[Event]:
        """Send what is still collecting; called when the input ends or the agent stops."""
        return self._coalescer.flush(self.clock.offset)

    def _place(self, tracks: list[Track], now: float) -> None:
        if not self._zones.names:
            return
        # Tracks seen in this frame, and their corners as one flat list (numpy converts it
        # in half the time of a list of tuples).
        seen: list[Track] = []
        corners: list[float] = []
        for t in tracks:
            if t.last_seen == now:
                seen.append(t)
                corners += t.corners
        if not seen:
            return
        placed = self._zones.zone_sets(np.array(corners, np.float32).reshape(-1, 4))
        stable = self.config.tracker.confirm_frames
        for t, zones in zip(seen, placed, strict=True):
            t.observe_zones(zones, now, stable)

    def _state_if_changed(self, tracks: list[Track], taken_at: float) -> CameraState | None:
        # Active tracks are confirmed: seen confirm_frames frames with a mean score of at
        # least confirm_score, so all of them count.
        counts: dict[str, int] = {}
        zones: dict[str, dict[str, int]] = {z: {} for z in self._zones.names}
        for t in tracks:
            counts[t.label] = counts.get(t.label, 0) + 1
            for z in t.zones:
                zones[z][t.label] = zones[z].get(t.label, 0) + 1
        if self._last_counts == (counts, zones):
            return None
        self._last_counts = (counts, zones)
        return CameraState(
            camera=self.config.name,
            updated_at=datetime.fromtimestamp(taken_at).astimezone(),
            counts=dict(sorted(counts.items())),
            zones={z: dict(sorted(c.items())) for z, c in zones.items()},
        )
