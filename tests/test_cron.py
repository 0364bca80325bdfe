"""Crontab lines mean what crontab(5) says, not APScheduler's own numbering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.config.cron import parse_crontab
from agent.config.schema import DigestConfig

FRIDAY_NOON = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)  # a Friday


def next_fires(expr: str, count: int = 3, start: datetime = FRIDAY_NOON) -> list[datetime]:
    trigger = parse_crontab(expr).trigger("UTC")
    fires: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        fires.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)
    return fires


def weekdays(expr: str, count: int = 7) -> list[str]:
    return [f.strftime("%a") for f in next_fires(expr, count)]


@pytest.mark.parametrize("expr", ["0 7 * * 0", "0 7 * * 7", "0 7 * * sun", "0 7 * * SUN"])
def test_zero_and_seven_are_sunday(expr: str) -> None:
    assert weekdays(expr, 3) == ["Sun", "Sun", "Sun"]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("0 7 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]),
        ("0 7 * * mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]),
        ("0 7 * * 5-7", ["Sat", "Sun", "Fri", "Sat", "Sun", "Fri", "Sat"]),
        ("0 7 * * 0,6", ["Sat", "Sun", "Sat", "Sun", "Sat", "Sun", "Sat"]),
        # crontab steps count from Sunday: 0,2,4,6 = Sun, Tue, Thu, Sat; 1-7/3 = Mon, Thu, Sun
        ("0 7 * * */2", ["Sat", "Sun", "Tue", "Thu", "Sat", "Sun", "Tue"]),
        ("0 7 * * 1-7/3", ["Sun", "Mon", "Thu", "Sun", "Mon", "Thu", "Sun"]),
    ],
)
def test_weekday_ranges_lists_and_steps(expr: str, expected: list[str]) -> None:
    assert weekdays(expr) == expected


def test_day_of_month_or_weekday_when_both_are_given() -> None:
    # crontab(5): with both day fields restricted, either one matching is enough.
    fires = next_fires("0 7 13 * 5", 4)
    assert all(f.day == 13 or f.strftime("%a") == "Fri" for f in fires)
    assert {f.strftime("%a") for f in fires} == {"Fri", "Wed"}  # 2026-05-13 is a Wednesday


def test_a_star_step_day_field_still_means_both() -> None:
    # "*/2" starts with '*', so cron ANDs the fields: odd days that are also Mondays.
    fires = next_fires("0 7 */2 * 1", 3)
    assert all(f.day % 2 == 1 and f.strftime("%a") == "Mon" for f in fires)


def test_leap_day_fires_in_a_leap_year() -> None:
    assert next_fires("0 0 29 2 *", 1)[0] == datetime(2028, 2, 29, tzinfo=UTC)


@pytest.mark.parametrize("expr", ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 feb *"])
def test_expressions_that_never_fire_are_rejected(expr: str) -> None:
    with pytest.raises(ValueError, match="never fires"):
        parse_crontab(expr)
    with pytest.raises(ValueError, match="never fires"):
        DigestConfig(name="never", cron=expr)


def test_a_day_that_never_comes_still_fires_on_its_weekday() -> None:
    assert weekdays("0 7 31 2 1", 2) == ["Mon", "Mon"]  # February 31st or any Monday


@pytest.mark.parametrize(
    "expr",
    [
        "* * * *",
        "61 * * * *",
        "0 24 * * *",
        "0 0 0 * *",
        "0 0 * 13 *",
        "0 0 * * 8",
        "*/0 * * * *",
        "0 7 * * 5-1",
        "0 7 * * funday",
        "0 7 * * -1",
        "x" * 500,
    ],
)
def test_malformed_expressions_are_rejected(expr: str) -> None:
    with pytest.raises(ValueError):
        parse_crontab(expr)


def test_the_scheduler_runs_a_sunday_digest_on_sunday() -> None:
    from agent.config.schema import AppConfig
    from agent.service.scheduler import DigestScheduler

    config = AppConfig(digests=[DigestConfig(name="weekly", cron="0 7 * * 0")])
    scheduler = DigestScheduler(config, None, None, lambda d: None)  # type: ignore[arg-type]
    scheduler.start()
    try:
        next_run = scheduler.next_runs()["weekly"]
    finally:
        scheduler.stop()
    assert next_run is not None and next_run.strftime("%a %H:%M") == "Sun 07:00"
