"""Per-camera availability: offline before the first frame, on a stall and at the end."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pytest

from agent.config.schema import CameraConfig
from agent.core.events import CameraState, Event, EventUpdate
from agent.core.settings import RuleConfig
from agent.service.camera_status import CameraAvailability, availability
from agent.service.camera_worker import CameraStats, CoreAndSinks, process_stream
from pipelines.detections import Detections
from pipelines.detectors.base import Detector
from pipelines.frames import Frame
from pipelines.sources.base import FrameSource
from pipelines.sources.demo_scene_source import DemoSourceConfig


@dataclass
class FakeWorker:
    camera: CameraConfig
    stats: CameraStats = field(default_factory=CameraStats)
    alive: bool = True
    flushed: int = 0

    def is_alive(self) -> bool:
        return self.alive

    def flush_pending(self) -> int:
        self.flushed += 1
        return 2


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
    with caplog.at_level(logging.INFO):
        watch.check()
        watch.check()  # unchanged: nothing sent again
    assert sent[1:] == [("eva/barn/status", b"online", True)]
    assert "camera barn: first frame received; online" in caplog.text
    assert "again" not in caplog.text
    with caplog.at_level(logging.INFO):
        clock.now += 10.5  # the stream stalls
        watch.check()
        barn.stats.last_frame_at = clock.now  # and comes back
        watch.check()
        barn.alive = False  # the input ended
        watch.check()
    assert [p for _, p, _ in sent[2:]] == [b"offline", b"online", b"offline"]
    assert barn.flushed == 1  # on the stall only: an ended camera flushed itself
    assert "camera barn: no frame for 10 s; marked offline until frames arrive (2 " in caplog.text
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


FRAMES = 10


class StallingSource(FrameSource):
    """A live stream that delivers people for a while, then hangs until released."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def frames(self) -> Iterator[Frame]:
        image = np.zeros((90, 160, 3), np.uint8)
        for i in range(FRAMES):
            yield Frame(image, 1_700_000_000.0 + i * 0.5, i)
        self.release.wait(10)


class PersonDetector(Detector):
    """One person from the first frame; a second joins at the fifth."""

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        self.calls += 1
        boxes = [[0.1, 0.3, 0.2, 0.8]] + ([[0.6, 0.3, 0.7, 0.8]] if self.calls >= 5 else [])
        n = len(boxes)
        return Detections.build(
            np.array(boxes, np.float32), np.full(n, 0.9), np.zeros(n, int), ("person",)
        )


class Collect:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def event(self, event: Event) -> None:
        self.events.append(event)

    def state(self, state: CameraState) -> None:
        pass

    def update(self, update: EventUpdate) -> None:
        pass


def test_a_stalled_stream_sends_the_events_it_was_collecting() -> None:
    camera = CameraConfig(
        name="porch",
        source=DemoSourceConfig(fps=10),
        rules=[RuleConfig(name="arrivals", kind="arrival", min_frames=2)],
        coalesce_seconds=30,  # the second arrival would wait for frames that never come
        stall_seconds=0.3,
    )
    sink = Collect()
    source = StallingSource()
    stats = CameraStats()
    core = CoreAndSinks(camera, "en", [sink], stats)
    stop = threading.Event()
    thread = threading.Thread(
        target=process_stream,
        args=(camera, "en", source, PersonDetector(), [sink], stop, stats),
        kwargs={"core": core},
    )
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while stats.frames < FRAMES and time.monotonic() < deadline:
            time.sleep(0.01)
        # The first person is news and went out at once; the second is still collecting.
        assert stats.frames == FRAMES and [e.kind for e in sink.events] == ["arrival"]

        @dataclass
        class Live:
            camera: CameraConfig
            stats: CameraStats

            def is_alive(self) -> bool:
                return thread.is_alive()

            def flush_pending(self) -> int:
                return core.flush()

        sent: list[tuple[str, bytes, bool]] = []
        watch = CameraAvailability(
            "eva", [Live(camera, stats)], lambda t, p, r: sent.append((t, p, r)), stop
        )
        watch.check()
        time.sleep(0.4)  # no frame for longer than stall_seconds
        watch.check()
        assert [p for _, p, _ in sent] == [b"online", b"offline"]
        assert [e.kind for e in sink.events] == ["arrival", "arrival"]
        assert [e.objects[0].track_ids for e in sink.events] == [[1], [2]]
    finally:
        source.release.set()
        thread.join(5)
    assert len(sink.events) == 2  # nothing sent twice when the stream ended
