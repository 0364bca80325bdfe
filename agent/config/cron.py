"""Crontab lines with crontab's meaning, as APScheduler 3 triggers.

APScheduler's own cron fields differ from crontab(5) in two ways that change when a digest
is sent: its day-of-week numbers start at 0 = Monday (crontab: 0 and 7 = Sunday), and it
requires both day fields to match where crontab fires when either one does (if both are
restricted). So the five fields are expanded here, as cron does, and handed over as
explicit lists (weekdays by name).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # APScheduler (and the asyncio it loads) only when a digest is scheduled
    from apscheduler.triggers.base import BaseTrigger

MAX_LENGTH = 200
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_APS_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # index = crontab number
# (name, lowest, highest, names); crontab allows 7 for Sunday too.
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February of a leap year


@dataclass(frozen=True)
class Crontab:
    """The expanded fields of one crontab line."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday, as in crontab
    days_restricted: bool  # the day-of-month field does not start with '*'
    weekdays_restricted: bool

    def trigger(self, timezone: tzinfo | str | None = None) -> BaseTrigger:
        """An APScheduler trigger that fires when cron would."""
        from apscheduler.triggers.combining import OrTrigger
        from apscheduler.triggers.cron import CronTrigger

        common = {
            "minute": _list(self.minutes, 0, 59),
            "hour": _list(self.hours, 0, 23),
            "month": _list(self.months, 1, 12),
            "timezone": timezone,
        }
        day = _list(self.days, 1, 31)
        weekday = (
            "*"
            if len(self.weekdays) == 7
            else ",".join(_APS_DAYS[d] for d in sorted(self.weekdays))
        )
        if self.days_restricted and self.weekdays_restricted:
            # crontab(5): "the command will be run when either field matches".
            return OrTrigger(
                [CronTrigger(day=day, **common), CronTrigger(day_of_week=weekday, **common)]
            )
        return CronTrigger(day=day, day_of_week=weekday, **common)


def parse_crontab(text: str) -> Crontab:
    """The five fields of a crontab line; ValueError says what is wrong in crontab's terms."""
    if len(text) > MAX_LENGTH:
        raise ValueError(f"a cron expression of {len(text)} characters is not one")
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(
            f"cron {text!r} needs five fields: minute hour day month weekday, e.g. '0 7 * * *'"
        )
    try:
        sets = [
            _expand(part, name, lo, hi, names)
            for part, (name, lo, hi, names) in zip(parts, _FIELDS, strict=True)
        ]
    except ValueError as e:
        raise ValueError(f"cron {text!r} is not valid: {e}") from None
    weekdays = frozenset(d % 7 for d in sets[4])  # 7 is Sunday too
    cron = Crontab(
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=weekdays,
        days_restricted=not parts[2].startswith("*"),
        weekdays_restricted=not parts[4].startswith("*"),
    )
    fires_by_weekday = cron.days_restricted and cron.weekdays_restricted
    if not fires_by_weekday and not any(
        d <= _DAYS_IN_MONTH[m - 1] for m in cron.months for d in cron.days
    ):
        raise ValueError(
            f"cron {text!r} never fires: none of its months has day "
            f"{', '.join(str(d) for d in sorted(cron.days))}"
        )
    return cron


def _expand(part: str, name: str, lo: int, hi: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for item in part.lower().split(","):
        base, slash, step_text = item.partition("/")
        step = _number(step_text, name, names={}) if slash else 1
        if step < 1:
            raise ValueError(f"the {name} step in {item!r} must be 1 or more")
        if base == "*":
            first, last = lo, hi
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _number(a, name, names), _number(b, name, names)
            if first > last:
                raise ValueError(f"the {name} range {base!r} runs backwards; write it low-high")
        else:
            first = _number(base, name, names)
            last = hi if slash else first  # "5/15" = from 5 to the end, every 15
        if first < lo or last > hi:
            raise ValueError(f"{name} {item!r} is outside {lo}-{hi}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _number(text: str, name: str, names: dict[str, int]) -> int:
    if text in names:
        return names[text]
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        raise ValueError(f"{text!r} is not a valid {name}")
    return int(text)


def _list(values: frozenset[int], lo: int, hi: int) -> str:
    if len(values) == hi - lo + 1:
        return "*"
    return ",".join(str(v) for v in sorted(values))
