"""Event rules: pure functions from tracks and the time to the changes worth telling.

Each rule keeps a small immutable state (which tracks it has counted, where they were,
what count it last reported). `evaluate` takes that state, this frame's tracks and the
frame's time and returns the next state and the changes; it reads nothing else, so a
test can replay an hour of tracks in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agent.core.kinds import EventKind
from agent.core.settings import RuleConfig


class TrackView(Protocol):
    """What rules read of a track."""

    @property
    def id(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def max_score(self) -> float: ...
    @property
    def first_seen(self) -> float: ...
    @property
    def hits(self) -> int: ...
    @property
    def zones(self) -> frozenset[str]: ...
    @property
    def zone_since(self) -> dict[str, float]: ...


@dataclass(frozen=True, slots=True)
class Change:
    """One fact, such as 'track 7 (cow) entered the gate at t'."""

    rule: str
    kind: EventKind
    at: float
    track_id: int
    label: str
    score: float
    zones: tuple[str, ...] = ()
    count: int | None = None
    previous_count: int | None = None


@dataclass(frozen=True, slots=True)
class RuleState:
    """What a rule remembers between frames."""

    counted: frozenset[int] = frozenset()
    zones: Mapping[int, frozenset[str]] = field(default_factory=dict)
    dwelled: frozenset[tuple[int, str]] = frozenset()
    counts: Mapping[str, int] = field(default_factory=dict)


def evaluate(
    rule: RuleConfig,
    state: RuleState,
    active: Sequence[TrackView],
    removed: Sequence[TrackView],
    now: float,
    *,
    filtered: bool = False,
) -> tuple[RuleState, list[Change]]:
    """Apply one rule to one frame's tracks.

    `filtered` says every active track already passes the rule's filters (the caller knows
    its tracker confirms objects at least as strictly), so they are not tested again.
    """
    if filtered:
        eligible = active
    else:
        # Whether a track has passed this rule's filters and debounce; written out rather
        # than a call per track, as it runs for every object, every rule and every frame.
        labels, min_score, min_frames, min_seconds = (
            rule.labels,
            rule.min_score,
            rule.min_frames,
            rule.min_seconds,
        )
        eligible = [
            t
            for t in active
            if (not labels or t.label in labels)
            and t.max_score >= min_score
            and t.hits >= min_frames
            and now - t.first_seen >= min_seconds
        ]
    return RULE_KINDS[rule.kind](rule, state, eligible, removed, now)


def _watched(rule: RuleConfig, zones: frozenset[str]) -> frozenset[str]:
    return zones & frozenset(rule.zones) if rule.zones else zones


def _change(rule: RuleConfig, t: TrackView, now: float, zones: frozenset[str]) -> Change:
    return Change(rule.name, rule.kind, now, t.id, t.label, t.max_score, tuple(sorted(zones)))


def _forget(state: RuleState, removed: Sequence[TrackView]) -> frozenset[int]:
    return state.counted - {t.id for t in removed}


def _arrivals(
    rule: RuleConfig,
    state: RuleState,
    eligible: Sequence[TrackView],
    removed: Sequence[TrackView],
    now: float,
) -> tuple[RuleState, list[Change]]:
    changes: list[Change] = []
    counted = state.counted
    fresh = [t for t in eligible if t.id not in counted]
    if not fresh and not removed:
        return state, changes  # the same objects as on the last frame: nothing to tell
    for t in fresh:
        # With zones, an arrival means appearing inside one of them; an object that
        # appears elsewhere and walks in later is a zone_enter, not an arrival.
        if not rule.zones or _watched(rule, t.zones):
            changes.append(_change(rule, t, now, _watched(rule, t.zones)))
    counted = _forget(state, removed) | {t.id for t in fresh}
    return RuleState(counted, state.zones, state.dwelled, state.counts), changes


def _departures(
    rule: RuleConfig,
    state: RuleState,
    eligible: Sequence[TrackView],
    removed: Sequence[TrackView],
    now: float,
) -> tuple[RuleState, list[Change]]:
    changes = []
    for t in removed:
        if t.id not in state.counted:
            continue  # never counted: a flicker, not an object that left
        last_zones = state.zones.get(t.id, t.zones)
        if not rule.zones or _watched(rule, last_zones):
            changes.append(_change(rule, t, now, _watched(rule, last_zones)))
    counted = state.counted
    if removed or any(t.id not in counted for t in eligible):
        counted = _forget(state, removed) | {t.id for t in eligible}
    zones = {t.id: t.zones for t in eligible}
    return RuleState(counted, zones, state.dwelled, state.counts), changes


def _zone_moves(
    rule: RuleConfig,
    state: RuleState,
    eligible: Sequence[TrackView],
    removed: Sequence[TrackView],
    now: float,
) -> tuple[RuleState, list[Change]]:
    changes = []
    zones: dict[int, frozenset[str]] = {}
    for t in eligible:
        before = state.zones.get(t.id, frozenset())
        after = _watched(rule, t.zones)
        moved = after - before if rule.kind == "zone_enter" else before - after
        if moved:
            changes.append(_change(rule, t, now, moved))
        zones[t.id] = after
    if rule.kind == "zone_exit":
        # An object lost while inside a zone has left it too.
        for t in removed:
            left = state.zones.get(t.id, frozenset())
            if left:
                changes.append(_change(rule, t, now, left))
    return RuleState(state.counted, zones, state.dwelled, state.counts), changes


def _dwells(
    rule: RuleConfig,
    state: RuleState,
    eligible: Sequence[TrackView],
    removed: Sequence[TrackView],
    now: float,
) -> tuple[RuleState, list[Change]]:
    changes = []
    dwelled: set[tuple[int, str]] = set()
    for t in eligible:
        for z in _watched(rule, t.zones):
            key = (t.id, z)
            if key in state.dwelled:
                dwelled.add(key)
            elif now - t.zone_since.get(z, now) >= rule.dwell_seconds:
                changes.append(_change(rule, t, now, frozenset({z})))
                dwelled.add(key)
    # Leaving the zone (or the frame) re-arms the rule for the next stay.
    return RuleState(state.counted, state.zones, frozenset(dwelled), state.counts), changes


def _count_changes(
    rule: RuleConfig,
    state: RuleState,
    eligible: Sequence[TrackView],
    removed: Sequence[TrackView],
    now: float,
) -> tuple[RuleState, list[Change]]:
    counts: dict[str, int] = {}
    best: dict[str, TrackView] = {}
    for t in eligible:
        if rule.zones and not _watched(rule, t.zones):
            continue
        counts[t.label] = counts.get(t.label, 0) + 1
        if t.label not in best or t.max_score > best[t.label].max_score:
            best[t.label] = t
    changes = []
    for label in sorted(set(counts) | set(state.counts)):
        old, new = state.counts.get(label, 0), counts.get(label, 0)
        if old == new:
            continue
        top = best.get(label)
        changes.append(
            Change(
                rule.name,
                "count_change",
                now,
                top.id if top is not None else -1,
                label,
                top.max_score if top is not None else 0.0,
                tuple(sorted(rule.zones)),
                count=new,
                previous_count=old,
            )
        )
    new_counts = {k: v for k, v in counts.items() if v}
    return RuleState(state.counted, state.zones, state.dwelled, new_counts), changes


#: Kinds whose changes depend only on which objects there are, their labels and zones (and
#: the objects removed): evaluated on an unchanged frame they tell nothing and keep their
#: state, so the camera skips them then. A dwell depends on the time as well.
STATIC_KINDS: frozenset[EventKind] = frozenset(
    {"arrival", "departure", "zone_enter", "zone_exit", "count_change"}
)

RuleKind = Callable[
    [RuleConfig, RuleState, Sequence[TrackView], Sequence[TrackView], float],
    tuple[RuleState, list[Change]],
]
# Every event kind and the function that finds its changes: a new kind is one entry here.
RULE_KINDS: dict[EventKind, RuleKind] = {
    "arrival": _arrivals,
    "departure": _departures,
    "zone_enter": _zone_moves,
    "zone_exit": _zone_moves,
    "dwell": _dwells,
    "count_change": _count_changes,
}
