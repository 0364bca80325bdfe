"""`eva bench --soak MINUTES`: the whole agent on a busy synthetic stream for minutes, against
a local Mosquitto that is restarted on the way; checks that every event id arrives and that
the agent's memory (RSS) stays flat after warm-up.

The agent runs as a subprocess (`python -m agent.cli run --config FILE`) with a generated
configuration: two cameras playing the bundled demo scene in a loop as fast as they can,
with eight rules over three zones, template wording, no Home Assistant, storage in the
work folder. A durable subscriber
(clean session off, fixed client id, QoS 1) counts the event ids that arrive; the ids the
agent created are read from its history (`events.db`) at the end.
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from agent.bench.mosquitto import Mosquitto
from eva_errors import UserError

RSS_LIMIT_MB = 20.0
BROKER_DOWN_SECONDS = 5.0
WARMUP_FRACTION, WARMUP_MAX_SECONDS = 0.2, 60.0
STOP_TIMEOUT_SECONDS = 60.0
DRAIN_TIMEOUT_SECONDS = 30.0
CAMERAS = ("yard", "barn")


class SoakError(UserError, RuntimeError):
    """The soak run could not be set up (no broker, the subscriber could not subscribe)."""


@dataclass
class SoakResult:
    """The figures of one soak run."""

    minutes: float
    duration_s: float  # the agent's run time, from start to SIGTERM
    elapsed_s: float  # the whole soak run, set-up and drain included
    restarts: int
    created: int  # event ids in the agent's events.db
    delivered: int  # unique event ids the subscriber received
    lost: int  # created but never delivered
    duplicates: int  # extra deliveries of an id (allowed: QoS 1 is at least once)
    rss_warmup_mb: float
    rss_end_mb: float
    rss_growth_mb: float
    rss_peak_mb: float
    warmup_s: float
    agent_exit_code: int | None
    agent_died_early: bool
    workdir: Path
    lost_ids: list[str] = field(default_factory=list)
    rss_samples: list[tuple[float, float]] = field(default_factory=list)  # (s, MB)

    @property
    def passed(self) -> bool:
        """No event lost, RSS growth under the limit, and the agent ran to the end."""
        return self.lost == 0 and self.rss_growth_mb < RSS_LIMIT_MB and not self.agent_died_early


class _DurableSubscriber:
    """Counts event ids on a topic filter; its session outlives broker restarts."""

    def __init__(self, host: str, port: int, topic_filter: str, client_id: str) -> None:
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

        self._filter = topic_filter
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._subscribed = threading.Event()
        self._host, self._port = host, port
        self._client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        self._client.reconnect_delay_set(1, 2)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    def start(self, timeout: float = 10.0) -> None:
        self._client.connect(self._host, self._port, keepalive=30)
        self._client.loop_start()
        if not self._subscribed.wait(timeout):
            self.stop()
            raise SoakError(f"no SUBACK for {self._filter!r} within {timeout:.0f} s")

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def _on_connect(self, client: Any, userdata: Any, *args: Any) -> None:
        # Again after every reconnect; harmless when the broker kept the session.
        client.subscribe(self._filter, qos=1)

    def _on_subscribe(self, client: Any, userdata: Any, *args: Any) -> None:
        self._subscribed.set()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            event_id = str(json.loads(msg.payload)["id"])
        except (ValueError, KeyError, TypeError):
            return
        with self._lock:
            self._counts[event_id] = self._counts.get(event_id, 0) + 1


def soak_config(broker: Mosquitto, base_topic: str, storage: Path) -> dict[str, Any]:
    """The agent's configuration: a busy scene on two cameras, template wording, no HA.

    The soak is about the event path (tracking, rules, history, outbox, MQTT), so the
    detector runs small (224 px, one thread per camera) to keep frames coming quickly, and
    overlapping rules over three zones turn each change in the scene into several events.
    """
    zones = {"porch": (0.0, 0.4), "middle": (0.25, 0.75), "road": (0.5, 1.0)}
    rules: list[dict[str, Any]] = [
        {"name": "arrivals", "kind": "arrival"},
        {"name": "departures", "kind": "departure"},
        {"name": "person_alert", "kind": "arrival", "labels": ["person"], "severity": "alert"},
        {"name": "zone_enter", "kind": "zone_enter"},
        {"name": "zone_exit", "kind": "zone_exit"},
        {"name": "porch_enter", "kind": "zone_enter", "zones": ["porch"], "severity": "warning"},
        {"name": "counts", "kind": "count_change"},
        {"name": "lingering", "kind": "dwell", "dwell_seconds": 5},
    ]
    cameras = [
        {
            "name": name,
            "source": {"type": "demo", "loop": True, "realtime": False},
            "detector": {"type": "onnx", "input_size": 224, "threads": 1},
            "zones": [
                {"name": zone, "points": [[x0, 0], [x1, 0], [x1, 1], [x0, 1]]}
                for zone, (x0, x1) in zones.items()
            ],
            "rules": [dict(rule) for rule in rules],
        }
        for name in CAMERAS
    ]
    return {
        "mqtt": {
            "host": broker.host,
            "port": broker.port,
            "base_topic": base_topic,
            "client_id": f"eva-{base_topic}",
            "reconnect_max_seconds": 2,
        },
        "cameras": cameras,
        "llm": {"type": "template"},
        "home_assistant": {"enabled": False},
        "storage": {"path": str(storage)},
        "logging": {"level": "INFO"},
    }


def read_rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MB (2**20 bytes), or None if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return None


def created_ids(storage: Path) -> set[str]:
    """The event ids in the agent's history; empty if it has none yet."""
    path = storage / "events.db"
    if not path.exists():
        return set()
    db = sqlite3.connect(path)
    try:
        return {str(row[0]) for row in db.execute("SELECT id FROM events")}
    except sqlite3.OperationalError:
        return set()
    finally:
        db.close()


def run_soak(
    minutes: float, out: TextIO, workdir: Path | None = None, restarts: int = 2
) -> SoakResult:
    """Run the agent for `minutes` against a Mosquitto restarted `restarts` times; print a
    short report to `out` and return the figures.

    Without `workdir` a temporary folder is used and removed afterwards unless the run
    failed (then its agent.log and mosquitto.log are kept and named in the report).
    """
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    if restarts < 0:
        raise ValueError("restarts must be zero or more")
    own_workdir = workdir is None
    work = Path(tempfile.mkdtemp(prefix="eva-soak-")) if workdir is None else workdir
    work.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    duration = minutes * 60.0
    warmup = min(WARMUP_FRACTION * duration, WARMUP_MAX_SECONDS)
    sample_every = min(5.0, max(1.0, duration / 30.0))
    progress_every = 60.0 if duration > 120 else duration / 2

    broker = Mosquitto(work / "broker", persistence=True)
    base = f"soak{int(time.time() * 1000) % 10**9}"
    storage = work / "storage"
    config_path = work / "agent.yaml"
    config_path.write_text(yaml.safe_dump(soak_config(broker, base, storage), sort_keys=False))
    subscriber = _DurableSubscriber(broker.host, broker.port, f"{base}/+/events", f"{base}-sub")
    agent: subprocess.Popen[bytes] | None = None
    samples: list[tuple[float, float]] = []
    exit_code: int | None = None
    died_early = False
    ran_for = 0.0

    print(
        f"soak: {minutes:g} min, {restarts} broker restart(s) of {BROKER_DOWN_SECONDS:.0f} s, "
        f"{len(CAMERAS)} cameras on the demo scene (loop, as fast as possible), "
        f"mosquitto with persistence on port {broker.port}; work folder {work}",
        file=out,
        flush=True,
    )
    try:
        broker.start()
        subscriber.start()
        with (work / "agent.log").open("ab") as log:
            agent = subprocess.Popen(
                [sys.executable, "-m", "agent.cli", "run", "--config", str(config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        t0 = time.monotonic()
        end = t0 + duration
        restart_at = [t0 + duration * (k + 1) / (restarts + 1) for k in range(restarts)]
        next_sample, next_progress = t0, t0 + progress_every
        while (now := time.monotonic()) < end:
            if agent.poll() is not None:
                died_early = True
                print(
                    f"  {now - t0:6.0f} s: the agent exited early (code {agent.returncode})",
                    file=out,
                    flush=True,
                )
                break
            if now >= next_sample:
                rss = read_rss_mb(agent.pid)
                if rss is not None:
                    samples.append((now - t0, rss))
                next_sample = max(next_sample + sample_every, now + sample_every / 2)
            if restart_at and now >= restart_at[0]:
                restart_at.pop(0)
                print(
                    f"  {now - t0:6.0f} s: broker stopped; "
                    f"{len(subscriber.counts())} events delivered so far",
                    file=out,
                    flush=True,
                )
                broker.stop()
                time.sleep(BROKER_DOWN_SECONDS)
                broker.start()
                print(f"  {time.monotonic() - t0:6.0f} s: broker started", file=out, flush=True)
                continue
            if now >= next_progress:
                last = f", RSS {samples[-1][1]:.1f} MB" if samples else ""
                print(
                    f"  {now - t0:6.0f} s: {len(subscriber.counts())} events delivered{last}",
                    file=out,
                    flush=True,
                )
                next_progress += progress_every
            time.sleep(max(0.0, min(0.5, next_sample - time.monotonic(), end - time.monotonic())))
        ran_for = time.monotonic() - t0
        exit_code = _stop(agent)
        agent = None
        _drain(subscriber, storage)
    finally:
        if agent is not None:
            _stop(agent)
        subscriber.stop()
        broker.stop()

    created = created_ids(storage)
    counts = subscriber.counts()
    delivered = set(counts)
    lost = sorted(created - delivered)
    rss_warmup, rss_end, rss_peak = _rss_figures(samples, warmup)
    result = SoakResult(
        minutes=minutes,
        duration_s=ran_for,
        elapsed_s=time.monotonic() - began,
        restarts=restarts,
        created=len(created),
        delivered=len(delivered),
        lost=len(lost),
        duplicates=sum(n - 1 for n in counts.values()),
        rss_warmup_mb=rss_warmup,
        rss_end_mb=rss_end,
        rss_growth_mb=rss_end - rss_warmup,
        rss_peak_mb=rss_peak,
        warmup_s=warmup,
        agent_exit_code=exit_code,
        agent_died_early=died_early,
        workdir=work,
        lost_ids=lost[:20],
        rss_samples=samples,
    )
    _report(out, result)
    if own_workdir and result.passed:
        shutil.rmtree(work, ignore_errors=True)
    return result


def _stop(agent: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM, wait, SIGKILL if it will not stop; the exit code."""
    if agent.poll() is None:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait(10)
    return agent.returncode


def _drain(subscriber: _DurableSubscriber, storage: Path) -> None:
    """Wait until every created id has arrived (the last PUBLISH packets are on their way)."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    time.sleep(1.0)
    while time.monotonic() < deadline:
        if created_ids(storage) <= set(subscriber.counts()):
            return
        time.sleep(0.5)


def _rss_figures(samples: list[tuple[float, float]], warmup: float) -> tuple[float, float, float]:
    """(after warm-up, at the end, peak) in MB; the first sample at or after the warm-up
    (the last one if the run was shorter)."""
    if not samples:
        return 0.0, 0.0, 0.0
    after = next((mb for t, mb in samples if t >= warmup), samples[-1][1])
    return after, samples[-1][1], max(mb for _, mb in samples)


def _report(out: TextIO, r: SoakResult) -> None:
    print(
        f"events: created {r.created}, delivered {r.delivered}, lost {r.lost}, "
        f"duplicates {r.duplicates} ({r.duration_s / 60:.1f} min of agent time, "
        f"{r.restarts} broker restart(s))",
        file=out,
    )
    print(
        f"agent RSS: {r.rss_warmup_mb:.1f} MB after warm-up ({r.warmup_s:.0f} s), "
        f"{r.rss_end_mb:.1f} MB at the end, growth {r.rss_growth_mb:+.1f} MB "
        f"(limit {RSS_LIMIT_MB:.0f} MB), peak {r.rss_peak_mb:.1f} MB, "
        f"{len(r.rss_samples)} samples",
        file=out,
    )
    if r.lost_ids:
        print(f"lost ids (first {len(r.lost_ids)}): {', '.join(r.lost_ids)}", file=out)
    if r.agent_died_early:
        print(f"the agent exited early with code {r.agent_exit_code}", file=out)
    verdict = "PASS" if r.passed else f"FAIL (logs in {r.workdir})"
    print(f"soak {verdict} in {r.elapsed_s / 60:.1f} min", file=out, flush=True)
