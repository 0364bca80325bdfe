"""The MQTT publisher and the embedded broker, against real brokers."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.events import make_event as support_event
from support.events import obj
from support.mqtt_helpers import Mosquitto, MosquittoFactory, Received, Subscriber

from agent.adapters.mqtt import payloads, topics
from agent.adapters.mqtt.broker import BrokerStartError, EmbeddedBroker
from agent.adapters.mqtt.publisher import MqttPublisher, start_publisher
from agent.config.schema import MqttConfig
from agent.core.events import CameraState, Event

REPO = Path(__file__).resolve().parents[1]
CAMERA = "barn"

pytestmark = pytest.mark.broker

PublisherFactory = Callable[..., MqttPublisher]


def mqtt_config(base: str, **overrides: object) -> MqttConfig:
    values: dict[str, object] = {
        "base_topic": base,
        "client_id": f"eva-test-{uuid.uuid4().hex[:8]}",
        "reconnect_max_seconds": 1.0,
    }
    values.update(overrides)
    return MqttConfig.model_validate(values)


def make_event(n: int = 0, camera: str = CAMERA) -> Event:
    return support_event("arrival", [obj("cow", n + 1, track_ids=[n])], camera=camera)


def make_state(cows: int, camera: str = CAMERA) -> CameraState:
    return CameraState(camera=camera, updated_at=datetime.now(UTC), counts={"cow": cows}, zones={})


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.01)


def events_in(messages: list[Received], base: str) -> list[Event]:
    topic = topics.events(base, CAMERA)
    return [Event.model_validate_json(m.payload) for m in messages if m.topic == topic]


def has_events(base: str, wanted: list[Event]) -> Callable[[list[Received]], bool]:
    ids = {e.id for e in wanted}
    return lambda ms: ids <= {e.id for e in events_in(ms, base)}


@pytest.fixture
def publishers() -> Iterator[PublisherFactory]:
    made: list[MqttPublisher] = []

    def make(config: MqttConfig, broker: Mosquitto) -> MqttPublisher:
        publisher = MqttPublisher(config, broker.host, broker.port)
        made.append(publisher)
        publisher.start()
        return publisher

    yield make
    for publisher in made:
        publisher.close(timeout=1.0)


def test_topics_are_built_from_the_base() -> None:
    assert topics.events("eva", "barn") == "eva/barn/events"
    assert topics.state("eva", "barn") == "eva/barn/state"
    assert topics.status("eva") == "eva/status"


def test_event_arrives_as_event_json_with_qos1_not_retained(
    mosquitto_session: Mosquitto, mqtt_base: str, publishers: PublisherFactory
) -> None:
    with Subscriber(mosquitto_session.host, mosquitto_session.port, f"{mqtt_base}/#") as sub:
        publisher = publishers(mqtt_config(mqtt_base), mosquitto_session)
        event = make_event()
        publisher.publish(*payloads.event(publisher.base_topic, event))
        received = sub.wait_for(has_events(mqtt_base, [event]))

    (message,) = [m for m in received if m.topic == topics.events(mqtt_base, CAMERA)]
    assert Event.model_validate_json(message.payload) == event
    assert message.qos == 1  # the subscription asked for 1, so this is the publish QoS
    assert not message.retain


def test_state_is_retained_for_a_later_subscriber(
    mosquitto_session: Mosquitto, mqtt_base: str, publishers: PublisherFactory
) -> None:
    publisher = publishers(mqtt_config(mqtt_base), mosquitto_session)
    publisher.publish(*payloads.state(publisher.base_topic, make_state(1)))
    latest = make_state(2)
    publisher.publish(*payloads.state(publisher.base_topic, latest))
    assert publisher.wait_until_delivered(5.0)

    topic = topics.state(mqtt_base, CAMERA)
    with Subscriber(mosquitto_session.host, mosquitto_session.port, topic) as sub:
        (message,) = sub.wait_for(lambda ms: len(ms) >= 1)
    assert message.retain
    assert CameraState.model_validate_json(message.payload) == latest


def test_status_is_online_while_connected_and_offline_after_close(
    mosquitto_session: Mosquitto, mqtt_base: str, publishers: PublisherFactory
) -> None:
    status = topics.status(mqtt_base)
    with Subscriber(mosquitto_session.host, mosquitto_session.port, status) as sub:
        publisher = publishers(mqtt_config(mqtt_base), mosquitto_session)
        sub.wait_for_payload(status, b"online")
        assert publisher.connected

        publisher.close()
        publisher.close()  # idempotent
        sub.wait_for_payload(status, b"offline")
        assert not publisher.connected
        with pytest.raises(RuntimeError, match="closed"):
            publisher.publish(*payloads.event(publisher.base_topic, make_event()))

    with Subscriber(mosquitto_session.host, mosquitto_session.port, status) as late:
        message = late.wait_for_payload(status, b"offline")
    assert message.retain


_DYING_AGENT = """
import sys, time
from agent.config.schema import MqttConfig
from agent.adapters.mqtt.publisher import MqttPublisher

host, port, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
publisher = MqttPublisher(MqttConfig(base_topic=base, client_id=base), host, port)
publisher.start()
deadline = time.monotonic() + 5
while not (publisher.connected and publisher.wait_until_delivered(0.1)):
    if time.monotonic() > deadline:
        sys.exit("not connected")
print("ready", flush=True)
time.sleep(60)
"""


def test_last_will_marks_offline_when_the_agent_dies_without_disconnecting(
    mosquitto_session: Mosquitto, mqtt_base: str
) -> None:
    status = topics.status(mqtt_base)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [mosquitto_session.host, str(mosquitto_session.port), mqtt_base]
    with Subscriber(mosquitto_session.host, mosquitto_session.port, status) as sub:
        proc = subprocess.Popen(
            [sys.executable, "-c", _DYING_AGENT, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line == b"ready\n", proc.communicate(timeout=5)[1].decode()
            sub.wait_for_payload(status, b"online")
        finally:
            proc.kill()  # SIGKILL by PID: no DISCONNECT is sent, so the broker sends the will
            proc.communicate(timeout=5)
        sub.wait_for_payload(status, b"offline")

    with Subscriber(mosquitto_session.host, mosquitto_session.port, status) as late:
        assert late.wait_for_payload(status, b"offline").retain


def test_events_published_while_the_broker_is_down_at_start_arrive_once_it_starts(
    mosquitto_factory: MosquittoFactory,
    mqtt_base: str,
    publishers: PublisherFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="agent.adapters.mqtt")
    broker = mosquitto_factory(persistence=True)
    # A durable session, saved by the broker on stop: whatever the publisher sends after the
    # restart is queued for this subscriber even if it reconnects after the publisher does.
    durable = Subscriber(
        broker.host,
        broker.port,
        f"{mqtt_base}/#",
        client_id=f"sub-{mqtt_base}",
        clean_session=False,
    )
    with durable as sub:
        broker.stop()
        publisher = publishers(mqtt_config(mqtt_base), broker)
        events = [make_event(n) for n in range(3)]
        for event in events:
            publisher.publish(*payloads.event(publisher.base_topic, event))
        assert not publisher.wait_until_delivered(1.5)  # long enough for a retry or two
        assert publisher.stats().pending == 3
        assert not publisher.connected

        broker.start()
        received = sub.wait_for(has_events(mqtt_base, events))
        assert publisher.wait_until_delivered(5.0)

    assert [e.id for e in events_in(received, mqtt_base)] == [e.id for e in events]
    stats = publisher.stats()
    assert (stats.published, stats.acknowledged, stats.pending) == (3, 3, 0)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("cannot reach MQTT broker" in m for m in messages) == 1, messages
    assert any("connected to MQTT broker" in m for m in messages), messages


def test_events_published_during_a_broker_restart_arrive_after_it(
    mosquitto_factory: MosquittoFactory,
    mqtt_base: str,
    publishers: PublisherFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="agent.adapters.mqtt")
    broker = mosquitto_factory(persistence=True)
    durable = Subscriber(
        broker.host,
        broker.port,
        f"{mqtt_base}/#",
        client_id=f"sub-{mqtt_base}",
        clean_session=False,
    )
    status = topics.status(mqtt_base)
    with durable as sub:
        publisher = publishers(mqtt_config(mqtt_base), broker)
        before = make_event(0)
        publisher.publish(*payloads.event(publisher.base_topic, before))
        sub.wait_for(has_events(mqtt_base, [before]))
        # Else the PUBACK may be lost with the broker and `before` rightly sent twice.
        assert publisher.wait_until_delivered(5.0)

        broker.stop()
        wait_until(lambda: not publisher.connected)
        during = [make_event(n) for n in range(1, 4)]
        for event in during:
            publisher.publish(*payloads.event(publisher.base_topic, event))
        broker.start()

        received = sub.wait_for(has_events(mqtt_base, during))
        sub.wait_for(lambda ms: [m.payload for m in ms if m.topic == status].count(b"online") >= 2)
        assert publisher.wait_until_delivered(5.0)

    # QoS 1 is at-least-once, so consumers de-duplicate by id; order must hold.
    ids = list(dict.fromkeys(e.id for e in events_in(received, mqtt_base)))
    assert ids == [before.id] + [e.id for e in during]
    messages = [r.getMessage() for r in caplog.records]
    assert sum("lost connection to MQTT broker" in m for m in messages) == 1, messages
    assert any("reconnected to MQTT broker" in m for m in messages), messages


def test_state_and_online_are_republished_to_a_broker_that_forgot_them(
    mosquitto: Mosquitto, mqtt_base: str, publishers: PublisherFactory
) -> None:
    publisher = publishers(mqtt_config(mqtt_base), mosquitto)
    state = make_state(4)
    publisher.publish(*payloads.state(publisher.base_topic, state))
    assert publisher.wait_until_delivered(5.0)

    mosquitto.stop()  # no persistence: retained messages are gone after the restart
    wait_until(lambda: not publisher.connected)
    mosquitto.start()
    wait_until(lambda: publisher.connected)
    assert publisher.wait_until_delivered(5.0)

    with Subscriber(mosquitto.host, mosquitto.port, f"{mqtt_base}/#") as sub:
        received = sub.wait_for(lambda ms: len(ms) >= 2)
    retained = {m.topic: m.payload for m in received if m.retain}
    assert retained[topics.status(mqtt_base)] == b"online"
    assert CameraState.model_validate_json(retained[topics.state(mqtt_base, CAMERA)]) == state


def test_refused_connection_is_reported_once_and_never_counts_as_connected(
    mosquitto_factory: MosquittoFactory,
    mqtt_base: str,
    publishers: PublisherFactory,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG, logger="agent.adapters.mqtt.publisher")
    passwords = tmp_path / "passwords"
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(passwords), "eva", "right-horse"],
        check=True,
        capture_output=True,
    )
    broker = mosquitto_factory([f"password_file {passwords}"], anonymous=False)

    wrong = mqtt_config(mqtt_base, username="eva", password="wrong-battery-staple")
    publisher = publishers(wrong, broker)
    deadline = time.monotonic() + 2.5  # paho retries every second meanwhile
    while time.monotonic() < deadline:
        assert not publisher.connected
        time.sleep(0.01)
    assert not publisher.stats().connected

    records = [r for r in caplog.records if r.name == "agent.adapters.mqtt.publisher"]
    errors = [r.getMessage() for r in records if r.levelno == logging.ERROR]
    assert len(errors) == 1, errors
    assert "refused" in errors[0] and "mqtt.password" in errors[0]
    assert sum("refused the connection again" in r.getMessage() for r in records) >= 1
    assert not any("connected to MQTT broker" in r.getMessage() for r in records)
    assert not any("wrong-battery-staple" in r.getMessage() for r in caplog.records)

    right = mqtt_config(mqtt_base, username="eva", password="right-horse")
    accepted = publishers(right, broker)
    wait_until(lambda: accepted.connected)


def test_embedded_broker_on_a_free_port_round_trip(mqtt_base: str) -> None:
    config = mqtt_config(mqtt_base, host=None, embedded_port=0)
    publisher, broker = start_publisher(config)
    assert broker is not None
    try:
        assert broker.port != 0
        with Subscriber(broker.host, broker.port, f"{mqtt_base}/#") as sub:
            wait_until(lambda: publisher.connected)
            event = make_event()
            publisher.publish(*payloads.event(publisher.base_topic, event))
            sub.wait_for(has_events(mqtt_base, [event]))
            assert publisher.wait_until_delivered(5.0)
        assert publisher.stats().acknowledged == 1
    finally:
        publisher.close()
        broker.stop()
    assert not broker.running
    with pytest.raises(OSError):
        socket.create_connection((broker.host, broker.port), timeout=0.5).close()


def test_embedded_broker_explains_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = EmbeddedBroker(taken.getsockname()[1])
        with pytest.raises(BrokerStartError, match="already in use") as error:
            broker.start()
        assert "mqtt.embedded_port: 0" in str(error.value)
        assert "mqtt.host" in str(error.value)
        assert not broker.running


def test_ack_latencies_are_recorded_per_event(
    mosquitto_session: Mosquitto, mqtt_base: str, publishers: PublisherFactory
) -> None:
    publisher = publishers(mqtt_config(mqtt_base), mosquitto_session)
    wait_until(lambda: publisher.connected)
    for n in range(50):
        publisher.publish(*payloads.event(publisher.base_topic, make_event(n)))
    assert publisher.wait_until_delivered(5.0)

    latencies = publisher.ack_latencies_ms()
    assert len(latencies) == 50
    assert all(0 <= ms < 5000 for ms in latencies)
    stats = publisher.stats()
    assert (stats.published, stats.acknowledged, stats.pending) == (50, 50, 0)
