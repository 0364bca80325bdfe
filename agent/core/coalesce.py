"""Grouping a rule's changes into events, so a herd walking in is one event, not twelve."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from agent.core.events import Event, EventObject, new_event_id
from agent.core.kinds import Language
from agent.core.rules import Change
from agent.core.settings import CameraSettings, RuleConfig
from agent.core.text import describe

#: A follow-up is due this share of `follow_up_seconds` early: frame times are seconds since
#: the epoch, which a float resolves to 0.24 microseconds, and a camera's frames jitter by
#: milliseconds, so two frames at 5 frames/s come 0.39999 s apart as often as 0.40001 s;
#: without the slack half of the follow-ups waited a third frame (0.2 s more).
FOLLOW_UP_SLACK = 0.05


@dataclass(slots=True)
class _Window:
    rule: RuleConfig
    last_at: float
    changes: list[Change] = field(default_factory=list)
    #: When the rule's last event went out (changes come at the frame's time, so none of a
    #: batch is older than this).
    sent_at: float = float("-inf")


class Coalescer:
    """Sends a rule's first change at once and gathers the ones that follow into few events.

    The rule, per camera rule:
    - a change while the rule is idle is news: it goes out with the next poll (the same
      frame) as its own event, together with that frame's other changes: "a cow arrived";
    - the rule is then busy: later changes are gathered, and a batch goes out as one more
      event ("2 cows arrived") once `follow_up_seconds` (0.4 s, two frames at 5 frames/s)
      have passed since the rule's last event: at most one event per
      `follow_up_seconds`, and a change that comes that long after the last event goes
      out in its own frame. With the 0.4-0.6 s a track needs to be confirmed,
      each animal of a herd, or the second of a pair, is told within a second of being
      seen, and a herd coming in is told in at most 2.5 messages a second (nor is any
      change held longer than `coalesce_max_seconds`);
    - the rule becomes idle again after `coalesce_seconds` without a change.
    After an event, a rule's `cooldown_seconds` silences further changes of the same label.
    """

    def __init__(self, camera: CameraSettings, language: Language) -> None:
        self._camera = camera
        self._language = language
        self._rules = {r.name: r for r in camera.rules}
        self._busy: dict[str, _Window] = {}
        self._leads: dict[str, _Window] = {}
        self._cooldown_until: dict[tuple[str, str], float] = {}
        self.suppressed = 0

    @property
    def pending(self) -> int:
        """Groups of changes not yet sent."""
        return len(self._leads) + sum(1 for w in self._busy.values() if w.changes)

    def add(self, changes: list[Change]) -> None:
        """Take a frame's changes."""
        for c in changes:
            if c.at < self._cooldown_until.get((c.rule, c.label), float("-inf")):
                self.suppressed += 1
                continue
            window = self._busy.get(c.rule)
            if window is None:
                window = self._leads.get(c.rule)
                if window is None:
                    window = self._leads[c.rule] = _Window(self._rules[c.rule], c.at)
            window.changes.append(c)
            window.last_at = c.at

    def poll(self, now: float, wall_offset: float = 0.0) -> list[Event]:
        """Events due by `now`, oldest first.

        Times here are the camera's steady time; `wall_offset` turns them into wall-clock
        times for the events (see FrameClock).
        """
        quiet = self._camera.coalesce_seconds
        cam = self._camera
        hold = min(quiet, cam.coalesce_max_seconds, cam.follow_up_seconds)
        due: list[_Window] = []
        for name, w in list(self._busy.items()):
            # A batch goes out once the rule's last event is `hold` old, at once if it already
            # is: one event per `hold` at most, and no wait for the next animal of a herd
            # that comes a frame or more after the last message.
            if w.changes and now - w.sent_at >= hold - FOLLOW_UP_SLACK * hold:
                due.append(w)
                self._busy[name] = _Window(w.rule, w.last_at, sent_at=now)  # still busy
            elif not w.changes and now - w.last_at >= quiet:
                del self._busy[name]  # idle: the next change is news again
        for name, lead in self._leads.items():
            due.append(lead)
            self._busy[name] = _Window(lead.rule, lead.last_at, sent_at=now)
        self._leads = {}
        return self._close(due, wall_offset)

    def flush(self, wall_offset: float = 0.0) -> list[Event]:
        """Send everything still collecting (the input ended or the agent is stopping)."""
        groups = list(self._busy.values()) + list(self._leads.values())
        self._busy.clear()
        self._leads.clear()
        return self._close(groups, wall_offset)

    def _close(self, groups: list[_Window], wall_offset: float) -> list[Event]:
        events = []
        for w in groups:
            if not w.changes:
                continue
            event = build_event(self._camera, w.rule, w.changes, self._language, wall_offset)
            if event is None:
                continue
            events.append(event)
            if w.rule.cooldown_seconds > 0:
                for obj in event.objects:
                    key = (w.rule.name, obj.label)
                    self._cooldown_until[key] = w.last_at + w.rule.cooldown_seconds
        events.sort(key=lambda e: (e.started_at, e.id))
        return events


def build_event(
    camera: CameraSettings,
    rule: RuleConfig,
    changes: list[Change],
    language: Language,
    wall_offset: float = 0.0,
) -> Event | None:
    """One event from a group of changes of one rule; None when they cancel out."""
    objects = _count_objects(changes) if rule.kind == "count_change" else _moving_objects(changes)
    if not objects:
        return None
    first, last = min(c.at for c in changes), max(c.at for c in changes)
    started = _local(first + wall_offset)
    # (Most events are one change: its time is turned into a local time once.)
    ended = started if last == first else _local(last + wall_offset)
    zone_titles = {z.name: z for z in camera.zones}
    title, summary = describe(
        rule.kind, objects, zone_titles, language, rule.dwell_seconds, started
    )
    return Event(
        id=new_event_id(ended),
        camera=camera.name,
        rule=rule.name,
        kind=rule.kind,
        started_at=started,
        ended_at=ended,
        objects=objects,
        severity=rule.severity,
        title=title,
        summary=summary,
        summary_source="template",
        language=language,
    )


def _moving_objects(changes: list[Change]) -> list[EventObject]:
    """One entry per label and set of zones, so '2 cows at the gate' is never a stretch."""
    per_track: dict[int, tuple[str, set[str], float]] = {}
    for c in changes:
        label, zones, score = per_track.get(c.track_id, (c.label, set(), 0.0))
        per_track[c.track_id] = (label, zones | set(c.zones), max(score, c.score))
    groups: dict[tuple[str, tuple[str, ...]], list[tuple[int, float]]] = defaultdict(list)
    for track_id, (label, zones, score) in per_track.items():
        groups[(label, tuple(sorted(zones)))].append((track_id, score))
    objects = [
        EventObject(
            label=label,
            count=len(members),
            zones=list(zones),
            track_ids=sorted(t for t, _ in members),
            max_score=round(max(s for _, s in members), 3),
        )
        for (label, zones), members in groups.items()
    ]
    objects.sort(key=lambda o: (not o.zones, -o.count, o.label, o.zones))
    return objects


def _count_objects(changes: list[Change]) -> list[EventObject]:
    """Net change per label over the window; labels that went back to where they were drop out."""
    by_label: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        by_label[c.label].append(c)
    objects = []
    for label, group in sorted(by_label.items()):
        first, last = group[0].previous_count or 0, group[-1].count or 0
        if first != last:
            objects.append(
                EventObject(
                    label=label,
                    count=last,
                    previous_count=first,
                    zones=sorted({z for c in group for z in c.zones}),
                    track_ids=sorted({c.track_id for c in group if c.track_id >= 0}),
                    max_score=round(max(c.score for c in group), 3),
                )
            )
    return objects


def _local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts).astimezone()
