"""`eva bench --fleet` on a small fleet: the figures come from a real run (no timing asserted)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from agent.bench.fleet import bench_fleet, run_fleet

pytestmark = pytest.mark.broker


def test_a_small_fleet_delivers_every_event_once_to_the_hub(tmp_path: Path) -> None:
    figures = run_fleet(3, seconds=4.0, rate_per_minute=30.0, flood_total=600, folder=tmp_path)
    assert figures.sent == 3 * 4 * 2 + 3 * 20  # two per camera, and a herd per agent
    assert figures.delivered == figures.sent
    assert figures.duplicates == 0
    assert figures.takeovers == 0  # every simulated agent has an id of its own
    assert figures.flood_events == 600 and figures.flood_seconds > 0
    # Each event is at least its own publish in and its delivery to the hub out.
    assert figures.broker_in_per_event >= 1 and figures.broker_out_per_event >= 1


def test_the_report_has_a_line_per_fleet_and_one_for_questions(tmp_path: Path) -> None:
    out = io.StringIO()
    bench_fleet(out, sizes=(1,), seconds=2.0, flood_total=200, ask_rows=2000)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("fleet of 1 agent(s), 4 cameras") and "stored by the hub" in lines[0]
    assert lines[1].startswith("fleet ask latency, parser: 2,0")
