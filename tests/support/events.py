"""The one event factory for tests: an event worded by the templates, as the core makes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from agent.core.events import Event, EventObject, new_event_id
from agent.core.kinds import EventKind, Language, Severity
from agent.core.settings import ZoneConfig
from agent.core.text import describe


def obj(
    label: str,
    count: int = 1,
    zones: Sequence[str] = (),
    *,
    previous: int | None = None,
    track_ids: Sequence[int] = (),
    score: float = 0.9,
) -> EventObject:
    """One kind of object in an event."""
    return EventObject(
        label=label,
        count=count,
        previous_count=previous,
        zones=list(zones),
        track_ids=list(track_ids),
        max_score=score,
    )


def make_event(
    kind: EventKind = "arrival",
    objects: Sequence[EventObject] | None = None,
    *,
    camera: str = "barn",
    at: datetime | None = None,
    started_at: datetime | None = None,
    language: Language = "en",
    zones: dict[str, ZoneConfig] | None = None,
    severity: Severity = "info",
    rule: str | None = None,
    title: str | None = None,
    summary: str | None = None,
    dwell_seconds: float = 60.0,
) -> Event:
    """An event ending at `at` (now by default); title and summary come from the templates."""
    ended = at or datetime.now(UTC)
    members = list(objects) if objects is not None else [obj("cow")]
    worded_title, worded_summary = describe(
        kind, members, zones or {}, language, dwell_seconds, started_at or ended
    )
    return Event(
        id=new_event_id(ended),
        camera=camera,
        rule=rule or kind,
        kind=kind,
        started_at=started_at or ended,
        ended_at=ended,
        objects=members,
        severity=severity,
        title=title if title is not None else worded_title,
        summary=summary if summary is not None else worded_summary,
        summary_source="template",
        language=language,
    )
