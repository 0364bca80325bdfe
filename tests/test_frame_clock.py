"""Clock jumps and stalls: tracks, timers and event times stay right."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from agent.config.schema import CameraConfig
from agent.core.camera import CameraCore
from agent.core.events import Event
from agent.core.frame_clock import FrameClock
from agent.core.settings import RuleConfig, ZoneConfig
from pipelines.detections import Detections

T0 = 1_800_000_000.0


def test_steady_time_follows_the_wall_clock_exactly_without_jumps() -> None:
    clock = FrameClock("yard", max_gap=120)
    walls = [T0 + i * 0.2 for i in range(1000)]
    assert [clock.steady(w) for w in walls] == walls
    assert clock.offset == 0 and clock.jumps == 0


@pytest.mark.parametrize("jump", [-3600.0, -0.5, 7200.0])
def test_a_jump_moves_the_offset_not_the_steady_time(
    jump: float, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FrameClock("yard", max_gap=120)
    for i in range(10):
        clock.steady(T0 + i * 0.5)
    with caplog.at_level(logging.WARNING):
        after = clock.steady(T0 + 4.5 + jump)
    assert after == pytest.approx(T0 + 5.0)  # one normal frame interval later
    assert after + clock.offset == pytest.approx(T0 + 4.5 + jump)  # wall time on the new clock
    assert clock.steady(T0 + 5.0 + jump) == pytest.approx(T0 + 5.5)
    assert clock.jumps == 1
    assert len(caplog.records) == 1 and "camera yard" in caplog.text


def person(x: float) -> Detections:
    boxes = np.array([[x, 0.4, x + 0.1, 0.8]], np.float32)
    return Detections.build(boxes, np.array([0.9]), np.array([0]), ("person",))


CAMERA = CameraConfig(
    name="porch",
    zones=[ZoneConfig(name="porch", points=[(0, 0), (1, 0), (1, 1), (0, 1)])],
    rules=[
        RuleConfig(name="arrivals", kind="arrival", min_frames=2),
        RuleConfig(name="departures", kind="departure"),
        RuleConfig(name="loiter", kind="dwell", zones=["porch"], dwell_seconds=20),
    ],
    coalesce_seconds=1,
)


def run(core: CameraCore, frames: list[tuple[float, Detections]]) -> list[Event]:
    events: list[Event] = []
    for t, dets in frames:
        events += core.step(dets, t).events
    return events + core.finish()


def test_ntp_jumping_forward_does_not_report_a_person_who_stayed() -> None:
    # A person stands on the porch for 30 s of frames; after 10 s the clock jumps 2 hours
    # forward (NTP's first sync on a Pi without a clock battery).
    jump = 7200.0
    frames = [(T0 + i * 0.5, person(0.4)) for i in range(20)]
    frames += [(T0 + jump + 10 + i * 0.5, person(0.4)) for i in range(40)]
    events = run(CameraCore(CAMERA, "en"), frames)
    kinds = [e.kind for e in events]
    assert kinds.count("arrival") == 1
    assert kinds.count("dwell") == 1  # the timer counted across the jump: 30 s > 20 s
    assert "departure" not in kinds[:-1]  # only when the input ended
    dwell = next(e for e in events if e.kind == "dwell")
    # Event times are on the new clock.
    assert dwell.started_at.timestamp() > T0 + jump
    # Told once the person was seen confirm_frames frames, one fewer for a confident box
    # (0.9 here; FAST_CONFIRM_SCORE).
    arrival = events[0]
    confirmed_at = T0 + 0.5 * (CAMERA.tracker.confirm_frames - 2)
    assert arrival.started_at.timestamp() == pytest.approx(confirmed_at, abs=0.01)


def test_the_clock_going_back_does_not_freeze_departures() -> None:
    # The clock is set back an hour while a person is in view; they leave a little later.
    frames = [(T0 + i * 0.5, person(0.4)) for i in range(10)]
    back = T0 - 3600.0
    frames += [(back + i * 0.5, person(0.4)) for i in range(4)]
    frames += [(back + 2 + i * 0.5, Detections.empty()) for i in range(20)]  # 10 s empty
    core = CameraCore(CAMERA, "en")
    events = []
    for t, dets in frames:
        events += core.step(dets, t).events
    departures = [e for e in events if e.kind == "departure"]
    assert len(departures) == 1  # reported while running, not only at the end
    assert departures[0].ended_at.timestamp() < T0  # on the new (earlier) clock
