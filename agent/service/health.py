"""`<storage.path>/health.json`: whether every camera delivers frames, rewritten every few
seconds, so a container's HEALTHCHECK (`eva health`) can tell without MQTT or a port."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from agent.service.camera_status import Watched, availability
from agent.service.periodic import PeriodicThread

log = logging.getLogger(__name__)

FILE_NAME = "health.json"
INTERVAL_SECONDS = 10.0
#: A file older than this means the agent itself is stuck or gone.
MAX_AGE_SECONDS = 60.0


class HealthFile(PeriodicThread):
    """Rewrites the file every `interval` seconds: the time, and each camera's availability."""

    def __init__(
        self,
        path: Path,
        workers: Sequence[Watched],
        stop: threading.Event,
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        super().__init__("health", self.write, interval, stop)
        self.path = path
        self._workers = workers
        self._failing = False

    def write(self) -> None:
        now = time.monotonic()
        cameras = {w.camera.name: availability(w, now) for w in self._workers}
        state = {
            "updated": time.time(),
            "healthy": bool(cameras) and all(a == "online" for a in cameras.values()),
            "cameras": cameras,
        }
        try:
            _write_atomically(self.path, json.dumps(state).encode())
        except OSError as e:  # a full disk: say it once, not every few seconds
            if not self._failing:
                log.warning("cannot write %s (%s); the container looks unhealthy", self.path, e)
            self._failing = True
            return
        self._failing = False


def check_health(path: Path, max_age: float = MAX_AGE_SECONDS) -> tuple[bool, str]:
    """Whether the agent that writes `path` is alive and every camera delivers frames."""
    try:
        state = json.loads(path.read_text())
        age = time.time() - float(state["updated"])
        cameras = dict(state["cameras"])
        healthy = bool(state["healthy"])
    except FileNotFoundError:
        return False, f"no {path} yet: the agent has not started its cameras"
    except (OSError, ValueError, KeyError, TypeError) as e:
        return False, f"cannot read {path}: {e}"
    listed = ", ".join(f"{name} {a}" for name, a in sorted(cameras.items())) or "none"
    if age > max_age:
        return False, f"{path} is {age:.0f} s old: the agent is stuck or stopped ({listed})"
    if not healthy:
        return False, f"a camera delivers no frames: {listed}"
    return True, f"every camera delivers frames: {listed}"


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
