"""Chaos: no event is lost across broker outages and agent kills (real agent, real broker)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import Outcome  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.broker]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_no_event_is_lost(scenario: Callable[[Path], Outcome], tmp_path: Path) -> None:
    outcome = scenario(tmp_path)
    print(outcome.row())
    assert outcome.created > 5, "the agent produced too few events to judge"
    assert outcome.lost == 0, f"lost event ids: {outcome.notes}; see {tmp_path}/agent.log"
    assert outcome.delivered >= outcome.created - 0  # every created event was seen
