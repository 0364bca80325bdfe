"""Tracker and zones with synthetic boxes."""

from __future__ import annotations

import numpy as np
import pytest
from support.scenes import T0, box_at, dets

from agent.core.geometry import box_iou
from agent.core.settings import TrackerConfig, ZoneConfig
from agent.core.tracking import FAST_CONFIRM_SCORE, TENTATIVE_MISSES, Tracker, TrackUpdate
from agent.core.zones import Zones

CONFIRM = TrackerConfig().confirm_frames
#: Boxes scoring FAST_CONFIRM_SCORE or more on average are confirmed one frame sooner.
FAST = CONFIRM - 1


def feed(tracker: Tracker, frames: list[tuple[float, list]]) -> list:
    """Run frames through the tracker; returns every TrackUpdate."""
    return [tracker.update(dets(*objs), t) for t, objs in frames]


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
    assert ids[: FAST - 1] == [[]] * (FAST - 1)  # not objects yet (confident boxes)
    assert all(i == [1, 2] for i in ids[FAST - 1 :])
    assert tracker.tracks[0].hits == 20


@pytest.mark.parametrize(("score", "n"), [(0.9, FAST - 1), (0.65, CONFIRM - 1)])
def test_a_short_false_positive_never_becomes_an_object(score: float, n: int) -> None:
    tracker = Tracker(TrackerConfig())
    ghost = ("person", (0.1, 0.1, 0.3, 0.6), score)
    frames = [(T0 + i * 0.2, [ghost]) for i in range(n)]
    frames += [(T0 + 1 + i * 0.2, []) for i in range(30)]
    updates = feed(tracker, frames)
    assert all(u.active == [] and u.removed == [] for u in updates)
    assert tracker.tracks == []


def test_a_low_scoring_streak_is_not_confirmed() -> None:
    tracker = Tracker(TrackerConfig())
    dim = ("person", (0.1, 0.1, 0.3, 0.6), 0.35)  # a bush the detector half believes in
    updates = feed(tracker, [(T0 + i * 0.2, [dim]) for i in range(10)])
    assert all(u.active == [] for u in updates)


def test_a_dog_cat_flicker_is_one_track_labelled_by_its_majority() -> None:
    tracker = Tracker(TrackerConfig())
    box = (0.1, 0.5, 0.2, 0.6)
    labels = ["dog", "dog", "cat", "dog", "dog", "cat", "dog", "dog"]
    updates = feed(tracker, [(T0 + i * 0.2, [(lb, box, 0.8)]) for i, lb in enumerate(labels)])
    assert [(t.id, t.label) for t in updates[-1].active] == [(1, "dog")]
    assert len(tracker.tracks) == 1


def test_labels_outside_a_group_never_share_a_track() -> None:
    tracker = Tracker(TrackerConfig())
    box = (0.1, 0.1, 0.3, 0.3)
    feed(tracker, [(T0 + i * 0.2, [("dog", box, 0.9)]) for i in range(CONFIRM)])
    update = tracker.update(dets(("person", box, 0.9)), T0 + CONFIRM * 0.2)
    assert [t.label for t in update.active] == ["dog"]
    assert {t.label for t in tracker.tracks} == {"dog", "person"}


def test_a_nested_box_neither_starts_a_track_nor_moves_one() -> None:
    tracker = Tracker(TrackerConfig())
    full = ("car", (0.2, 0.5, 0.5, 0.7), 0.9)
    inner = ("car", (0.22, 0.52, 0.35, 0.62), 0.4)  # the front of the same car
    feed(tracker, [(T0 + i * 0.2, [full, inner]) for i in range(CONFIRM + 2)])
    assert len(tracker.tracks) == 1  # the duplicate in the same frame was dropped
    # The full box is missed for 10 s; only the inner box is found.
    t = T0 + 2
    updates = feed(tracker, [(t + i * 0.2, [inner]) for i in range(50)])
    assert [u.removed for u in updates] == [[]] * 50
    (track,) = tracker.tracks
    assert track.id == 1 and track.last_seen == t + 49 * 0.2
    assert track.box.tolist() == pytest.approx([0.2, 0.5, 0.5, 0.7], abs=1e-3)  # no snapping
    update = tracker.update(dets(full), t + 10)
    assert [x.id for x in update.active] == [1]  # the full box continues the same visit


def test_prediction_follows_a_fast_walker() -> None:
    tracker = Tracker(TrackerConfig())
    frames = []
    for i in range(12):  # 1.2 box widths a frame: no overlap between frames at all
        x = 0.05 + 0.06 * i
        frames.append((T0 + i * 0.2, [("person", (x, 0.3, x + 0.05, 0.8), 0.9)]))
    updates = feed(tracker, frames)
    assert {t.id for u in updates for t in u.active} == {1}
    assert all(u.removed == [] for u in updates)


def test_a_dog_that_turns_keeps_its_track() -> None:
    tracker = Tracker(TrackerConfig())
    xs = [0.1 + 0.06 * i for i in range(8)] + [0.52 - 0.06 * i for i in range(1, 8)]
    updates = feed(
        tracker,
        [(T0 + i * 0.2, [("dog", (x, 0.8, x + 0.08, 0.87), 0.9)]) for i, x in enumerate(xs)],
    )
    assert {t.id for u in updates for t in u.active} == {1}


def test_lost_tracks_are_removed_after_the_timeout() -> None:
    tracker = Tracker(TrackerConfig(lost_after_seconds=2.0))
    box = ("person", (0.4, 0.1, 0.5, 0.6), 0.9)
    feed(tracker, [(T0 + i * 0.2, [box]) for i in range(CONFIRM)])
    last = T0 + (CONFIRM - 1) * 0.2
    assert tracker.update(dets(), last + 1.9).removed == []
    update = tracker.update(dets(), last + 2.1)
    assert [t.label for t in update.removed] == ["person"]
    assert update.active == []


def test_a_gap_shorter_than_the_timeout_keeps_the_id() -> None:
    tracker = Tracker(TrackerConfig(lost_after_seconds=3.0))
    box = ("person", (0.4, 0.1, 0.6, 0.6), 0.9)
    feed(tracker, [(T0 + i * 0.2, [box]) for i in range(CONFIRM)])
    tracker.update(dets(), T0 + 2)
    update = tracker.update(dets(box), T0 + 3)
    assert [t.id for t in update.active] == [1]


def test_a_parked_car_outlasts_a_long_gap_that_ends_a_walker() -> None:
    tracker = Tracker(TrackerConfig())
    car = ("car", (0.1, 0.5, 0.35, 0.7), 0.9)
    person = ("person", (0.6, 0.3, 0.65, 0.8), 0.9)
    # Both are seen still for ten minutes, one frame a second; then neither is detected.
    feed(tracker, [(T0 + i, [car, person]) for i in range(600)])
    gone = T0 + 599
    updates = feed(tracker, [(gone + 1 + i, []) for i in range(30)])
    removed = {t.label: gone + 1 + i for i, u in enumerate(updates) for t in u.removed}
    cfg = TrackerConfig()
    # Both waits grew by 3 s a minute stood still (to 33 s), the person's only up to the
    # default limit, the car's up to its preset's minute.
    assert removed["person"] - gone == pytest.approx(cfg.still_lost_after_seconds, abs=1.01)
    assert "car" not in removed
    update = tracker.update(dets(car), gone + 31)
    assert [t.id for t in update.active] == [1]


def test_an_object_heading_out_of_the_frame_is_gone_soon() -> None:
    tracker = Tracker(TrackerConfig())
    frames = []
    for i in range(10):  # walks out through the right edge
        x = 0.5 + 0.05 * i
        frames.append((T0 + i * 0.2, [("person", (x, 0.3, min(x + 0.06, 1.0), 0.8), 0.9)]))
    feed(tracker, frames)
    last = T0 + 9 * 0.2
    edge = TrackerConfig().edge_lost_after_seconds
    updates = feed(tracker, [(last + 0.2 * (i + 1), []) for i in range(20)])
    first = next(i for i, u in enumerate(updates) if u.removed)
    assert 0.2 * (first + 1) == pytest.approx(edge + 0.2, abs=0.21)


def _walk(x0: float, speed: float, t0: float, t1: float, fps: float = 5.0) -> list[float]:
    return [t0 + i / fps for i in range(int((t1 - t0) * fps))]


def test_a_walker_hidden_for_five_seconds_in_mid_frame_keeps_the_track() -> None:
    tracker = Tracker(TrackerConfig())
    speed = 0.08  # frame widths a second; hidden from x = 0.45 to 0.85
    updates = []
    for t in _walk(0.0, speed, 0.0, 11.2):
        x = 0.05 + speed * t
        hidden = 5.0 <= t < 10.0
        objs = [] if hidden else [("person", (x, 0.5, x + 0.06, 0.8), 0.9)]
        updates.append(tracker.update(dets(*objs), T0 + t))
    assert not any(u.removed for u in updates)
    assert {t.id for u in updates for t in u.active} == {1}


def test_the_next_car_coming_in_is_not_the_one_missed_in_mid_frame() -> None:
    tracker = Tracker(TrackerConfig())
    car = (0.22, 0.16)
    updates = []
    box: tuple[float, float, float, float]
    for t in _walk(0.0, 0.0, 0.0, 8.0):
        objs = []
        if t < 2.0:  # the first car drives in and is then missed in mid-frame
            x = 0.2 + 0.1 * t
            objs.append(("car", (x, 0.6, x + car[0], 0.6 + car[1]), 0.9))
        if t >= 3.0:  # the next one comes in over the left edge
            x = -0.1 + 0.1 * (t - 3.0)
            box = (max(x, 0.0), 0.6, x + car[0], 0.6 + car[1])
            objs.append(("car", box, 0.9))
        updates.append(tracker.update(dets(*objs), T0 + t))
    ids = [sorted(t.id for t in u.active) for u in updates]
    assert ids[-1] == [1, 2]  # the first is still awaited; the second is a new car


def test_a_resting_herd_does_not_shift_along_when_one_is_missed_and_one_comes() -> None:
    tracker = Tracker(TrackerConfig())

    def cow(x: float) -> tuple[str, tuple[float, float, float, float], float]:
        return ("cow", (x, 0.5, x + 0.14, 0.62), 0.9)

    herd = [cow(0.3), cow(0.4), cow(0.5)]  # overlapping, 0.7 of a box width apart
    feed(tracker, [(T0 + i * 0.2, herd) for i in range(50)])  # 10 s grazing
    # The first is missed; a fourth comes to stand at the other end. Pairing every track
    # with its neighbour's box would pair one more; a cow that stood still does not jump.
    updates = feed(tracker, [(T0 + 10 + i * 0.2, [*herd[1:], cow(0.6)]) for i in range(6)])
    tracks = {t.id: t for t in updates[-1].active}
    assert sorted(tracks) == [1, 2, 3, 4]
    for tid, x in ((1, 0.3), (2, 0.4), (3, 0.5), (4, 0.6)):
        assert tracks[tid].corners[0] == pytest.approx(x, abs=0.01)


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


def test_zone_sets_follow_the_membership_and_are_shared() -> None:
    zones = Zones(ZONES)
    anchors = [(0.25, 0.9), (0.6, 0.9), (0.95, 0.9), (0.25, 1.0), (0.5, 0.8), (0.2, 0.5)]
    boxes = np.array([box_at(x, y, w=0.1, h=0.3) for x, y in anchors], np.float32)
    sets = zones.zone_sets(boxes)
    assert sets == [
        frozenset(n for n, hit in zip(zones.names, row, strict=True) if hit)
        for row in zones.membership(boxes).tolist()
    ]
    assert sets[0] is sets[3] is sets[4] and sets[1] == frozenset()  # one object per set


def test_zone_change_must_hold_before_it_counts() -> None:
    tracker = Tracker(TrackerConfig())
    tracker.update(dets(("cow", box_at(0.3, 0.9), 0.9)), T0)
    track = tracker.tracks[0]
    track.observe_zones(frozenset({"left"}), T0, stable_frames=2)
    assert track.zones == {"left"}  # a new track takes its first zones at once
    track.observe_zones(frozenset(), T0 + 1, stable_frames=2)
    assert track.zones == {"left"}  # one frame outside is a wobble
    track.observe_zones(frozenset({"left"}), T0 + 2, stable_frames=2)
    track.observe_zones(frozenset(), T0 + 3, stable_frames=2)
    track.observe_zones(frozenset(), T0 + 4, stable_frames=2)
    assert track.zones == frozenset()
    track.observe_zones(frozenset({"left"}), T0 + 5, stable_frames=2)
    track.observe_zones(frozenset({"left"}), T0 + 6, stable_frames=2)
    assert track.zone_since == {"left": T0 + 6}


@pytest.mark.parametrize("score", [0.65, 0.9])
def test_a_fast_camera_needs_the_same_time_to_confirm(score: float) -> None:
    tracker = Tracker(TrackerConfig())
    box = ("person", (0.4, 0.1, 0.5, 0.6), score)
    c = TrackerConfig()
    # A confident box needs the share of confirm_seconds that FAST frames take at its own rate.
    wait = c.confirm_seconds * ((FAST - 1) / (CONFIRM - 1) if score >= FAST_CONFIRM_SCORE else 1)
    # At 25 frames/s, CONFIRM frames in a row are only 0.12 s: a false positive could last that.
    updates = feed(tracker, [(T0 + i * 0.04, [box]) for i in range(8)])
    assert all(u.active == [] for u in updates)
    more = feed(tracker, [(T0 + i * 0.04, [box]) for i in range(8, 20)])
    first = next(i for i, u in enumerate(more, start=8) if u.active)
    assert first * 0.04 == pytest.approx(wait, abs=0.041)


def test_a_confident_box_is_confirmed_a_frame_sooner_a_weak_one_is_not() -> None:
    for score, frames in ((0.9, FAST), (0.6, CONFIRM)):
        tracker = Tracker(TrackerConfig())
        box = ("dog", (0.4, 0.5, 0.5, 0.6), score)
        updates = feed(tracker, [(T0 + i * 0.2, [box]) for i in range(CONFIRM)])
        assert [bool(u.active) for u in updates] == [i >= frames - 1 for i in range(CONFIRM)]


def test_a_box_inside_another_of_its_label_does_not_continue_a_lost_neighbour() -> None:
    # Two dogs; the left one goes unseen while the right one is seen with a head box inside
    # its full box, on the side of the left dog. The head box is part of the right dog: it
    # must not keep the left dog's track going, nor shrink it to a head's size.
    tracker = Tracker(TrackerConfig())
    left, right = (0.30, 0.5, 0.38, 0.57), (0.42, 0.5, 0.50, 0.57)
    head = (0.42, 0.505, 0.46, 0.54)
    feed(tracker, [(T0 + i * 0.2, [("dog", left, 0.8), ("dog", right, 0.8)]) for i in range(6)])
    gone = next(t for t in tracker.confirmed if t.corners[0] < 0.35)
    seen = gone.last_seen
    feed(
        tracker,
        [(T0 + 1.2 + i * 0.2, [("dog", right, 0.8), ("dog", head, 0.45)]) for i in range(6)],
    )
    x1, y1, x2, y2 = gone.corners
    assert gone.last_seen == seen  # unseen since the left dog went
    assert x2 - x1 > 0.07 and y2 - y1 > 0.06  # still a dog's size


def test_a_young_track_knows_its_speed_after_a_few_boxes() -> None:
    # A car crossing the frame in about two seconds: after its third box the tracker must
    # know it moves about 0.45 frame widths a second, or, missed as it drives out, it is
    # not seen leaving and the next car in its lane continues its track.
    tracker = Tracker(TrackerConfig())
    for i in range(3):
        cx = 0.15 + 0.09 * i
        tracker.update(dets(("car", (cx - 0.11, 0.64, cx + 0.11, 0.80), 0.8)), T0 + i * 0.2)
    (car,) = tracker.tracks
    assert car.velocity[0] == pytest.approx(0.45, rel=0.2)


def test_a_part_box_moves_a_track_but_does_not_shrink_it() -> None:
    from agent.core.tracking import _size_update

    assert _size_update(0.08, 0.07, 0.04, 0.04) == (0.08, 0.07)  # a head: size kept
    w, h = _size_update(0.08, 0.07, 0.07, 0.06)  # the object a little smaller: followed
    assert w == pytest.approx(0.075) and h == pytest.approx(0.065)


@pytest.mark.parametrize(("last_x", "gone"), [(0.04, True), (0.10, False), (0.20, False)])
def test_only_an_object_last_seen_near_an_edge_leaves_over_it(last_x: float, gone: bool) -> None:
    # A dog running left at 0.3 frame widths a second is missed. Last seen at the left
    # edge it went out (gone after edge_lost_after_seconds); last seen a box width or more
    # from it, its prediction also crosses the edge within the second it coasts, but it
    # may have turned.
    tracker = Tracker(TrackerConfig())
    xs = [last_x + 0.06 * (5 - i) for i in range(6)]
    feed(
        tracker,
        [(T0 + i * 0.2, [("dog", (x, 0.7, x + 0.08, 0.77), 0.8)]) for i, x in enumerate(xs)],
    )
    updates = feed(tracker, [(T0 + 1.2 + i * 0.2, []) for i in range(10)])
    assert bool([t for u in updates for t in u.removed]) is gone


@pytest.mark.parametrize(("missed", "kept"), [(1, True), (3, True), (4, False)])
def test_a_new_object_survives_a_short_miss_burst(missed: int, kept: bool) -> None:
    # Seen twice, missed for a burst, seen again: the same track goes on (and is confirmed)
    # after up to TENTATIVE_MISSES missed frames; after more it starts over.
    box = ("person", (0.4, 0.1, 0.5, 0.6), 0.6)
    tracker = Tracker(TrackerConfig())
    seen = [(T0 + i * 0.2, [box]) for i in range(2)]
    gap = [(T0 + (2 + i) * 0.2, []) for i in range(missed)]
    more = [(T0 + (2 + missed + i) * 0.2, [box]) for i in range(CONFIRM - 2)]
    updates = feed(tracker, seen + gap + more)
    assert bool(updates[-1].active) is kept
    assert [t.id for t in tracker.tracks] == ([1] if kept else [2])


def test_a_weak_new_track_is_dropped_at_its_second_miss() -> None:
    # Boxes below confirm_score on average bridge one missed frame only: the detection
    # that comes back after two is a new track.
    weak = ("person", (0.4, 0.1, 0.5, 0.6), 0.5)
    tracker = Tracker(TrackerConfig())
    feed(tracker, [(T0, [weak]), (T0 + 0.2, [weak]), (T0 + 0.4, []), (T0 + 0.6, [])])
    assert tracker.tracks == []
    feed(tracker, [(T0 + 0.8, [weak]), (T0 + 1.0, [weak]), (T0 + 1.2, []), (T0 + 1.4, [weak])])
    assert [t.id for t in tracker.tracks] == [2]  # one missed frame is still bridged


def test_a_false_positive_that_flickers_twice_is_not_an_object() -> None:
    ghost = ("person", (0.1, 0.1, 0.3, 0.6), 0.65)
    tracker = Tracker(TrackerConfig())
    frames = [(T0, [ghost]), (T0 + 0.2, [ghost])] + [(T0 + 0.4 + i * 0.2, []) for i in range(10)]
    assert all(u.active == [] and u.removed == [] for u in feed(tracker, frames))
    assert tracker.tracks == []


def test_a_streak_with_a_missed_frame_confirms_on_its_last_frame() -> None:
    # Three boxes over four frames (one missed) at an ordinary score confirm at the fourth
    # frame, as four boxes in a row would; three in a row at that score do not.
    box = ("person", (0.4, 0.1, 0.5, 0.6), 0.6)
    tracker = Tracker(TrackerConfig())
    frames = [(T0, [box]), (T0 + 0.2, [box]), (T0 + 0.4, []), (T0 + 0.6, [box])]
    assert [bool(u.active) for u in feed(tracker, frames)] == [False, False, False, True]
    tracker = Tracker(TrackerConfig())
    frames = [(T0 + i * 0.2, [box]) for i in range(3)]
    assert not any(u.active for u in feed(tracker, frames))
    # At 2 frames/s three boxes in a row last as long, but no frame was missed: not yet.
    tracker = Tracker(TrackerConfig())
    frames = [(T0 + i * 0.5, [box]) for i in range(3)]
    assert not any(u.active for u in feed(tracker, frames))


def test_one_sure_box_confirms_a_frame_sooner() -> None:
    # A mean of confirm_score with one box of SURE_SCORE confirms after three boxes, as
    # a mean of FAST_CONFIRM_SCORE does; without the sure box it needs the fourth.
    from agent.core.tracking import SURE_SCORE

    def confirmed_after(scores: list[float]) -> int:
        tracker = Tracker(TrackerConfig())
        for i, s in enumerate(scores):
            if tracker.update(dets(("car", (0.4, 0.5, 0.6, 0.7), s)), T0 + i * 0.2).active:
                return i + 1
        return 0

    assert confirmed_after([0.45, SURE_SCORE, 0.45, 0.45]) == FAST  # mean 0.57
    assert confirmed_after([0.6, 0.6, 0.6, 0.6]) == CONFIRM
    assert confirmed_after([0.3, SURE_SCORE, 0.3, 0.3, 0.3]) == 0  # mean below 0.55


def test_a_lost_car_is_not_picked_up_by_the_next_one_coming_in() -> None:
    # A car driving slowly right is lost in mid-frame (not heading out); the next car in its
    # lane comes in over the left edge within the wait, beyond the ordinary gate but within
    # re-acquisition's wider reach: it is a new object, not the lost one found again.
    tracker = Tracker(TrackerConfig())
    for i in range(10):
        x = 0.5 + 0.01 * i
        tracker.update(dets(("car", (x, 0.6, x + 0.22, 0.76), 0.9)), T0 + i * 0.2)
    feed(tracker, [(T0 + i * 0.2, []) for i in range(10, 15)])
    for i in range(15, 22):
        x = 0.06 * (i - 15)
        tracker.update(dets(("car", (x, 0.6, x + 0.22, 0.76), 0.9)), T0 + i * 0.2)
    assert [(t.id, t.first_seen - T0) for t in tracker.confirmed] == [
        (1, 0.0),
        (2, pytest.approx(3.0)),
    ]


def test_a_car_seen_only_by_a_part_drives_on_and_out() -> None:
    # A car crossing right at 0.3 a second; from x = 0.5 on the detector returns only a
    # box inside it (the front of the cab). The car is kept along its way, and judged gone
    # soon after it reaches the edge, not held in mid-frame for the full wait.
    tracker = Tracker(TrackerConfig())
    t, x = T0, 0.1
    while x < 0.5:
        tracker.update(dets(("car", (x, 0.6, x + 0.2, 0.76), 0.9)), t)
        t, x = t + 0.2, x + 0.06
    removed_at = None
    for _ in range(60):
        inner = [("car", (x + 0.12, 0.62, x + 0.19, 0.7), 0.4)] if x + 0.2 < 1.0 else []
        u = tracker.update(dets(*inner), t)
        if u.removed:
            removed_at = t
            break
        t, x = t + 0.2, x + 0.06
    assert removed_at is not None and not tracker.confirmed
    assert x + 0.2 >= 1.0 and removed_at - T0 < 4.0  # left about when it drove out


def test_a_parked_car_seen_only_by_a_part_stays_put() -> None:
    tracker = Tracker(TrackerConfig())
    box = (0.4, 0.6, 0.6, 0.76)
    for i in range(20):
        tracker.update(dets(("car", box, 0.9)), T0 + i * 0.2)
    for i in range(20, 60):
        tracker.update(dets(("car", (0.45, 0.62, 0.52, 0.7), 0.4)), T0 + i * 0.2)
    (car,) = tracker.confirmed
    assert car.corners == pytest.approx(box, abs=0.01)


def _cat(x: float, bottom: float = 0.8) -> tuple[str, tuple[float, float, float, float], float]:
    return ("cat", (x - 0.032, bottom - 0.06, x + 0.032, bottom), 0.9)


def test_a_cat_darting_two_box_widths_a_frame_is_one_object() -> None:
    # 0.6 frame widths a second at 5 frames/s: 0.12 a frame, nearly two of its box widths.
    tracker = Tracker(TrackerConfig())
    xs = [0.04 + 0.12 * i for i in range(8)]
    updates = feed(tracker, [(T0 + i * 0.2, [_cat(x)]) for i, x in enumerate(xs)])
    assert {t.id for u in updates for t in u.active} == {1}
    assert updates[CONFIRM - 1].active  # confirmed on its fourth box, like a walker


def test_a_cat_that_sat_and_darted_off_keeps_its_visit() -> None:
    # It walks in, sits for 4 s in mid-frame, then darts off faster than any gate: the
    # new track first seen next to where it sat continues it; no second arrival.
    tracker = Tracker(TrackerConfig())
    frames = []
    t = 0.0
    for i in range(8):  # walks in
        frames.append((T0 + t, [_cat(0.05 + 0.05 * i)]))
        t += 0.2
    for _ in range(20):  # sits at 0.4
        frames.append((T0 + t, [_cat(0.4)]))
        t += 0.2
    for i in range(1, 6):  # darts right, 0.12 a frame
        frames.append((T0 + t, [_cat(0.4 + 0.12 * i)]))
        t += 0.2
    updates = feed(tracker, frames)
    assert {t.id for u in updates for t in u.active} == {1}
    assert not any(u.removed for u in updates)
    # ...and is followed: by its last box, it is where the cat is.
    (cat,) = updates[-1].active
    assert cat.corners[0] == pytest.approx(0.4 + 0.6 - 0.032, abs=0.05)


def _dog(x: float, score: float = 0.9) -> tuple[str, tuple[float, float, float, float], float]:
    return ("dog", (x, 0.7, x + 0.08, 0.77), score)


def test_a_track_born_of_a_dogs_head_box_is_the_dog_when_the_dog_turns() -> None:
    # A dog runs right a box width a frame; in one frame the detector also returns its head
    # box, which starts a track of its own. The dog turns back at once: its prediction runs
    # on to the right, and the next boxes (its head, then all of it) continue the head's
    # track. When that track is confirmed it is the dog, seen in that same frame through
    # its head: one object, no second arrival.
    tracker = Tracker(TrackerConfig())
    frames = [(T0 + 0.2 * i, [_dog(0.1 + 0.08 * i)]) for i in range(6)]  # up to x = 0.5
    x, t = 0.54, T0 + 1.2
    frames.append((t, [_dog(x), ("dog", (x + 0.02, 0.71, x + 0.065, 0.745), 0.5)]))
    frames.append((t + 0.2, [("dog", (x - 0.015, 0.71, x + 0.03, 0.745), 0.6)]))
    frames.append((t + 0.4, [_dog(x - 0.05)]))
    frames += [(t + 0.2 * k, [_dog(x - 0.05 - 0.04 * (k - 2))]) for k in range(3, 8)]
    updates = feed(tracker, frames)
    assert {t.id for u in updates for t in u.active} == {1}
    assert not any(u.removed for u in updates)


def test_a_car_first_seen_a_frames_drive_in_from_the_edge_is_a_newcomer() -> None:
    # A car is lost in mid-frame (the detector misses it as it drives on, before it is
    # near the right edge). Two seconds later the next car comes in over the left edge; at
    # 0.3 frame widths a second it is first seen 0.05 in, short of touching the edge, but
    # one frame's drive back at its speed is over the edge: it came in, and is not the
    # lost car found again.
    tracker = Tracker(TrackerConfig())
    frames = [
        (T0 + 0.2 * i, [("car", (0.1 + 0.06 * i, 0.6, 0.32 + 0.06 * i, 0.76), 0.9)])
        for i in range(8)
    ]
    frames += [(T0 + 1.6 + 0.2 * i, []) for i in range(9)]
    t = T0 + 3.4
    frames += [
        (t + 0.2 * i, [("car", (0.05 + 0.06 * i, 0.6, 0.27 + 0.06 * i, 0.76), 0.9)])
        for i in range(6)
    ]
    updates = feed(tracker, frames)
    assert {t.id for u in updates for t in u.active} == {1, 2}
    assert [t.id for t in updates[-1].active] == [1, 2]  # the lost car still awaited


def test_a_walker_seen_again_just_as_the_wait_ends_keeps_the_visit() -> None:
    # A walker in mid-frame is missed for 6.2 s (a long miss burst, or behind a parked car
    # and missed before and after): the wait for an unseen walker (6 s) is over in the
    # very frame the walker is seen again. The track that box starts may be the walker,
    # so the walker is kept until it is confirmed (a second at most) and continues with it.
    tracker = Tracker(TrackerConfig())

    def walker(t: float) -> tuple[str, tuple[float, float, float, float], float]:
        x = 0.1 + 0.1 * t
        return ("person", (x - 0.03, 0.55, x + 0.03, 0.8), 0.9)

    ts = [0.2 * i for i in range(44)]  # (up to the right edge)
    frames = [(T0 + t, [walker(t)] if t < 1.5 or t > 7.5 else []) for t in ts]
    updates = feed(tracker, frames)
    assert {t.id for u in updates for t in u.active} == {1}
    assert not any(u.removed for u in updates)


def test_a_sure_first_box_survives_one_missed_frame() -> None:
    # A person seen once at 0.9 as they come in, missed in the next frame, then seen on:
    # the first box still counts, so three sure boxes over 0.6 s confirm them, a frame
    # before the streak of the later boxes alone would. A box at 0.6 does not bridge.
    def walk(score: float) -> list[TrackUpdate]:
        tracker = Tracker(TrackerConfig())
        frames = [
            (T0 + 0.2 * i, [] if i == 1 else [("person", box_at(0.1 + 0.02 * i, 0.8), score)])
            for i in range(6)
        ]
        return feed(tracker, frames)

    sure = walk(0.9)
    assert [bool(u.active) for u in sure] == [False, False, False, True, True, True]
    assert sure[3].active[0].first_seen == T0
    unsure = walk(0.6)
    assert [bool(u.active) for u in unsure] == [False, False, False, False, False, True]


def test_a_sure_first_box_survives_a_burst_of_misses_as_any_young_track() -> None:
    # Seen once at 0.9, then missed for TENTATIVE_MISSES frames: the next boxes continue
    # its track; missed one frame more, it was noise after all and the next box starts anew.
    for missed, first in ((TENTATIVE_MISSES, T0), (TENTATIVE_MISSES + 1, None)):
        tracker = Tracker(TrackerConfig())
        frames = [
            (T0 + 0.2 * i, [] if 1 <= i <= missed else [("person", box_at(0.5, 0.8), 0.9)])
            for i in range(missed + 5)
        ]
        (person,) = feed(tracker, frames)[-1].active
        assert (person.first_seen == T0) == (first is not None)


def test_a_visitor_walking_back_from_the_door_while_missed_keeps_the_visit() -> None:
    # A visitor waits at a door camera (a big box) for 5 s, then walks back down the path,
    # shrinking, while the detector misses them for 3 s: they are seen again at less than
    # half their size. An object that stood still may have changed size that much in the
    # time it was not measured: the new track continues the visit (no departure, no
    # second arrival).
    tracker = Tracker(TrackerConfig())
    door = ("person", (0.35, 0.4, 0.55, 0.98), 0.9)
    frames = [(T0 + 0.2 * i, [door]) for i in range(25)]
    frames += [(T0 + 5.0 + 0.2 * i, []) for i in range(15)]
    frames += [(T0 + 8.0 + 0.2 * i, [("person", (0.42, 0.3, 0.49, 0.55), 0.9)]) for i in range(6)]
    updates = feed(tracker, frames)
    assert {t.id for u in updates for t in u.active} == {1}
    assert not any(u.removed for u in updates)
    assert updates[-1].active[0].corners[3] < 0.7  # it follows the visitor's own box


def test_a_child_running_back_while_missed_keeps_the_visit() -> None:
    # A child runs across the lawn at 7 box widths a second, is missed for 1.6 s and runs
    # back the way they came meanwhile, to be seen again where they stopped: further
    # from the prediction (which coasts on for a second) than REACQUIRE_SPEED alone reaches,
    # but within one and a half times the child's own speed: the same visit goes on.
    tracker = Tracker(TrackerConfig())

    def child(x: float) -> tuple[str, tuple[float, float, float, float], float]:
        return ("person", (x - 0.02, 0.7, x + 0.02, 0.85), 0.9)

    frames = [(T0 + 0.2 * i, [child(0.3 + 0.056 * i)]) for i in range(6)]
    frames += [(T0 + 1.0 + 0.2 * i, []) for i in range(1, 8)]
    frames += [(T0 + 2.6 + 0.2 * i, [child(0.58 - 0.28 * 1.6)]) for i in range(6)]
    updates = feed(tracker, frames)
    assert {t.id for u in updates for t in u.active} == {1}
    assert not any(u.removed for u in updates)
