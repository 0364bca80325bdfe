"""Operator switches for one camera, shared by the command handler and the camera thread."""

from __future__ import annotations

import threading


class CameraControl:
    """Pause/resume and snapshot requests; thread-safe, never blocks."""

    def __init__(self, camera: str) -> None:
        self.camera = camera
        self._paused = threading.Event()
        self._snapshot = threading.Event()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def set_paused(self, paused: bool) -> bool:
        """Pause or resume; True when that changed anything."""
        changed = paused != self._paused.is_set()
        if paused:
            self._paused.set()
        else:
            self._paused.clear()
        return changed

    def request_snapshot(self) -> None:
        """Ask the camera thread to publish its next frame as a snapshot."""
        self._snapshot.set()

    def take_snapshot_request(self) -> bool:
        """True once per request (the camera thread calls this every frame)."""
        if self._snapshot.is_set():
            self._snapshot.clear()
            return True
        return False
