"""Tracker and zones with synthetic boxes."""

from __future__ import annotations

import numpy as np
import pytest
from support.scenes import T0, box_at, dets

from agent.config import TrackerConfig, ZoneConfig
from agent.core.tracking import Tracker, box_iou
from agent.core.zones import Zones


def test_ids_are_stable_while_objects_move() -> None:
    tracker = Tracker(TrackerConfig())
    ids = []
    for i in range(20):
        x = 0.2 + 0.01 * i
        update = tracker.update(
            dets(("cow", (x, 0.2, x + 0.2, 0.5), 0.9), ("cow", (0.7, 0.2, 0.9, 0.5), 0.8)),
            T0 + i * 0.5,
        )
        ids.append(sorted(t.id for t in update.active))
    assert all(i == [1, 2] for i in ids)
    assert tracker.tracks[0].hits == 20


def test_labels_never_swap_tracks() -> None:
    tracker = Tracker(TrackerConfig())
    tracker.update(dets(("dog", (0.1, 0.1, 0.3, 0.3), 0.9)), T0)
    update = tracker.update(dets(("cat", (0.1, 0.1, 0.3, 0.3), 0.9)), T0 + 0.5)
    assert {t.label: t.id for t in update.active} == {"dog": 1, "cat": 2}


def test_lost_tracks_are_removed_after_the_timeout() -> None:
    tracker = Tracker(TrackerConfig(lost_after_seconds=2.0))
    tracker.update(dets(("person", (0.1, 0.1, 0.3, 0.6), 0.9)), T0)
    assert tracker.update(dets(), T0 + 1.9).removed == []
    update = tracker.update(dets(), T0 + 2.1)
    assert [t.label for t in update.removed] == ["person"]
    assert update.active == []


def test_a_gap_shorter_than_the_timeout_keeps_the_id() -> None:
    tracker = Tracker(TrackerConfig(lost_after_seconds=3.0))
    box = ("person", (0.1, 0.1, 0.3, 0.6), 0.9)
    tracker.update(dets(box), T0)
    tracker.update(dets(), T0 + 1)
    update = tracker.update(dets(box), T0 + 2)
    assert [t.id for t in update.active] == [1]


def test_iou() -> None:
    a = np.array([[0, 0, 0.5, 0.5]], np.float32)
    b = np.array([[0, 0, 0.5, 0.5], [0.25, 0, 0.75, 0.5], [0.6, 0.6, 1, 1]], np.float32)
    assert box_iou(a, b)[0] == pytest.approx([1.0, 1 / 3, 0.0])


ZONES = [
    ZoneConfig(name="left", points=[(0, 0), (0.5, 0), (0.5, 1), (0, 1)]),
    ZoneConfig(name="tri", points=[(0.5, 0.5), (1, 0.5), (1, 1)]),
]


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        ((0.25, 0.9), [True, False]),
        ((0.6, 0.9), [False, False]),  # below the triangle's diagonal
        ((0.95, 0.9), [False, True]),
        ((0.25, 1.0), [True, False]),  # standing on the frame's bottom edge
        ((0.5, 0.8), [True, False]),  # on the shared border of the left zone
    ],
)
def test_zone_membership_uses_the_bottom_centre(
    anchor: tuple[float, float], expected: list[bool]
) -> None:
    zones = Zones(ZONES)
    box = np.array([box_at(anchor[0], anchor[1], w=0.1, h=0.3)], np.float32)
    assert zones.membership(box)[0].tolist() == expected


def test_zone_change_must_hold_before_it_counts() -> None:
    tracker = Tracker(TrackerConfig())
    tracker.update(dets(("cow", box_at(0.3, 0.9), 0.9)), T0)
    track = tracker.tracks[0]
    track.observe_zones(frozenset({"left"}), T0, stable_frames=2)
    assert track.zones == {"left"}  # a new track takes its first zones at once
    track.hits = 5
    track.observe_zones(frozenset(), T0 + 1, stable_frames=2)
    assert track.zones == {"left"}  # one frame outside is a wobble
    track.observe_zones(frozenset({"left"}), T0 + 2, stable_frames=2)
    track.observe_zones(frozenset(), T0 + 3, stable_frames=2)
    track.observe_zones(frozenset(), T0 + 4, stable_frames=2)
    assert track.zones == frozenset()
    track.observe_zones(frozenset({"left"}), T0 + 5, stable_frames=2)
    track.observe_zones(frozenset({"left"}), T0 + 6, stable_frames=2)
    assert track.zone_since == {"left": T0 + 6}
