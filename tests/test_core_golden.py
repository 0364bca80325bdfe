"""The camera core's whole output on fixed inputs, against digests made by an earlier commit.

A change made for speed must not change a single decision: the same tracks with the same
ids and boxes on every frame, the same events (kind, rule, objects, track ids, zones,
times, text) and the same state. The digests below were computed by the core with the
tracker's behaviour work of round 6 (on round 4's: confirmation through miss bursts,
objects seen only by a part followed out of the frame, follow-ups paced by the last event,
at most one per 0.4 s by default; round 6: newcomers judged one frame back at their speed,
follow-ups due 5% early, an object whose wait ends kept while a new track may be it;
round 7: an object that stood still found again at a size it grew or shrank to), with

    PYTHONPATH=. python tests/test_core_golden.py

run from the repository root (it prints the rows of GOLDEN); run it again and paste its
output here only when a change of behaviour is intended (and say so in the commit). Event
ids are random (ULIDs) and left out; events closed on one frame are compared in a fixed
order, since ties in time sort by that random id.

The inputs come from the benchmarks (their synthetic frames, worlds and noise); they have
a digest of their own, so a change there reads as such and not as the core's.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from agent.bench.components import BENCH_CAMERA, LABELS, synthetic_frames
from agent.bench.events.noise import LEVELS, detect
from agent.bench.events.peers import T0, to_detections
from agent.bench.events.worlds import KINDS, make_world
from agent.config.schema import CameraConfig
from agent.core.camera import CameraCore
from agent.core.events import Event
from agent.core.settings import ZoneConfig
from pipelines.detections import Detections

#: (name, input digest, output digest); see the module's docstring for how they were made.
GOLDEN = [
    ("bench_core", "b7a1e07ab9f028c9ab45", "935ee7e2aed5f1a33a09"),
    ("bench_core/low", "8dcf47598dc94c4a70e9", "07e9505808f30e87d2af"),
    ("herd/harsh", "0e1b61fc081c49e263b7", "9ab8911c3204982fd1a7"),
    ("occlusions/harsh", "bf98c76a03b15bfdbb40", "916bbdcf01e15ccac60f"),
    ("running_dog/realistic", "e7eb9027f16ddee22dfd", "94ef3a171530a2a220cc"),
    ("busy_road/harsh", "f4a1c1e82c4ff3df5f30", "331db02c5ee4211741cf"),
    ("person_behind_person/realistic", "66a1e695021ac2e315e3", "10cfcdb98b4f46c4f24c"),
]

ZONES = [*BENCH_CAMERA.zones, ZoneConfig(name="all", points=[(0, 0), (1, 0), (1, 1), (0, 1)])]


def _streams() -> Iterator[tuple[str, CameraConfig, list[tuple[Detections, float]]]]:
    frames = synthetic_frames(600)
    yield "bench_core", BENCH_CAMERA, [(d, 1_800_000_000.0 + i / 10) for i, d in enumerate(frames)]
    # The same objects lower down, many standing on the frame's bottom edge (clipped there).
    low = [
        Detections.build(d.boxes + [0, 0.1, 0, 0.1], d.scores, d.class_ids, LABELS) for d in frames
    ]
    yield (
        "bench_core/low",
        CameraConfig(name="bench", zones=ZONES, rules=BENCH_CAMERA.rules),
        [(d, 1_800_000_000.0 + i / 10) for i, d in enumerate(low)],
    )
    for name, _, _ in GOLDEN[2:]:
        kind, level = name.split("/")
        world = make_world(kind, 2, 60.0)
        noisy = detect(world, LEVELS[level], 20 + list(KINDS).index(kind))
        # The benchmark's rules and zones, and one zone of the whole frame: a box at the
        # frame's bottom stands on its border.
        camera = CameraConfig(name="bench", zones=ZONES, rules=BENCH_CAMERA.rules)
        yield name, camera, [(to_detections(f), T0 + f.t) for f in noisy]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value).encode()).hexdigest()[:20]


def _events(events: list[Event]) -> list[dict[str, Any]]:
    out = [e.model_dump(mode="json", exclude={"id"}) for e in events]
    return sorted(out, key=json.dumps)


def _run(camera: CameraConfig, frames: list[tuple[Detections, float]]) -> list[Any]:
    core = CameraCore(camera, "en")
    out: list[Any] = []
    for dets, taken_at in frames:
        step = core.step(dets, taken_at)
        now = core.tracker.last_frame
        tracks = [
            (t.id, t.label, list(t.corners), sorted(t.zones), t.hits)
            for t in core.tracker.confirmed
            if t.last_seen == now
        ]
        state = None if step.state is None else [step.state.counts, step.state.zones]
        out.append([_events(step.events), state, tracks])
    out.append(_events(core.finish()))
    return out


def _inputs(frames: list[tuple[Detections, float]]) -> list[Any]:
    return [[d.boxes.tolist(), d.scores.tolist(), list(d.labels), t] for d, t in frames]


def digests() -> list[tuple[str, str, str]]:
    """(name, input digest, output digest) for every stream, in local time UTC."""
    return [
        (name, _digest(_inputs(frames)), _digest(_run(camera, frames)))
        for name, camera, frames in _streams()
    ]


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Event times and texts are in local time; the digests were made in UTC.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_core_decides_exactly_as_before(utc: None) -> None:
    found = digests()
    assert [name for name, _, _ in found] == [name for name, _, _ in GOLDEN]
    for (name, inputs, output), (_, want_inputs, want_output) in zip(found, GOLDEN, strict=True):
        assert inputs == want_inputs, f"{name}: the benchmark's input changed; see the docstring"
        assert output == want_output, f"{name}: the core's output changed"


if __name__ == "__main__":
    import os

    os.environ["TZ"] = "UTC"
    time.tzset()
    for row in digests():
        print("    (" + ", ".join(f'"{x}"' for x in row) + "),")
