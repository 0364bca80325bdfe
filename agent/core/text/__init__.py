"""Deterministic titles and summaries built from an event's facts, per language."""

from __future__ import annotations

from datetime import datetime

from agent.core.events import EventObject
from agent.core.kinds import EventKind, Language
from agent.core.settings import ZoneConfig
from agent.core.text import en, uk


def describe(
    kind: EventKind,
    objects: list[EventObject],
    zones: dict[str, ZoneConfig],
    language: Language,
    dwell_seconds: float,
    at: datetime,
) -> tuple[str, str]:
    """(title, summary) for an event; the summary is one full sentence with the time."""
    if language == "uk":
        return uk.describe(kind, objects, zones, dwell_seconds, at)
    return en.describe(kind, objects, zones, dwell_seconds, at)
