"""The latest state of each camera, kept for 'is anything there now?' questions."""

from __future__ import annotations

import threading

from agent.core.events import CameraState, Event, EventUpdate


class LiveStates:
    """A camera sink that remembers each camera's latest state (events pass by)."""

    def __init__(self) -> None:
        self._states: dict[str, CameraState] = {}
        self._lock = threading.Lock()

    def event(self, event: Event) -> None:
        """Events are in the history; only the state is kept here."""

    def update(self, update: EventUpdate) -> None:
        """Wordings change nothing that is live."""

    def state(self, state: CameraState) -> None:
        with self._lock:
            self._states[state.camera] = state

    def __call__(self) -> dict[str, CameraState]:
        with self._lock:
            return dict(self._states)
