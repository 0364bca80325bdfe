"""A disk that fills up under a running agent, then has room again: every event reaches the
history, in order, once, and the log says what happened in two lines.

The disk is a real tmpfs of 2 MB mounted for the test (it needs root and `mount`; skipped
elsewhere). tests/test_history.py covers the same path everywhere with SQLite's own size
limit (PRAGMA max_page_count), which fails with the same "database or disk is full".
"""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.adapters import history as history_module
from agent.adapters.history import EventHistory
from agent.cli.demo import demo_config
from agent.config.schema import StorageConfig, TemplateLlmConfig
from agent.core.events import CameraState, Event, EventUpdate
from agent.service.app import run_agent
from pipelines.sources.demo_scene_source import DemoSourceConfig

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


class Collected:
    """Every event the cameras produced, as a sink beside the history sees them."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def event(self, event: Event) -> None:
        self.events.append(event)

    def update(self, update: EventUpdate) -> None:
        pass

    def state(self, state: CameraState) -> None:
        pass


def fill(folder: Path) -> Path:
    """Write zeros until the filesystem refuses more."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 16384)
        except OSError as e:
            assert e.errno == errno.ENOSPC
    return filler


def wait_for(what: Callable[[], bool], timeout: float, why: str) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, f"timed out waiting for {why}"
        time.sleep(0.05)


def test_a_full_disk_under_a_running_agent_loses_no_history(
    small_disk: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_module, "RETRY_SECONDS", 0.5)
    config = demo_config(realtime=False)
    camera = config.cameras[0].model_copy(
        update={"source": DemoSourceConfig(realtime=False, loop=True)}
    )
    config = config.model_copy(
        update={
            "llm": TemplateLlmConfig(),
            "storage": StorageConfig(path=str(small_disk / "eva")),
            "cameras": [camera],
        }
    )
    seen = Collected()
    stop = threading.Event()
    caplog.set_level(logging.INFO)

    def history_lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "agent.adapters.history"]

    agent = threading.Thread(
        target=run_agent, args=(config, stop), kwargs={"extra_sinks": [seen], "publish": False}
    )
    agent.start()
    try:
        wait_for(lambda: len(seen.events) >= 2, 60, "the first events")
        filler = fill(small_disk)
        full_from = len(seen.events)
        wait_for(lambda: len(history_lines()) >= 1, 60, "the history to notice the full disk")
        wait_for(lambda: len(seen.events) >= full_from + 6, 60, "events while the disk is full")
        filler.unlink()  # room again
        wait_for(lambda: len(history_lines()) >= 2, 30, "the history to write what waited")
        after = len(seen.events)
        wait_for(lambda: len(seen.events) >= after + 2, 60, "events after the disk has room")
    finally:
        stop.set()
        agent.join(timeout=30)
    assert not agent.is_alive()

    history = EventHistory(small_disk / "eva" / history_module.DB_NAME)
    try:
        stored = history.query("SELECT id FROM events ORDER BY rowid", ())
    finally:
        history.close()
    # Every event, once, and in the order the camera made them.
    assert [row[0] for row in stored] == [e.id for e in seen.events]

    lines = history_lines()
    assert [(r.levelname, r.exc_info) for r in lines] == [("ERROR", None), ("INFO", None)]
    assert "database or disk is full" in lines[0].getMessage()
    assert "writable again" in lines[1].getMessage()
    # No traceback anywhere: a sink that failed would have been logged with one.
    assert not [r for r in caplog.records if r.exc_info]
