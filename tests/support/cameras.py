"""A stand-in for camera threads as the command handler sees them, through CameraControl."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType

from agent.service.camera_control import CameraControl


class FramesArriving:
    """While entered, every control sees a frame every 10 ms and has its snapshot requests
    carried out, as a running camera's thread does (agent.service.camera_worker.process_stream)."""

    def __init__(self, controls: Iterable[CameraControl]) -> None:
        self._controls = list(controls)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frames-arriving", daemon=True)
        self.snapshots: list[str] = []

    def __enter__(self) -> FramesArriving:
        for control in self._controls:
            control.frame_arrived()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            for control in self._controls:
                control.frame_arrived()
                if (wanted := control.take_snapshot_request()) is not None:
                    self.snapshots.append(control.camera)
                    wanted.finish()
