"""Soak: the real agent on a busy synthetic stream against a Mosquitto restarted on the way;
every event id arrives and memory stays flat (agent/bench/soak.py, `eva bench --soak MINUTES`)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from agent.bench.mosquitto import find_mosquitto
from agent.bench.soak import RSS_LIMIT_MB, SoakResult, run_soak

pytestmark = pytest.mark.broker

MOSQUITTO_HINT = "install it with: sudo apt-get install -y mosquitto mosquitto-clients"


def _soak(minutes: float, workdir: Path, restarts: int) -> SoakResult:
    if find_mosquitto() is None:
        pytest.fail(f"'mosquitto' not found; the soak needs a real Mosquitto: {MOSQUITTO_HINT}")
    out = io.StringIO()
    result = run_soak(minutes, out, workdir=workdir, restarts=restarts)
    print(out.getvalue())
    assert not result.agent_died_early, f"the agent exited early; see {workdir}/agent.log"
    assert result.lost == 0, f"lost event ids: {result.lost_ids}; see {workdir}/agent.log"
    assert result.created > 100, f"too few events to judge: {result.created}"
    return result


def test_soak_smoke(tmp_path: Path) -> None:
    """Half a minute, one broker restart: nothing lost (too short to judge memory)."""
    _soak(0.5, tmp_path, restarts=1)


@pytest.mark.slow
def test_soak_ten_minutes(tmp_path: Path) -> None:
    """Over ten minutes, two broker restarts: nothing lost, RSS growth under 20 MB."""
    result = _soak(10.5, tmp_path, restarts=2)
    assert result.rss_growth_mb < RSS_LIMIT_MB, (
        f"RSS grew {result.rss_growth_mb:.1f} MB after warm-up "
        f"({result.rss_warmup_mb:.1f} -> {result.rss_end_mb:.1f} MB)"
    )
