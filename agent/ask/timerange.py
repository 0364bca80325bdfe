"""Periods a question names, resolved against a clock into [start, end) in local time."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from agent.ask.query import DAY_RANGES, DayPart, TimeRange, TimeSpec
from agent.core.kinds import Language
from agent.core.text.uk import plural_form

MORNING_END, AFTERNOON_END = 12, 17
EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UK_WEEKDAYS_ACC = ("понеділок", "вівторок", "середу", "четвер", "п'ятницю", "суботу", "неділю")


EVENING_START = 17
_PART_NAMES: dict[DayPart, tuple[str, str]] = {
    "morning": ("morning", "вранці"),
    "afternoon": ("afternoon", "вдень"),
    "evening": ("evening", "ввечері"),
    "night": ("night", "вночі"),
}


def resolve(
    spec: TimeSpec, now: datetime, language: Language, night: tuple[int, int] = (18, 6)
) -> TimeRange:
    """The clock times of `spec` as seen at `now` (an aware local time); never in the future.

    A part of a day ('yesterday evening') narrows that day's range; its start may lie after
    `now` (this evening, asked at 14:00): the caller refuses such a period as future."""
    whole = _resolve(spec.model_copy(update={"part": None}), now, language, night)
    if spec.part is None or spec.name not in DAY_RANGES or whole.start is None:
        return whole
    return _narrow(whole, spec.part, now, language, night)


def _narrow(
    day: TimeRange, part: DayPart, now: datetime, language: Language, night: tuple[int, int]
) -> TimeRange:
    bounds = {
        "morning": (night[1], MORNING_END),
        "afternoon": (MORNING_END, AFTERNOON_END),
        "evening": (EVENING_START, 24),
        "night": (night[0], 24 + night[1]),
    }[part]
    assert day.start is not None
    start = day.start + timedelta(hours=bounds[0])
    end = day.start + timedelta(hours=bounds[1])
    later = now + timedelta(seconds=1)
    en_part, uk_part = _PART_NAMES[part]
    last = bounds[1] - 24 if bounds[1] > 24 else bounds[1]  # 'evening' ends at 24:00
    hours = f"{_hm(bounds[0] * 60)}–{_hm(last * 60)}"
    name = day.label
    label = f"{name} {en_part} ({hours})" if language == "en" else f"{name} {uk_part} ({hours})"
    return TimeRange(start=start, end=min(end, later), label=label)


def _resolve(
    spec: TimeSpec, now: datetime, language: Language, night: tuple[int, int]
) -> TimeRange:
    en = language == "en"
    today = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    later = now + timedelta(seconds=1)  # an event stamped at `now` is inside

    def at(day: datetime, minute: int) -> datetime:
        return day + timedelta(minutes=minute)

    def part(start_h: int, end_h: int, en_name: str, uk_name: str) -> TimeRange:
        start, end = at(today, start_h * 60), at(today, end_h * 60)
        return TimeRange(
            start=start,
            end=min(end, later),
            label=f"{en_name if en else uk_name} ({_hm(start_h * 60)}–{_hm(end_h * 60)})",
        )

    name = spec.name
    if name == "all":
        return TimeRange(start=None, end=later, label="all history" if en else "уся історія")
    if name == "today":
        return TimeRange(start=today, end=later, label="today" if en else "сьогодні")
    if name == "yesterday":
        return TimeRange(
            start=today - timedelta(days=1), end=today, label="yesterday" if en else "вчора"
        )
    if name == "last_night":
        start_h, end_h = night
        end = at(today, end_h * 60)
        start = at(today if start_h < end_h else today - timedelta(days=1), start_h * 60)
        if start > now:  # a night wholly later today: the one before
            start, end = start - timedelta(days=1), end - timedelta(days=1)
        label = f"{'last night' if en else 'минулої ночі'} ({_hm(start_h * 60)}–{_hm(end_h * 60)})"
        return TimeRange(start=start, end=min(end, later), label=label)
    if name == "this_morning":
        return part(night[1], MORNING_END, "this morning", "сьогодні вранці")
    if name == "this_afternoon":
        return part(MORNING_END, AFTERNOON_END, "this afternoon", "сьогодні вдень")
    if name == "this_evening":
        return part(EVENING_START, 24, "this evening", "сьогодні ввечері")
    if name == "this_week":
        monday = today - timedelta(days=now.weekday())
        return TimeRange(start=monday, end=later, label="this week" if en else "цього тижня")
    if name == "last_hours":
        hours = spec.hours or 1
        label = _last(hours, "hour", ("годину", "години", "годин"), en)
        return TimeRange(start=now - timedelta(hours=hours), end=later, label=label)
    if name == "last_days":
        days = spec.days or 1
        label = _last(days, "day", ("день", "дні", "днів"), en)
        return TimeRange(start=now - timedelta(days=days), end=later, label=label)
    if name == "days_ago":
        day = today - timedelta(days=spec.days or 1)
        n = spec.days or 1
        form = ("день", "дні", "днів")[("one", "few", "many").index(plural_form(n))]
        label = (f"{n} day{'s' if n != 1 else ''} ago") if en else f"{n} {form} тому"
        return TimeRange(start=day, end=day + timedelta(days=1), label=f"{label} ({day:%d.%m})")
    if spec.days_back and name in ("since", "between"):
        now = today - timedelta(days=spec.days_back - 1) - timedelta(seconds=1)
        today = today - timedelta(days=spec.days_back)
        later = now + timedelta(seconds=1)
    if name == "since":
        minute = spec.start_minute or 0
        start = at(today, minute)
        if start > now:
            start -= timedelta(days=1)
        label = f"{'since' if en else 'з'} {_hm(minute)}" + _day(spec.days_back, en)
        return TimeRange(start=start, end=later, label=label)
    if name == "between":
        first, last = spec.start_minute or 0, spec.end_minute or 0
        start = at(today, first)
        end = at(today, last) if last > first else at(today + timedelta(days=1), last)
        if start > now:
            start, end = start - timedelta(days=1), end - timedelta(days=1)
        label = (
            f"between {_hm(first)} and {_hm(last)}" if en else f"з {_hm(first)} до {_hm(last)}"
        ) + _day(spec.days_back, en)
        return TimeRange(start=start, end=min(end, later), label=label)
    # weekday: the latest such day, today included
    day_index = spec.weekday or 0
    day = today - timedelta(days=(now.weekday() - day_index) % 7)
    date = day.strftime("%d.%m")
    label = (
        f"on {EN_WEEKDAYS[day_index]} ({date})"
        if en
        else f"у {UK_WEEKDAYS_ACC[day_index]} ({date})"
    )
    return TimeRange(start=day, end=min(day + timedelta(days=1), later), label=label)


def _day(days_back: int, en: bool) -> str:
    if not days_back:
        return ""
    if days_back == 1:
        return " yesterday" if en else " вчора"
    return f" {days_back} days ago" if en else f" {days_back} дн. тому"


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _last(n: int, en_word: str, uk_words: tuple[str, str, str], en: bool) -> str:
    if en:
        return f"the last {en_word}" if n == 1 else f"the last {n} {en_word}s"
    form = uk_words[("one", "few", "many").index(plural_form(n))]
    if n == 1:
        return f"за останню {form}" if en_word == "hour" else f"за останній {form}"
    return f"за останні {n} {form}"
