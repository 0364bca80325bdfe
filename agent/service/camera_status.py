"""Per-camera availability: `online` while frames arrive, `offline` when they stop."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from agent.adapters.mqtt import topics
from agent.service.periodic import PeriodicThread

log = logging.getLogger(__name__)

Availability = Literal["online", "offline"]


class _Stats(Protocol):
    last_frame_at: float | None


class _CameraSettings(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def stall_seconds(self) -> float: ...


class Watched(Protocol):
    """What the watcher reads of a camera worker."""

    @property
    def camera(self) -> _CameraSettings: ...

    @property
    def stats(self) -> _Stats: ...

    def is_alive(self) -> bool: ...

    def flush_pending(self) -> int: ...


def availability(worker: Watched, now: float) -> Availability:
    """Online while the camera's thread runs and its last frame is under `stall_seconds` old."""
    last = worker.stats.last_frame_at
    fresh = last is not None and now - last <= worker.camera.stall_seconds
    return "online" if worker.is_alive() and fresh else "offline"


class CameraAvailability(PeriodicThread):
    """Publishes each camera's availability, retained, whenever it changes.

    A camera is offline before its first frame (a stream still connecting, an AI Camera
    uploading its network), while its source reconnects or stalls, and after it ended;
    Home Assistant shows its entities as unavailable then. When a running camera stalls,
    the events it was collecting are sent rather than held until the next frame.
    """

    def __init__(
        self,
        base_topic: str,
        workers: Sequence[Watched],
        publish: Callable[[str, bytes, bool], object],
        stop: threading.Event,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__("camera-availability", self.check, interval, stop)
        self._base = base_topic
        self._workers = workers
        self._publish = publish
        self._clock = clock
        self._last: dict[str, Availability] = {}
        self._was_online: set[str] = set()

    def check(self) -> None:
        """Publish the cameras whose availability changed since the last check."""
        now = self._clock()
        for w in self._workers:
            self._set(w, availability(w, now))

    def all_offline(self) -> None:
        """Mark every camera offline (the agent is stopping)."""
        for w in self._workers:
            self._set(w, "offline", quiet=True)

    def _set(self, worker: Watched, value: Availability, quiet: bool = False) -> None:
        name = worker.camera.name
        before = self._last.get(name)
        if before == value:
            return
        self._last[name] = value
        self._publish(topics.camera_status(self._base, name), value.encode(), True)
        if quiet or before is None:
            if value == "online":
                self._was_online.add(name)
            return
        if value == "online":
            if name in self._was_online:
                log.info("camera %s: frames are arriving again", name)
            else:
                log.info("camera %s: first frame received; online", name)
            self._was_online.add(name)
        elif worker.is_alive() and worker.stats.last_frame_at is None:
            log.warning("camera %s: restarting; marked offline until frames arrive", name)
        elif worker.is_alive():
            # Events that were collecting would otherwise wait for the next frame.
            sent = worker.flush_pending()
            log.warning(
                "camera %s: no frame for %g s; marked offline until frames arrive "
                "(%d collecting event(s) sent)",
                name,
                worker.camera.stall_seconds,
                sent,
            )
        else:
            log.info("camera %s: stopped; marked offline", name)
