"""Event rules as pure functions, and the camera core end to end with an injected clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from support.scenes import T0, box_at, dets

from agent.config.schema import CameraConfig
from agent.core.camera import CameraCore
from agent.core.events import Event
from agent.core.rules import RuleState, evaluate
from agent.core.settings import RuleConfig, ZoneConfig


@dataclass
class FakeTrack:
    id: int
    label: str = "cow"
    max_score: float = 0.9
    first_seen: float = T0
    hits: int = 5
    zones: frozenset[str] = frozenset()
    zone_since: dict[str, float] = field(default_factory=dict)


def test_arrival_waits_for_debounce_and_fires_once() -> None:
    rule = RuleConfig(name="r", kind="arrival", min_frames=3, min_seconds=1.0)
    t = FakeTrack(1, hits=2)
    state, changes = evaluate(rule, RuleState(), [t], [], T0 + 2)
    assert changes == []  # 2 frames < 3
    t.hits = 3
    state, changes = evaluate(rule, state, [t], [], T0 + 0.5)
    assert changes == []  # tracked 0.5 s < 1 s
    state, changes = evaluate(rule, state, [t], [], T0 + 2)
    assert [(c.kind, c.track_id) for c in changes] == [("arrival", 1)]
    state, changes = evaluate(rule, state, [t], [], T0 + 3)
    assert changes == []


def test_filters_by_label_and_score() -> None:
    rule = RuleConfig(name="r", kind="arrival", labels=["fox"], min_score=0.5)
    tracks = [FakeTrack(1, "cow"), FakeTrack(2, "fox", max_score=0.4), FakeTrack(3, "fox")]
    _, changes = evaluate(rule, RuleState(), tracks, [], T0 + 1)
    assert [c.track_id for c in changes] == [3]


def test_departure_only_for_counted_tracks() -> None:
    rule = RuleConfig(name="r", kind="departure", min_frames=3)
    flicker, cow = FakeTrack(1, hits=1), FakeTrack(2, hits=4, zones=frozenset({"gate"}))
    state, _ = evaluate(rule, RuleState(), [flicker, cow], [], T0)
    state, changes = evaluate(rule, state, [], [flicker, cow], T0 + 5)
    assert [(c.track_id, c.zones) for c in changes] == [(2, ("gate",))]


def test_zone_enter_and_exit() -> None:
    enter = RuleConfig(name="in", kind="zone_enter", zones=["gate"])
    leave = RuleConfig(name="out", kind="zone_exit", zones=["gate"])
    t = FakeTrack(1)
    s_in, s_out = RuleState(), RuleState()
    s_in, c = evaluate(enter, s_in, [t], [], T0)
    s_out, _ = evaluate(leave, s_out, [t], [], T0)
    assert c == []
    t.zones = frozenset({"gate", "yard"})
    s_in, c = evaluate(enter, s_in, [t], [], T0 + 1)
    s_out, _ = evaluate(leave, s_out, [t], [], T0 + 1)
    assert [(x.kind, x.zones) for x in c] == [("zone_enter", ("gate",))]  # yard not watched
    t.zones = frozenset({"yard"})
    s_in, c = evaluate(enter, s_in, [t], [], T0 + 2)
    assert c == []
    s_out, c = evaluate(leave, s_out, [t], [], T0 + 2)
    assert [(x.kind, x.zones) for x in c] == [("zone_exit", ("gate",))]


def test_zone_exit_when_lost_inside_the_zone() -> None:
    rule = RuleConfig(name="out", kind="zone_exit")
    t = FakeTrack(1, zones=frozenset({"gate"}))
    state, _ = evaluate(rule, RuleState(), [t], [], T0)
    _, c = evaluate(rule, state, [], [t], T0 + 4)
    assert [(x.kind, x.zones) for x in c] == [("zone_exit", ("gate",))]


def test_dwell_fires_once_per_stay() -> None:
    rule = RuleConfig(name="d", kind="dwell", dwell_seconds=60)
    t = FakeTrack(1, zones=frozenset({"door"}), zone_since={"door": T0})
    state, c = evaluate(rule, RuleState(), [t], [], T0 + 59)
    assert c == []
    state, c = evaluate(rule, state, [t], [], T0 + 61)
    assert [x.zones for x in c] == [("door",)]
    state, c = evaluate(rule, state, [t], [], T0 + 3600)
    assert c == []
    t.zones, t.zone_since = frozenset(), {}
    state, _ = evaluate(rule, state, [t], [], T0 + 3601)
    t.zones, t.zone_since = frozenset({"door"}), {"door": T0 + 3602}
    state, c = evaluate(rule, state, [t], [], T0 + 3700)
    assert len(c) == 1


def test_count_change() -> None:
    rule = RuleConfig(name="c", kind="count_change", labels=["cow"])
    a, b = FakeTrack(1), FakeTrack(2)
    state, c = evaluate(rule, RuleState(), [a], [], T0)
    assert [(x.previous_count, x.count) for x in c] == [(0, 1)]
    state, c = evaluate(rule, state, [a, b], [], T0 + 1)
    assert [(x.previous_count, x.count) for x in c] == [(1, 2)]
    state, c = evaluate(rule, state, [a, b], [], T0 + 2)
    assert c == []
    state, c = evaluate(rule, state, [], [a, b], T0 + 3)
    assert [(x.previous_count, x.count) for x in c] == [(2, 0)]


# --- the camera core: tracker + zones + rules + coalescing, driven frame by frame ---

FARM = CameraConfig(
    name="barn",
    zones=[
        ZoneConfig(name="gate", preposition="at", points=[(0, 0), (0.3, 0), (0.3, 1), (0, 1)]),
        ZoneConfig(name="yard", points=[(0.3, 0), (1, 0), (1, 1), (0.3, 1)]),
    ],
    rules=[
        RuleConfig(name="arrivals", kind="arrival"),
        RuleConfig(name="departures", kind="departure"),
        RuleConfig(name="into_yard", kind="zone_enter", zones=["yard"], labels=["cow"]),
        RuleConfig(
            name="fox", kind="arrival", labels=["fox"], severity="alert", cooldown_seconds=60
        ),
    ],
)


def run(core: CameraCore, frames: list[tuple[float, list]]) -> list[Event]:
    events: list[Event] = []
    for t, objs in frames:
        events.extend(core.step(dets(*objs), t).events)
    return events + core.finish()


def test_a_herd_walking_in_is_news_at_once_then_few_follow_ups_each_within_a_second() -> None:
    core = CameraCore(FARM, "en")
    frames: list[tuple[float, list[Any]]] = []
    for i in range(40):  # 12 cows appear one by one, 0.25 s apart, in the gate
        n = min(12, i // 1 + 1)
        cows = [
            ("cow", box_at(0.02 + 0.02 * k, 0.5 + 0.03 * k, w=0.03, h=0.1), 0.8) for k in range(n)
        ]
        frames.append((T0 + i * 0.25, cows))
    sent: list[tuple[float, Event]] = []
    for t, objs in frames:
        sent.extend((t, e) for e in core.step(dets(*objs), t).events if e.kind == "arrival")
    # The first cow is told as soon as it is confirmed; the others follow in a few events.
    first_at, first = sent[0]
    confirmed_at = T0 + 0.25 * (FARM.tracker.confirm_frames - 1)
    assert first.started_at.timestamp() == pytest.approx(confirmed_at) == first_at
    assert first.objects[0].count == 1
    assert first.summary.endswith("a cow appeared at the gate.")
    assert sum(e.objects[0].count for _, e in sent) == 12
    assert all(e.objects[0].zones == ["gate"] and e.objects[0].label == "cow" for _, e in sent)
    # Cow k is confirmed 3 frames after it appears at T0 + 0.25 (k - 1); each is told at
    # most follow_up_seconds later (in the next frame after that) ...
    told = sorted((tid, t) for t, e in sent for tid in e.objects[0].track_ids)
    assert [tid for tid, _ in told] == list(range(1, 13))
    wait = [t - (T0 + 0.25 * (tid - 1) + confirmed_at - T0) for tid, t in told]
    assert max(wait) <= FARM.follow_up_seconds + 0.25 + 1e-6
    # ... and the messages are at least follow_up_seconds apart.
    times = [t for t, _ in sent]
    assert min(b - a for a, b in zip(times[:-1], times[1:], strict=True)) >= (
        FARM.follow_up_seconds - 1e-6
    )


def test_walk_from_gate_into_yard_and_away() -> None:
    core = CameraCore(FARM, "en")
    frames = []
    for i in range(30):  # a cow walks right across the frame, then is gone for 5 s
        frames.append((T0 + i * 0.5, [("cow", box_at(0.1 + 0.03 * i, 0.9), 0.9)]))
    frames += [(T0 + 15 + i * 0.5, []) for i in range(12)]
    events = run(core, frames)
    kinds = [(e.kind, e.objects[0].zones) for e in events]
    assert kinds == [("arrival", ["gate"]), ("zone_enter", ["yard"]), ("departure", ["yard"])]
    assert all(e.objects[0].track_ids == [1] for e in events)
    assert events[1].title == "A cow arrived in the yard"
    started = [e.started_at.timestamp() for e in events]
    assert started == sorted(started)


def test_a_flicker_is_not_an_event() -> None:
    core = CameraCore(FARM, "en")
    frames = [(T0, [("cow", box_at(0.5, 0.9), 0.9)])] + [(T0 + i, []) for i in range(1, 10)]
    assert run(core, frames) == []


def test_cooldown_silences_a_repeat() -> None:
    core = CameraCore(FARM, "en")
    fox = ("fox", box_at(0.8, 0.9), 0.9)
    frames = [(T0 + i * 0.5, [fox]) for i in range(6)]  # fox, gone, fox again within 60 s
    frames += [(T0 + 3 + i * 0.5, []) for i in range(10)]
    frames += [(T0 + 8 + i * 0.5, [fox]) for i in range(6)]
    frames += [(T0 + 120 + i * 0.5, []) for i in range(10)]
    frames += [(T0 + 130 + i * 0.5, [fox]) for i in range(6)]
    fox_events = [e for e in run(core, frames) if e.rule == "fox"]
    assert len(fox_events) == 2  # the second sighting was within the cooldown
    assert all(e.severity == "alert" for e in fox_events)


def test_state_counts_per_label_and_zone() -> None:
    core = CameraCore(FARM, "en")
    objs = [
        ("cow", box_at(0.1, 0.9), 0.6),  # below FAST_CONFIRM_SCORE: the full streak
        ("cow", box_at(0.6, 0.9), 0.6),
        ("dog", box_at(0.8, 0.9), 0.6),
    ]
    n = FARM.tracker.confirm_frames
    states = [core.step(dets(*objs), T0 + i * 0.5).state for i in range(n + 1)]
    assert states[0] is not None and states[0].counts == {}  # not confirmed yet
    assert states[1 : n - 1] == [None] * (n - 2)
    confirmed = states[n - 1]
    assert confirmed is not None
    assert confirmed.counts == {"cow": 2, "dog": 1}
    assert confirmed.zones == {"gate": {"cow": 1}, "yard": {"cow": 1, "dog": 1}}
    assert states[n] is None  # unchanged: nothing to publish


def test_ukrainian_core_output() -> None:
    config = FARM.model_copy(update={"rules": [RuleConfig(name="a", kind="arrival")]})
    core = CameraCore(config, "uk")
    frames = [
        (T0 + i * 0.5, [("cow", box_at(0.1, 0.9), 0.9), ("cow", box_at(0.2, 0.9), 0.9)])
        for i in range(4)
    ]
    (event,) = run(core, frames)
    assert event.language == "uk"
    assert event.title == "2 корови з'явилися у зоні «gate»"


def test_news_goes_out_at_once_and_followers_wait_at_most_the_window() -> None:
    from agent.core.coalesce import Coalescer
    from agent.core.rules import Change

    camera = CameraConfig(
        name="c", rules=[RuleConfig(name="a", kind="arrival")], follow_up_seconds=0.4
    )
    co = Coalescer(camera, "en")
    hold = camera.follow_up_seconds

    def arrive(track: int, at: float) -> list[int]:
        co.add([Change("a", "arrival", at, track, "cow", 0.9)])
        return [len(e.objects[0].track_ids) for e in co.poll(at)]

    assert arrive(1, T0) == [1]  # news: sent in the frame it happened
    # The rule is busy; the last event is older than follow_up_seconds: sent at once.
    assert arrive(2, T0 + 1) == [1]
    assert arrive(3, T0 + 1.2) == []  # 0.2 s after the last event: gathered
    assert arrive(4, T0 + 1.3) == []
    assert [e.objects[0].track_ids for e in co.poll(T0 + 1 + hold - 0.1)] == []
    (batch,) = co.poll(T0 + 1 + hold)  # follow_up_seconds after the last event
    assert batch.objects[0].track_ids == [3, 4] and batch.objects[0].count == 2
    assert co.pending == 0
    assert arrive(5, T0 + 1.6) == []  # still busy, and the last event is 0.2 s old
    assert co.poll(T0 + 1.4 + hold - 0.1) == []
    assert [e.objects[0].track_ids for e in co.poll(T0 + 1.4 + hold)] == [[5]]
    assert co.poll(T0 + 4.6) == []  # quiet for 3 s: idle again
    assert arrive(6, T0 + 6) == [1]  # news again


def test_a_follow_up_two_frames_after_the_last_event_is_not_held_by_jitter() -> None:
    # Frames two apart at 5 frames/s come 0.4 s apart give or take the camera's jitter and
    # the rounding of epoch seconds (a float resolves 0.24 microseconds there): a follow-up
    # two frames after the last event goes out then, not a third frame later.
    from agent.core.coalesce import Coalescer
    from agent.core.rules import Change

    camera = CameraConfig(
        name="c", rules=[RuleConfig(name="a", kind="arrival")], follow_up_seconds=0.4
    )
    co = Coalescer(camera, "en")
    t = T0 + 25.2
    co.add([Change("a", "arrival", t, 1, "cow", 0.9)])
    assert len(co.poll(t)) == 1  # news
    co.add([Change("a", "arrival", t + 0.2, 2, "cow", 0.9)])
    assert co.poll(t + 0.2) == []  # the next frame: gathered
    t += 0.4 - 1e-6  # two frames on, a microsecond early
    co.add([Change("a", "arrival", t, 3, "cow", 0.9)])
    (batch,) = co.poll(t)
    assert batch.objects[0].track_ids == [2, 3]
    t += 0.39  # two frames on, 10 ms early
    co.add([Change("a", "arrival", t, 4, "cow", 0.9)])
    (batch,) = co.poll(t)
    assert batch.objects[0].track_ids == [4]


def test_a_longer_follow_up_gathers_more_into_fewer_events() -> None:
    from agent.core.coalesce import Coalescer
    from agent.core.rules import Change

    camera = CameraConfig(
        name="c", rules=[RuleConfig(name="a", kind="arrival")], follow_up_seconds=3.0
    )
    co = Coalescer(camera, "en")
    sent = []
    for i in range(6):  # one a second: at most one event per 3 s
        co.add([Change("a", "arrival", T0 + i, i + 1, "cow", 0.9)])
        sent += [e.objects[0].count for e in co.poll(T0 + i)]
    sent += [e.objects[0].count for e in co.flush()]
    assert sent == [1, 3, 2]


def test_every_event_kind_has_a_rule_function() -> None:
    from typing import get_args

    from agent.core.kinds import EventKind
    from agent.core.rules import RULE_KINDS

    assert set(RULE_KINDS) == set(get_args(EventKind))


def test_the_camera_tracks_only_its_labels_whether_or_not_a_frame_has_others() -> None:
    """A camera's `labels` drop other boxes; a frame with only tracked labels is used as it
    is (no subset is made), and both give the camera without the filter's events."""
    cow: Any = ("cow", box_at(0.2, 0.9), 0.9)
    fox: Any = ("fox", box_at(0.7, 0.9), 0.9)
    cows_only = [(T0 + i * 0.5, [cow]) for i in range(6)] + [
        (T0 + 3 + i * 0.5, []) for i in range(12)
    ]
    with_fox = [(t, [*objs, fox] if objs else []) for t, objs in cows_only]
    plain = CameraConfig(name="barn", rules=[RuleConfig(name="arrivals", kind="arrival")])
    cows = plain.model_copy(update={"labels": ["cow"]})
    expected = [(e.kind, e.objects) for e in run(CameraCore(plain, "en"), cows_only)]
    assert [o.label for _, objs in expected for o in objs] == ["cow"]
    for frames in (cows_only, with_fox):
        core = CameraCore(cows, "en")
        assert [(e.kind, e.objects) for e in run(core, frames)] == expected
    core = CameraCore(cows, "en")
    core.step(dets(cow, fox), T0)
    assert [t.label for t in core.tracker.tracks] == ["cow"]
