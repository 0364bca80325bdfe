"""Chaos runs: the real agent (a subprocess) against a real Mosquitto that is stopped and
started, or an agent that is killed and restarted, while subscribers count event ids.

Used by tests/chaos/test_chaos.py (assertions) and `python tests/chaos/report.py` (the
table in docs/RELIABILITY.md).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from support.mqtt_helpers import Mosquitto, Subscriber  # noqa: E402


@dataclass
class Outcome:
    """One fault's figures, as in docs/RELIABILITY.md."""

    fault: str
    duration_s: float
    created: int
    delivered: int
    lost: int
    duplicates: int
    recovery_s: float | None
    notes: list[str] = field(default_factory=list)

    def row(self) -> str:
        rec = f"{self.recovery_s:.1f} s" if self.recovery_s is not None else "-"
        return (
            f"| {self.fault} | {self.duration_s:.0f} s | {self.created} | {self.delivered} | "
            f"{self.lost} | {self.duplicates} | {rec} |"
        )


class ChaosRun:
    """One agent, one broker, durable subscribers; faults are methods."""

    def __init__(self, workdir: Path, *, persistence: bool) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "broker").mkdir(exist_ok=True)
        self.broker = Mosquitto(workdir / "broker", extra=[], persistence=persistence)
        self.base = f"chaos{int(time.time() * 1000) % 10**8}"
        self.storage = workdir / "storage"
        self.config_path = workdir / "agent.yaml"
        self.agent: subprocess.Popen[bytes] | None = None
        self.subscribers: list[Subscriber] = []
        self.fault_ended: float | None = None
        self._write_config()

    def _write_config(self) -> None:
        config = {
            "mqtt": {
                "host": self.broker.host,
                "port": self.broker.port,
                "base_topic": self.base,
                "client_id": f"eva-{self.base}",
                "reconnect_max_seconds": 2,
            },
            "cameras": [
                {
                    "name": "yard",
                    "source": {"type": "demo", "loop": True, "realtime": False},
                    "zones": [
                        {"name": "porch", "points": [[0, 0], [0.4, 0], [0.4, 1], [0, 1]]},
                    ],
                    "rules": [
                        {"name": "arrivals", "kind": "arrival"},
                        {"name": "departures", "kind": "departure"},
                    ],
                }
            ],
            "llm": {"type": "template"},
            "home_assistant": {"enabled": False},
            "storage": {"path": str(self.storage)},
            "logging": {"level": "INFO"},
        }
        self.config_path.write_text(yaml.safe_dump(config))

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self.broker.start()
        self.subscribe()
        self.start_agent()

    def subscribe(self) -> None:
        sub = Subscriber(
            self.broker.host,
            self.broker.port,
            f"{self.base}/+/events",
            client_id=f"chaos-sub-{self.base}-{len(self.subscribers)}",
            clean_session=False,
        )
        sub.__enter__()
        self.subscribers.append(sub)

    def start_agent(self) -> None:
        log = (self.workdir / "agent.log").open("ab")
        self.agent = subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "run", "--config", str(self.config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop_agent(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> None:
        proc, self.agent = self.agent, None
        if proc is None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def close(self) -> None:
        self.stop_agent()
        time.sleep(1.0)  # the last PUBLISH packets reach the subscribers
        for sub in self.subscribers:
            sub.__exit__(None, None, None)
        self.broker.kill()

    # -- faults ---------------------------------------------------------------------------
    def broker_outage(self, seconds: float) -> None:
        self.broker.stop()
        time.sleep(seconds)
        self.broker.start()
        self.subscribe()  # a fresh session too, in case the broker forgot the old ones
        self.fault_ended = time.monotonic()

    def kill_agent(self, down_seconds: float) -> None:
        self.stop_agent(signal.SIGKILL)
        time.sleep(down_seconds)
        self.start_agent()
        self.fault_ended = time.monotonic()

    # -- figures --------------------------------------------------------------------------
    def created_ids(self) -> set[str]:
        db = sqlite3.connect(self.storage / "events.db")
        try:
            return {row[0] for row in db.execute("SELECT id FROM events")}
        finally:
            db.close()

    def delivered(self) -> tuple[set[str], int, float | None]:
        """Unique event ids seen by any subscriber, duplicates, time of the first after the
        fault (relative to its end)."""
        first_after: float | None = None
        seen: dict[str, int] = {}
        for sub in self.subscribers:
            ids_here: set[str] = set()
            for m in sub.messages:
                event_id = json.loads(m.payload)["id"]
                if event_id in ids_here:
                    seen[event_id] = seen.get(event_id, 0) + 1  # twice to one subscriber
                ids_here.add(event_id)
                seen.setdefault(event_id, 0)
        if self.fault_ended is not None:
            first_after = self._first_arrival_after()
        return set(seen), sum(seen.values()), first_after

    def _first_arrival_after(self) -> float | None:
        assert self.fault_ended is not None
        times = [m.at for sub in self.subscribers for m in sub.messages if m.at >= self.fault_ended]
        return min(times) - self.fault_ended if times else None

    def outcome(self, fault: str, duration: float) -> Outcome:
        created = self.created_ids()
        delivered, duplicates, recovery = self.delivered()
        lost = created - delivered
        return Outcome(
            fault=fault,
            duration_s=duration,
            created=len(created | delivered),
            delivered=len(delivered),
            lost=len(lost),
            duplicates=duplicates,
            recovery_s=recovery,
            notes=sorted(lost)[:5],
        )
