"""A camera that fails unexpectedly is restarted and reported (live) or stops with an error that
makes `eva run` exit 1 (a file): never passed over in silence."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from support.mqtt_helpers import Mosquitto

from agent.cli import main
from agent.config.schema import CameraConfig
from agent.service.camera_status import availability
from agent.service.camera_worker import CameraWorker
from agent.service.commands import CommandHandler
from agent.service.diagnostics import camera_diagnostics
from pipelines.detections import Detections
from pipelines.detectors.base import Detector
from pipelines.frames import Frame
from pipelines.sources.base import FrameSource
from pipelines.sources.demo_scene_source import DemoSourceConfig


class Source(FrameSource):
    """Frames every 10 ms until stopped, or a RuntimeError after `fail_after` frames."""

    def __init__(self, live: bool, fail_after: int | None) -> None:
        self.live = live
        self._fail_after = fail_after

    def frames(self) -> Iterator[Frame]:
        image = np.zeros((90, 160, 3), np.uint8)
        i = 0
        while True:
            if i == self._fail_after:
                raise RuntimeError(f"decoder bug at frame {i}")
            yield Frame(image, time.time(), i)
            i += 1
            time.sleep(0.01)


class NoDetections(Detector):
    def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        return Detections.empty()


def opening(
    monkeypatch: pytest.MonkeyPatch,
    sources: list[FrameSource],
    detectors: list[Callable[[], Detector]],
) -> None:
    """The worker opens these sources and builds these detectors, one per (re)start."""
    monkeypatch.setattr("agent.service.camera_worker.open_source", lambda config: sources.pop(0))
    monkeypatch.setattr(
        "agent.service.camera_worker.build_detector", lambda config: detectors.pop(0)()
    )


def broken_detector() -> Detector:
    raise RuntimeError("detector runtime bug")


CAMERA = CameraConfig(name="gate", source=DemoSourceConfig())


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_live_camera_that_fails_is_restarted_and_reported(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="agent.service.camera_worker")
    opening(
        monkeypatch,
        [Source(True, fail_after=3), Source(True, None), Source(True, None)],
        [NoDetections, broken_detector, NoDetections],
    )
    stop = threading.Event()
    worker = CameraWorker(CAMERA, "en", [], stop)
    worker.restart_first_seconds = 0.01
    worker.start()
    try:
        wait_until(lambda: worker.restarts == 2 and worker.stats.frames > 3)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert worker.error is None  # it ran on
    assert worker.last_crash == "RuntimeError: detector runtime bug"
    failures = [r for r in caplog.records if r.getMessage().startswith("camera gate failed")]
    assert [(r.levelno, r.getMessage()) for r in failures] == [
        (
            logging.ERROR,
            "camera gate failed (a bug): RuntimeError: decoder bug at frame 3; "
            "restarting in 0.01 s (restart 1)",
        ),
        (
            logging.ERROR,
            "camera gate failed (a bug): RuntimeError: detector runtime bug; "
            "restarting in 0.02 s (restart 2)",
        ),
    ]
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert [r.levelno for r in tracebacks] == [logging.DEBUG] * 2  # for a bug report
    figures = camera_diagnostics(worker)
    assert figures.restarts == 2 and figures.error == "RuntimeError: detector runtime bug"


def test_while_it_waits_to_restart_the_camera_is_offline_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opening(monkeypatch, [Source(True, fail_after=2)], [NoDetections])
    stop = threading.Event()
    worker = CameraWorker(CAMERA, "en", [], stop)
    worker.restart_first_seconds = 60.0
    worker.start()
    try:
        wait_until(lambda: worker.last_crash is not None)
        assert worker.is_alive()
        assert availability(worker, time.monotonic()) == "offline"
        figures = camera_diagnostics(worker)
        assert not figures.running and figures.error == "RuntimeError: decoder bug at frame 2"
        commands = CommandHandler("eva", {"gate": worker.control}, lambda t, p, r: None)
        answer = commands.handle("snapshot", b'{"camera": "gate"}')
        assert not answer.ok and answer.error == (
            "camera gate is not running (restarting after a failure: "
            "RuntimeError: decoder bug at frame 2); no snapshot"
        )
    finally:
        stop.set()
        worker.join(timeout=10)  # the pause before the restart ends with the agent
    assert not worker.is_alive()


def test_a_file_camera_that_fails_stops_with_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    opening(monkeypatch, [Source(False, fail_after=2)], [NoDetections])
    worker = CameraWorker(CAMERA, "en", [], threading.Event())
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert worker.restarts == 0  # replaying the file would repeat its events
    assert worker.error == "failed: RuntimeError: decoder bug at frame 2"


@pytest.mark.broker
def test_eva_run_exits_1_when_a_camera_fails(
    monkeypatch: pytest.MonkeyPatch,
    mosquitto: Mosquitto,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    opening(monkeypatch, [Source(False, fail_after=2)], [NoDetections])
    # pytest keeps its own signal handlers; the camera ending is what stops this run.
    monkeypatch.setattr(sys.modules["agent.cli.main"], "_stop_on_signals", threading.Event)
    config = tmp_path / "eva.yaml"
    config.write_text(
        f"mqtt:\n  host: 127.0.0.1\n  port: {mosquitto.port}\n"
        f"storage:\n  path: {tmp_path}\n"
        "llm:\n  type: template\n"
        "cameras:\n  - name: gate\n    source:\n      type: demo\n"
    )
    root = logging.getLogger()
    # `eva run` points the root logger at this test's captured stderr: put it back after.
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    assert main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "camera gate failed (a bug) and stopped" in err and "Traceback" not in err
