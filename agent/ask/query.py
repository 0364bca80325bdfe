"""The typed query between a question and the history: nothing else reaches the database."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent.core.kinds import EventKind, Language

What = Literal[
    "count", "first_seen", "last_seen", "duration", "present_now", "what_happened", "summary"
]
WHATS: tuple[What, ...] = (
    "count",
    "first_seen",
    "last_seen",
    "duration",
    "present_now",
    "what_happened",
    "summary",
)
RangeName = Literal[
    "all",
    "today",
    "yesterday",
    "last_night",
    "this_morning",
    "this_afternoon",
    "this_evening",
    "this_week",
    "last_hours",
    "last_days",
    "days_ago",
    "since",
    "between",
    "weekday",
]
# Ranges a language model may choose: the ones that need no numbers.
NAMED_RANGES: tuple[RangeName, ...] = (
    "all",
    "today",
    "yesterday",
    "last_night",
    "this_morning",
    "this_afternoon",
    "this_evening",
    "this_week",
)
ReadBy = Literal["parser", "model", "none"]
DayPart = Literal["morning", "afternoon", "evening", "night"]
# Ranges that name a whole day, which a part of the day may narrow ('yesterday evening').
DAY_RANGES: tuple[RangeName, ...] = ("today", "yesterday", "weekday", "days_ago")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeSpec(_Frozen):
    """A period as the question names it; `timerange.resolve` turns it into clock times."""

    name: RangeName = Field(description="Which kind of period.")
    hours: int | None = Field(None, ge=1, le=24 * 366, description="For last_hours.")
    days: int | None = Field(None, ge=1, le=366, description="For last_days.")
    start_minute: int | None = Field(
        None, ge=0, lt=24 * 60, description="For since/between: minutes after midnight."
    )
    end_minute: int | None = Field(
        None, ge=0, lt=24 * 60, description="For between: minutes after midnight."
    )
    weekday: int | None = Field(None, ge=0, le=6, description="For weekday: 0 = Monday.")
    days_back: int = Field(
        0, ge=0, le=366, description="For since/between: that many days before today."
    )
    part: DayPart | None = Field(
        None,
        description="For today/yesterday/weekday/days_ago: only that part of the day "
        "(morning 06-12, afternoon 12-17, evening 17-24, night from ask.night_start to "
        "ask.night_end the next morning).",
    )


class TimeRange(_Frozen):
    """A resolved period [start, end); start None = from the start of the history."""

    start: AwareDatetime | None = Field(description="First instant, or None for all history.")
    end: AwareDatetime = Field(description="First instant after the period.")
    label: str = Field(description="How the answer names it, e.g. 'yesterday 18:00–06:00'.")

    def contains(self, at: datetime) -> bool:
        return (self.start is None or at >= self.start) and at < self.end


class Query(_Frozen):
    """What to look up: one question, fully typed; every name is this installation's."""

    what: What = Field(description="What is asked.")
    language: Language = Field(description="Language of the question and the answer.")
    labels: list[str] = Field(
        default_factory=list, description="Detector labels asked about; empty = any."
    )
    zones: list[str] = Field(default_factory=list, description="Zones; empty = anywhere.")
    cameras: list[str] = Field(default_factory=list, description="Cameras; empty = all.")
    kinds: list[EventKind] = Field(
        default_factory=list, description="Event kinds; empty = the default for `what`."
    )
    time: TimeSpec = Field(description="The period asked about.")
    unseen: list[str] = Field(
        default_factory=list,
        description="Labels named in the question that no detector here can see (e.g. fox).",
    )
