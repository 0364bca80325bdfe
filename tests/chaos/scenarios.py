"""The faults of docs/RELIABILITY.md, each a function returning its Outcome."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from harness import ChaosRun, Outcome

WARMUP = 8.0
AFTER = 12.0


def _run(
    workdir: Path,
    fault: str,
    persistence: bool,
    act: Callable[[ChaosRun], float],
    broker_first: bool = True,
) -> Outcome:
    run = ChaosRun(workdir, persistence=persistence)
    try:
        if broker_first:
            run.start()
            time.sleep(WARMUP)
        duration = act(run)
        time.sleep(AFTER)
    finally:
        run.close()
    return run.outcome(fault, duration)


def broker_outage(workdir: Path) -> Outcome:
    def act(run: ChaosRun) -> float:
        run.broker_outage(15)
        return 15

    return _run(workdir, "broker stopped mid-run (persistence on)", True, act)


def broker_restart_without_persistence(workdir: Path) -> Outcome:
    def act(run: ChaosRun) -> float:
        run.broker_outage(5)
        return 5

    return _run(workdir, "broker restarted without persistence", False, act)


def broker_down_at_start(workdir: Path) -> Outcome:
    def act(run: ChaosRun) -> float:
        run.start_agent()  # the broker is not there yet
        time.sleep(10)
        run.broker.start()
        run.subscribe()
        run.fault_ended = time.monotonic()
        return 10

    return _run(workdir, "broker unreachable when the agent starts", True, act, broker_first=False)


def agent_killed(workdir: Path) -> Outcome:
    def act(run: ChaosRun) -> float:
        run.kill_agent(3)
        return 3

    return _run(workdir, "agent killed (SIGKILL) mid-run and restarted", True, act)


def agent_killed_during_outage(workdir: Path) -> Outcome:
    def act(run: ChaosRun) -> float:
        run.broker.stop()
        time.sleep(6)  # events pile up in the outbox
        run.kill_agent(2)
        run.broker.start()
        run.subscribe()
        run.fault_ended = time.monotonic()
        return 8

    return _run(workdir, "broker down, then agent killed and restarted", True, act)


SCENARIOS: list[Callable[[Path], Outcome]] = [
    broker_outage,
    broker_restart_without_persistence,
    broker_down_at_start,
    agent_killed,
    agent_killed_during_outage,
]
