"""Per-camera availability: offline before the first frame, on a stall and at the end."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import pytest

from agent.camera_status import CameraAvailability, availability
from agent.config import CameraConfig
from agent.runner import CameraStats


@dataclass
class FakeWorker:
    camera: CameraConfig
    stats: CameraStats = field(default_factory=CameraStats)
    alive: bool = True

    def is_alive(self) -> bool:
        return self.alive


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def watcher(
    workers: list[FakeWorker], clock: Clock
) -> tuple[CameraAvailability, list[tuple[str, bytes, bool]]]:
    sent: list[tuple[str, bytes, bool]] = []
    watch = CameraAvailability(
        "eva",
        workers,
        lambda t, p, r: sent.append((t, p, r)),
        threading.Event(),
        clock=clock,
    )
    return watch, sent


def test_online_only_while_frames_arrive(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    barn = FakeWorker(CameraConfig(name="barn", stall_seconds=10))
    watch, sent = watcher([barn], clock)
    watch.check()  # no frame yet: a stream still connecting
    assert sent == [("eva/barn/status", b"offline", True)]
    barn.stats.last_frame_at = clock.now
    watch.check()
    watch.check()  # unchanged: nothing sent again
    assert sent[1:] == [("eva/barn/status", b"online", True)]
    with caplog.at_level(logging.INFO):
        clock.now += 10.5  # the stream stalls
        watch.check()
        barn.stats.last_frame_at = clock.now  # and comes back
        watch.check()
        barn.alive = False  # the input ended
        watch.check()
    assert [p for _, p, _ in sent[2:]] == [b"offline", b"online", b"offline"]
    assert "camera barn: no frame for 10 s" in caplog.text
    assert "camera barn: frames are arriving again" in caplog.text
    assert "camera barn: stopped" in caplog.text


def test_each_camera_on_its_own_and_all_offline_at_stop() -> None:
    clock = Clock()
    barn = FakeWorker(CameraConfig(name="barn"))
    gate = FakeWorker(CameraConfig(name="gate"))
    barn.stats.last_frame_at = clock.now
    watch, sent = watcher([barn, gate], clock)
    watch.check()
    assert sent == [
        ("eva/barn/status", b"online", True),
        ("eva/gate/status", b"offline", True),
    ]
    watch.all_offline()
    assert sent[2:] == [("eva/barn/status", b"offline", True)]


def test_a_frame_exactly_at_the_limit_is_still_fresh() -> None:
    w = FakeWorker(CameraConfig(name="barn", stall_seconds=5))
    w.stats.last_frame_at = 0.0
    assert availability(w, 5.0) == "online"
    assert availability(w, 5.01) == "offline"


def test_stall_seconds_must_exceed_the_frame_interval() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="at least two frame intervals"):
        CameraConfig.model_validate(
            {"name": "slow", "source": {"type": "image_folder", "path": "/x", "fps": 0.05}}
        )
    CameraConfig.model_validate(
        {
            "name": "slow",
            "source": {"type": "image_folder", "path": "/x", "fps": 0.05},
            "stall_seconds": 60,
        }
    )
