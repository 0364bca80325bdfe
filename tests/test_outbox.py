"""The durable outbox: on disk before sending, gone only on PUBACK, bounded, and surviving
broker outages, agent restarts and a disk that cannot be written."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.mqtt_helpers import Mosquitto, MosquittoFactory, Subscriber
from test_mqtt import CAMERA, make_event

from agent.adapters.mqtt import topics
from agent.adapters.mqtt.outbox import Outbox
from agent.adapters.mqtt.publisher import MqttPublisher
from agent.adapters.mqtt.relay import OutboxRelay
from agent.adapters.mqtt.sinks import MqttSink
from agent.config.schema import MqttConfig
from agent.core.events import Event


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_rows_come_back_in_order_and_leave_on_delete(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", 100, 3600)
    seqs = [box.add("t", f"m{i}".encode()) for i in range(5)]
    rows = box.unsent(0, set(), 10)
    assert [r.payload for r in rows] == [b"m0", b"m1", b"m2", b"m3", b"m4"]
    assert [r.payload for r in box.unsent(seqs[1], {seqs[3]}, 10)] == [b"m2", b"m4"]
    box.delete(seqs[0])
    assert box.depth() == 4
    box.close()
    reopened = Outbox(tmp_path / "o.db", 100, 3600)
    assert [r.payload for r in reopened.unsent(0, set(), 10)] == [b"m1", b"m2", b"m3", b"m4"]


def test_a_full_outbox_drops_info_first_and_never_alerts(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", 100, 3600)
    for i in range(60):
        box.add("t", f"alert{i}".encode(), "alert")
    for i in range(60):
        box.add("t", f"info{i}".encode(), "info")
    for i in range(10):
        box.add("t", f"warn{i}".encode(), "warning")
    kept = [r.payload.decode() for r in box.unsent(0, set(), 1000)]
    assert len(kept) == 100 and box.dropped == 30
    assert sum(k.startswith("alert") for k in kept) == 60
    assert sum(k.startswith("warn") for k in kept) == 10
    assert [k for k in kept if k.startswith("info")] == [f"info{i}" for i in range(30, 60)]
    for _ in range(50):  # alerts alone beyond the bound: they are all kept
        box.add("t", b"late-alert", "alert")
    assert sum(r.severity == "alert" for r in box.unsent(0, set(), 1000)) == 110


def test_old_messages_expire_except_alerts(tmp_path: Path) -> None:
    clock = Clock()
    box = Outbox(tmp_path / "o.db", 100, 3600, clock=clock)
    box.add("t", b"old-info", "info")
    box.add("t", b"old-alert", "alert")
    clock.now += 7200
    box.add("t", b"new-info", "info")
    assert [r.payload for r in box.unsent(0, set(), 10)] == [b"old-alert", b"new-info"]


def test_an_unwritable_disk_keeps_messages_in_memory_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="agent.adapters.mqtt.outbox")
    clock = Clock()
    blocker = tmp_path / "storage"
    blocker.write_text("a file where the folder should be")
    box = Outbox(blocker / "outbox.db", 100, 3600, clock=clock)
    assert not box.disk_ok
    assert "cannot be written" in caplog.text
    seqs = [box.add("t", f"m{i}".encode(), "info") for i in range(3)]
    assert all(s < 0 for s in seqs)
    assert [r.payload for r in box.unsent(0, set(), 10)] == [b"m0", b"m1", b"m2"]
    box.delete(seqs[0])
    blocker.unlink()  # the operator frees the path
    clock.now += 31
    box.add("t", b"m3")
    assert box.disk_ok
    assert [r.payload for r in box.unsent(0, set(), 10)] == [b"m1", b"m2", b"m3"]
    assert (blocker / "outbox.db").is_file()
    assert "writable again" in caplog.text


def config(base: str) -> MqttConfig:
    return MqttConfig(
        base_topic=base, client_id=f"eva-test-{uuid.uuid4().hex[:8]}", reconnect_max_seconds=1
    )


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[list[tuple[MqttPublisher, OutboxRelay, Outbox]]]:
    made: list[tuple[MqttPublisher, OutboxRelay, Outbox]] = []
    yield made
    for publisher, relay, box in made:
        relay.stop()
        publisher.close()
        box.close()


def start(
    made: list[tuple[MqttPublisher, OutboxRelay, Outbox]],
    base: str,
    broker: Mosquitto,
    path: Path,
) -> tuple[MqttPublisher, OutboxRelay, Outbox]:
    publisher = MqttPublisher(config(base), broker.host, broker.port)
    box = Outbox(path, 1000, 3600)
    relay = OutboxRelay(publisher, box, window=5)
    publisher.start()
    relay.start()
    made.append((publisher, relay, box))
    return publisher, relay, box


@pytest.mark.broker
def test_events_wait_on_disk_while_the_broker_is_down_then_arrive_in_order(
    mosquitto_factory: MosquittoFactory, mqtt_base: str, tmp_path: Path, stack: list
) -> None:
    broker = mosquitto_factory(persistence=True)
    durable = Subscriber(
        broker.host,
        broker.port,
        topics.events(mqtt_base, CAMERA),
        client_id=f"sub-{mqtt_base}",
        clean_session=False,
    )
    with durable as sub:
        broker.stop()  # saved with the subscriber's session, which queues for it
        publisher, relay, box = start(stack, mqtt_base, broker, tmp_path / "outbox.db")
        sink = MqttSink(publisher, relay)
        events = [make_event(n) for n in range(40)]
        for e in events:
            sink.event(e)
        assert box.depth() == 40
        assert relay.in_flight == 0  # nothing handed to paho's memory while offline
        broker.start()
        got = sub.wait_for(lambda ms: len(ms) >= 40, timeout=15)
        assert relay.wait_until_empty(10)
    assert [Event.model_validate_json(m.payload).id for m in got] == [e.id for e in events]
    assert box.depth() == 0


@pytest.mark.broker
def test_an_agent_restart_sends_what_the_last_run_could_not(
    mosquitto_factory: MosquittoFactory, mqtt_base: str, tmp_path: Path, stack: list
) -> None:
    broker = mosquitto_factory()
    path = tmp_path / "outbox.db"
    broker.stop()
    publisher, relay, box = start(stack, mqtt_base, broker, path)
    events = [make_event(n) for n in range(10)]
    for e in events:
        MqttSink(publisher, relay).event(e)
    # The agent dies (its in-memory state is gone); only the disk remains.
    relay.stop()
    publisher.close()
    box.close()
    stack.clear()
    broker.start()
    with Subscriber(broker.host, broker.port, topics.events(mqtt_base, CAMERA)) as sub:
        _, relay2, box2 = start(stack, mqtt_base, broker, path)
        assert box2.depth() == 10
        got = sub.wait_for(lambda ms: len(ms) >= 10, timeout=10)
        assert relay2.wait_until_empty(10)
    ids = [Event.model_validate_json(m.payload).id for m in got]
    assert ids == [e.id for e in events]  # in order, each once
