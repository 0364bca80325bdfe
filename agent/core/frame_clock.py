"""A steady time for one camera's tracking and rules, kept apart from wall-clock jumps."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

#: Frame interval assumed after a jump before any normal interval was seen.
_DEFAULT_STEP = 0.1


class FrameClock:
    """Turns each frame's wall-clock timestamp into steady seconds for the camera core.

    A Pi without a battery-backed clock jumps when NTP first syncs, and an operator can set
    the time by hand. Inside the core a jump forward would expire every track at once
    (departures for objects still in view) and a jump back would freeze every timer. So a
    step backwards, or forwards by more than `max_gap`, advances the steady time by the
    last normal frame interval instead; `offset` (wall minus steady) changes, so event
    times, including those of events already collecting, show the new wall clock.
    A stalled camera looks the same as a forward jump and is treated the same: tracks and
    dwell timers carry on from where the stream stopped.
    """

    def __init__(self, camera: str, max_gap: float) -> None:
        self._camera = camera
        self._max_gap = max_gap
        self._last_wall: float | None = None
        self._steady = 0.0
        self._step = _DEFAULT_STEP
        self.offset = 0.0
        self.jumps = 0

    def steady(self, wall: float) -> float:
        """Steady seconds for a frame taken at `wall` (seconds since the epoch)."""
        if self._last_wall is None:
            self._steady, self.offset = wall, 0.0
        else:
            step = wall - self._last_wall
            if 0 <= step <= self._max_gap:
                # Computed from the wall time, not summed, so no rounding error builds up.
                self._steady = wall - self.offset
                if step > 0:
                    self._step = step
            else:
                self._steady += self._step
                self.offset = wall - self._steady
                self.jumps += 1
                log.warning(
                    "camera %s: the frame time jumped by %+.1f s (clock change or stalled "
                    "camera); tracks and timers carry on, event times follow the new clock",
                    self._camera,
                    step,
                )
        self._last_wall = wall
        return self._steady
