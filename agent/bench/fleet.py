"""`eva bench --fleet`: N simulated agents of 4 cameras each against one real Mosquitto and
the real hub.

The agents are real MQTT publishers on the real topics (event at QoS 1, retained state and
last event, retained installation), fed with synthetic events: one per camera per minute at
a random moment, and a herd (20 events in 2 s) on one camera of every agent half-way.
Then every agent floods as fast as it can, for the hub's ingest rate. Last, questions are
timed over a fleet history of a million events.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from agent.adapters.history import EventHistory
from agent.adapters.mqtt import payloads
from agent.adapters.mqtt.fleet import FleetView, installation_of
from agent.adapters.mqtt.identity import new_agent_id
from agent.adapters.mqtt.publisher import MqttPublisher
from agent.bench.llm import template_event
from agent.bench.mosquitto import Mosquitto
from agent.config.schema import AppConfig, CameraConfig, MqttConfig, StorageConfig
from agent.core.events import CameraState, Event, EventObject
from agent.core.kinds import EventKind
from agent.service.hub import Hub

CAMERAS_PER_AGENT = 4
HERD = 20
HERD_SECONDS = 2.0
LABELS = ("person", "car", "cow", "dog", "sheep", "cat")
KINDS: tuple[EventKind, ...] = ("arrival", "departure")


@dataclass(frozen=True)
class FleetFigures:
    agents: int
    sent: int
    delivered: int
    duplicates: int
    e2e_p50_ms: float
    e2e_p95_ms: float
    broker_in_per_event: float
    broker_out_per_event: float
    flood_events: int
    flood_seconds: float
    load: tuple[float, float, float]
    takeovers: int  # "already connected" lines in the broker's log: agents throwing others off

    @property
    def ingest_per_second(self) -> float:
        return self.flood_events / self.flood_seconds if self.flood_seconds else 0.0


def synthetic_event(camera: str, rng: random.Random) -> Event:
    """An event as a camera's core would word it, ending now."""
    at = datetime.now(UTC)
    kind = rng.choice(KINDS)
    objects = [EventObject(label=rng.choice(LABELS), count=rng.randint(1, 4), max_score=0.9)]
    return template_event(camera, kind, objects, at)


class SimulatedAgent:
    """One agent's MQTT side: its own id, installation and the messages of each event."""

    def __init__(self, index: int, broker: Mosquitto, base: str) -> None:
        self.cameras = [f"a{index:02d}c{c}" for c in range(CAMERAS_PER_AGENT)]
        client_id = new_agent_id(f"sim{index:02d}")
        mqtt = MqttConfig(
            host=broker.host,
            port=broker.port,
            base_topic=base,
            client_id=client_id,
            reconnect_max_seconds=1.0,
        )
        self.publisher = MqttPublisher(mqtt, broker.host, broker.port)
        config = AppConfig(mqtt=mqtt, cameras=[CameraConfig(name=c) for c in self.cameras])
        me = installation_of(config, self.publisher.agent_id, "bench", "bench")
        fleet = FleetView(base, me, self.publisher.give_up)
        fleet.attach(self.publisher.subscribe, self._send)
        self._base = base

    def _send(self, topic: str, payload: bytes, retain: bool) -> object:
        return self.publisher.publish(topic, payload, retain=retain)

    def emit(self, camera: str, rng: random.Random) -> Event:
        event = synthetic_event(camera, rng)
        self.publisher.publish(*payloads.event(self._base, event))
        label = event.objects[0].label
        counts = {label: event.objects[0].count} if event.kind == "arrival" else {}
        state = CameraState(camera=camera, updated_at=event.ended_at, counts=counts, zones={})
        self.publisher.publish(*payloads.state(self._base, state))
        self.publisher.publish(*payloads.last_event(self._base, event))
        return event


class BrokerCounters:
    """Mosquitto's own count of MQTT packets in and out ($SYS, every second): publishes and
    their acknowledgements. (Its publish-only counters skip retained messages in 2.0.11.)"""

    def __init__(self, broker: Mosquitto) -> None:
        self._values: dict[str, int] = {}
        self._cond = threading.Condition()
        self._client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"eva-bench-sys-{os.getpid()}",
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        self._client.on_message = self._on_message
        self._client.connect(broker.host, broker.port)
        self._client.subscribe("$SYS/broker/messages/+")
        self._client.loop_start()

    def _on_message(self, client: Client, userdata: Any, msg: MQTTMessage) -> None:
        with self._cond:
            self._values[msg.topic.rsplit("/", 1)[-1]] = int(msg.payload)
            self._cond.notify_all()

    def read(self) -> tuple[int, int]:
        """(received, sent) after the next report (Mosquitto sends a figure only when it has
        changed, so the last one heard is current once a report interval has passed)."""
        time.sleep(1.5)
        with self._cond:
            self._cond.wait_for(lambda: {"received", "sent"} <= set(self._values), 5.0)
            return self._values.get("received", 0), self._values.get("sent", 0)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def run_fleet(
    n: int, seconds: float, rate_per_minute: float, flood_total: int, folder: Path
) -> FleetFigures:
    base = f"fleet{n}"
    broker = Mosquitto(
        folder / f"mosquitto-{n}",
        extra=["sys_interval 1", "max_queued_messages 1000000", "max_inflight_messages 100"],
    )
    broker.start()
    stored_at: dict[str, float] = {}
    made_at: dict[str, float] = {}
    lock = threading.Lock()

    def on_stored(events: list[Event], when: float) -> None:
        with lock:
            for e in events:
                stored_at.setdefault(e.id, when)

    hub_config = AppConfig(
        mqtt=MqttConfig(host=broker.host, port=broker.port, base_topic=base),
        storage=StorageConfig(path=str(folder / f"hub-{n}")),
    )
    hub = Hub(hub_config, "bench", on_stored)
    hub.start()
    agents = [SimulatedAgent(i, broker, base) for i in range(n)]
    counters = BrokerCounters(broker)
    try:
        for a in agents:
            a.publisher.start()
        _wait(lambda: all(a.publisher.connected for a in agents) and hub.publisher.connected)
        time.sleep(1.0)
        rng = random.Random(n)
        plan: list[tuple[float, SimulatedAgent, str]] = []
        per_camera = max(1, round(rate_per_minute * seconds / 60.0))
        for a in agents:
            for camera in a.cameras:
                phase = rng.uniform(0, seconds / per_camera)
                plan += [(phase + k * seconds / per_camera, a, camera) for k in range(per_camera)]
            plan += [(seconds / 2 + i * HERD_SECONDS / HERD, a, a.cameras[0]) for i in range(HERD)]
        plan.sort(key=lambda p: p[0])
        before = counters.read()
        start = time.monotonic()
        for at, agent, camera in plan:
            delay = start + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            event = agent.emit(camera, rng)
            made_at[event.id] = event.ended_at.timestamp()
        _wait(lambda: set(made_at) <= _keys(stored_at, lock), timeout=60)
        for a in agents:
            a.publisher.wait_until_delivered(10)
        after = counters.read()
        hub.recorder.wait_idle(10)
        sent = len(made_at)
        with lock:
            delays = [(stored_at[i] - made_at[i]) * 1000 for i in made_at if i in stored_at]
        delivered = len(delays)
        cuts = statistics.quantiles(delays, n=20, method="inclusive") if len(delays) > 1 else []
        p50 = statistics.median(delays) if delays else 0.0
        p95 = cuts[18] if cuts else p50
        steady_duplicates = hub.recorder.counts().duplicates

        # The flood: every agent as fast as it can, for the hub's ingest rate.
        per_agent = math.ceil(flood_total / n)
        flood_ids: list[str] = []
        t0 = time.time()
        for k in range(per_agent):
            for a in agents:
                event = synthetic_event(a.cameras[k % CAMERAS_PER_AGENT], rng)
                a.publisher.publish(*payloads.event(base, event))
                flood_ids.append(event.id)
        _wait(lambda: set(flood_ids) <= _keys(stored_at, lock), timeout=300)
        with lock:
            last = max(stored_at[i] for i in flood_ids)
        load = os.getloadavg()
        return FleetFigures(
            agents=n,
            sent=sent,
            delivered=delivered,
            duplicates=steady_duplicates,
            e2e_p50_ms=p50,
            e2e_p95_ms=p95,
            broker_in_per_event=(after[0] - before[0]) / sent,
            broker_out_per_event=(after[1] - before[1]) / sent,
            flood_events=len(flood_ids),
            flood_seconds=last - t0,
            load=(load[0], load[1], load[2]),
            takeovers=broker.log().count("already connected"),
        )
    finally:
        counters.close()
        for a in agents:
            a.publisher.close(timeout=1.0)
        hub.stop()
        broker.stop()


def ask_latency(rows: int, folder: Path) -> tuple[int, float, float, float, float]:
    """(events, seconds to fill, p50, p95, max) of the question suite over `rows` events."""
    from agent.ask.installation import Installation
    from agent.ask.service import Asker
    from agent.bench.ask.seeded import NOW, live_state, seed_history, seeded_config, year_of_events
    from agent.bench.ask.suite import CASES
    from agent.config.schema import AskConfig

    history = EventHistory(folder / "fleet-year.db")
    t0 = time.perf_counter()
    year_of_events(history, rows)
    seed_history(history)
    fill = time.perf_counter() - t0
    installation = Installation.from_config(seeded_config(folder))
    asker = Asker(
        history, installation, AskConfig(max_per_minute=600), live=live_state, clock=lambda: NOW
    )
    seconds = []
    for case in CASES:
        t = time.perf_counter()
        asker.ask(case.question)
        seconds.append(time.perf_counter() - t)
    count = history.count()
    history.close()
    cuts = statistics.quantiles(seconds, n=20, method="inclusive")
    return count, fill, statistics.median(seconds), cuts[18], max(seconds)


def bench_fleet(
    out: TextIO,
    sizes: Sequence[int] = (1, 10, 50),
    seconds: float = 60.0,
    rate_per_minute: float = 1.0,
    flood_total: int = 20_000,
    ask_rows: int = 1_000_000,
) -> bool:
    """Print the figures; False when a target is missed (every event once, ingest >= 2,000/s,
    ask p95 <= 0.5 s)."""
    ok = True
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in sizes:
            f = run_fleet(n, seconds, rate_per_minute, flood_total, folder)
            once = f.delivered == f.sent and f.takeovers == 0
            fast = f.ingest_per_second >= 2000
            ok &= once and fast
            print(
                f"fleet of {n} agent(s), {n * CAMERAS_PER_AGENT} cameras, {rate_per_minute:g} "
                f"event/camera/min for {seconds:g} s and a herd of {HERD} in {HERD_SECONDS:g} s "
                f"per agent, {f.takeovers} take-overs in the broker log: "
                f"{f.sent} events sent, {f.delivered} stored by the hub"
                f"{'' if once else ' MISSED'}, {f.duplicates} duplicates dropped; "
                f"end-to-end p50 {f.e2e_p50_ms:.0f} ms, p95 {f.e2e_p95_ms:.0f} ms; broker "
                f"{f.broker_in_per_event:.1f} packets in and {f.broker_out_per_event:.1f} out "
                f"per event; hub ingest {f.ingest_per_second:,.0f} events/s ({f.flood_events:,} "
                f"flooded, stored in {f.flood_seconds:.1f} s; target 2,000/s"
                f"{'' if fast else ' MISSED'}); load {f.load[0]:.1f} on {cores} cores",
                file=out,
                flush=True,
            )
        count, fill, p50, p95, worst = ask_latency(ask_rows, folder)
        met = p95 <= 0.5
        ok &= met
        print(
            f"fleet ask latency, parser: {count:,} events in the fleet history (stored in "
            f"{fill:.0f} s), question suite: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {worst * 1000:.0f} ms (target p95 <= 500 ms)" + ("" if met else " MISSED"),
            file=out,
            flush=True,
        )
    return ok


def _keys(d: dict[str, float], lock: threading.Lock) -> set[str]:
    with lock:
        return set(d)


def _wait(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the fleet benchmark timed out waiting for the hub")
        time.sleep(0.05)
