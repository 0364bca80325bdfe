"""A background thread that does one small job every few seconds until the agent stops."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicThread(threading.Thread):
    """Calls `tick` at once and then every `interval` seconds until `stop` is set.

    A failing tick is logged and the next one runs: publishing figures or availability
    must never take the agent down.
    """

    def __init__(
        self, name: str, tick: Callable[[], None], interval: float, stop: threading.Event
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._tick = tick
        self._interval = interval
        self._stop_event = stop

    def run(self) -> None:
        while True:
            try:
                self._tick()
            except Exception:
                log.exception("%s failed", self.name)
            if self._stop_event.wait(self._interval):
                return
