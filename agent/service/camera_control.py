"""Operator switches for one camera, shared by the command handler and the camera thread."""

from __future__ import annotations

import threading
import time


class SnapshotRequest:
    """One asked-for snapshot: the camera thread fills it in, the asker waits for it."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self.error: str | None = None

    def finish(self, error: str | None = None) -> None:
        """The snapshot was published (error None) or could not be (error says why)."""
        self.error = error
        self._done.set()

    def wait(self, timeout: float) -> bool:
        """Wait until finished; False on timeout."""
        return self._done.wait(timeout)


class CameraControl:
    """Pause/resume and snapshot requests, and what the camera thread last said about itself;
    thread-safe, never blocks."""

    def __init__(self, camera: str) -> None:
        self.camera = camera
        self._paused = threading.Event()
        self._lock = threading.Lock()
        self._snapshot: SnapshotRequest | None = None
        self._last_frame_at: float | None = None
        self._not_running: str | None = None

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

    def request_snapshot(self) -> SnapshotRequest:
        """Ask the camera thread to publish its next frame; a request already waiting is
        shared."""
        with self._lock:
            if self._snapshot is None:
                self._snapshot = SnapshotRequest()
            return self._snapshot

    def take_snapshot_request(self) -> SnapshotRequest | None:
        """The waiting request, once (the camera thread calls this every frame)."""
        with self._lock:
            request, self._snapshot = self._snapshot, None
            return request

    def withdraw(self, request: SnapshotRequest) -> bool:
        """Cancel a request the camera has not taken yet; False when it already has."""
        with self._lock:
            if self._snapshot is request:
                self._snapshot = None
                return True
            return False

    def frame_arrived(self) -> None:
        """The camera thread got a frame (paused or not)."""
        self._last_frame_at = time.monotonic()
        self._not_running = None

    def seconds_since_frame(self) -> float | None:
        """How long ago the last frame arrived; None before the first."""
        last = self._last_frame_at
        return None if last is None else time.monotonic() - last

    def set_not_running(self, reason: str | None) -> None:
        """Why the camera thread is not reading frames now (stopped, restarting); None when
        it runs again."""
        self._not_running = reason

    @property
    def not_running(self) -> str | None:
        return self._not_running
