"""The Home Assistant announcer against a real Mosquitto: retained configs, re-announcement on
Home Assistant's birth, and removal of entities the configuration no longer has."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from support.mqtt_helpers import Mosquitto, Received, Subscriber

from agent.adapters.homeassistant.announcer import HomeAssistantAnnouncer
from agent.adapters.homeassistant.discovery import discovery_configs, node_id
from agent.adapters.mqtt import payloads, topics
from agent.adapters.mqtt.publisher import MqttPublisher
from agent.config.schema import AppConfig, CameraConfig, HomeAssistantConfig, MqttConfig
from agent.core.events import CameraState

pytestmark = pytest.mark.broker

VERSION = "1.2.3"
Started = tuple[MqttPublisher, HomeAssistantAnnouncer]
Start = Callable[[AppConfig], Started]


def app_config(base: str, labels: list[str], client_id: str | None = None) -> AppConfig:
    return AppConfig(
        mqtt=MqttConfig(
            base_topic=base,
            client_id=client_id or f"eva-test-{uuid.uuid4().hex[:8]}",
            reconnect_max_seconds=1.0,
        ),
        cameras=[CameraConfig(name="barn", labels=labels)],
        home_assistant=HomeAssistantConfig(discovery_prefix=f"{base}-ha"),
    )


@pytest.fixture
def start(mosquitto_session: Mosquitto) -> Iterator[Start]:
    """Start a publisher and an announcer on the shared broker; both are stopped at the end."""
    made: list[Started] = []

    def make(config: AppConfig) -> Started:
        publisher = MqttPublisher(config.mqtt, mosquitto_session.host, mosquitto_session.port)
        announcer = HomeAssistantAnnouncer(
            config, publisher, VERSION, birth_delay_seconds=0.0, settle_seconds=0.5
        )
        made.append((publisher, announcer))
        publisher.start()
        announcer.start()
        return publisher, announcer

    yield make
    for publisher, announcer in made:
        announcer.stop()
        publisher.close(timeout=1.0)


def retained_now(broker: Mosquitto, topic_filter: str, expected: int) -> dict[str, bytes]:
    """The retained messages a new subscriber gets, once `expected` of them have come."""
    with Subscriber(broker.host, broker.port, topic_filter) as sub:
        messages = sub.wait_for(lambda ms: len(ms) >= expected)
    assert all(m.retain for m in messages)
    return {m.topic: m.payload for m in messages}


def count_on(messages: list[Received], topic: str) -> int:
    return sum(1 for m in messages if m.topic == topic)


def test_configs_arrive_retained(
    mosquitto_session: Mosquitto, mqtt_base: str, start: Start
) -> None:
    config = app_config(mqtt_base, ["person", "cow"])
    publisher, announcer = start(config)
    assert publisher.wait_until_delivered(5.0)
    expected = discovery_configs(config, VERSION)
    assert announcer.configs == expected

    prefix = config.home_assistant.discovery_prefix
    retained = retained_now(mosquitto_session, f"{prefix}/#", len(expected))
    assert {t: json.loads(p) for t, p in retained.items()} == expected


def test_home_assistant_birth_resends_configs_and_state(
    mosquitto_session: Mosquitto, mqtt_base: str, start: Start
) -> None:
    config = app_config(mqtt_base, ["person"])
    prefix = config.home_assistant.discovery_prefix
    state_topic = topics.state(mqtt_base, "barn")
    host, port = mosquitto_session.host, mosquitto_session.port
    with (
        Subscriber(host, port, f"{prefix}/#") as ha,
        Subscriber(host, port, f"{mqtt_base}/#") as agent,
    ):
        publisher, announcer = start(config)
        state = CameraState(
            camera="barn", updated_at=datetime.now(UTC), counts={"person": 1}, zones={}
        )
        publisher.publish(*payloads.state(publisher.base_topic, state))
        configs = announcer.configs
        ha.wait_for(lambda ms: all(count_on(ms, t) >= 1 for t in configs))
        agent.wait_for(lambda ms: count_on(ms, state_topic) >= 1)
        # Configs and state are sent again on connect: count only once all that has arrived.
        settle(publisher, [ha, agent], [f"{prefix}/probe", f"{mqtt_base}/probe"])
        states_before = count_on(agent.messages, state_topic)
        configs_before = {t: count_on(ha.messages, t) for t in configs}

        ha.publish(f"{prefix}/status", b"online")  # Home Assistant's birth message

        ha.wait_for(lambda ms: all(count_on(ms, t) > configs_before[t] for t in configs))
        messages = agent.wait_for(lambda ms: count_on(ms, state_topic) > states_before)
    resent = [m for m in messages if m.topic == state_topic][-1]
    assert CameraState.model_validate_json(resent.payload) == state
    assert all(json.loads(m.payload) == configs[m.topic] for m in ha.messages if m.topic in configs)


def settle(publisher: MqttPublisher, subscribers: list[Subscriber], probes: list[str]) -> None:
    """Wait until everything the publisher has sent so far has reached the subscribers: a
    broker forwards one client's messages in order, so a probe sent last arrives last."""
    assert wait_until(lambda: publisher.connected)
    assert publisher.wait_until_delivered(5.0)
    for sub, probe in zip(subscribers, probes, strict=True):
        publisher.publish(probe, b"probe")
        sub.wait_for(lambda ms, probe=probe: count_on(ms, probe) >= 1)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class FakePublisher:
    """Records what the announcer asks of MqttPublisher and lets a test deliver messages."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes, bool]] = []
        self.handlers: dict[str, Callable[[str, bytes, bool], None]] = {}
        self.republished = threading.Event()

    def publish(self, topic: str, payload: bytes | str, *, retain: bool = False) -> int:
        data = payload.encode() if isinstance(payload, str) else payload
        self.published.append((topic, data, retain))
        return 0

    def subscribe(self, topic_filter: str, handler: Callable[[str, bytes, bool], None]) -> None:
        self.handlers[topic_filter] = handler

    def republish_retained(self) -> int:
        self.republished.set()
        return 0


def test_only_a_live_birth_causes_a_re_announcement(mqtt_base: str) -> None:
    config = app_config(mqtt_base, ["person"])
    prefix = config.home_assistant.discovery_prefix
    fake = FakePublisher()
    announcer = HomeAssistantAnnouncer(
        config,
        fake,
        VERSION,
        birth_delay_seconds=0.0,
        settle_seconds=60.0,  # type: ignore[arg-type]
    )
    announcer.start()
    try:
        assert [(t, r) for t, _, r in fake.published] == [(t, True) for t in announcer.configs]
        on_status = fake.handlers[f"{prefix}/status"]
        # Retained: sent at subscribe time, when Home Assistant already has everything.
        on_status(f"{prefix}/status", b"online", True)
        on_status(f"{prefix}/status", b"offline", False)
        assert not fake.republished.wait(0.3)
        on_status(f"{prefix}/status", b"online", False)
        assert fake.republished.wait(5.0)
    finally:
        announcer.stop()


@pytest.mark.parametrize("stopped", [False, True])
def test_the_sweep_empties_stale_configs_unless_stopped(mqtt_base: str, stopped: bool) -> None:
    config = app_config(mqtt_base, ["person"])
    prefix = config.home_assistant.discovery_prefix
    fake = FakePublisher()
    announcer = HomeAssistantAnnouncer(
        config,
        fake,
        VERSION,
        settle_seconds=0.2,  # type: ignore[arg-type]
    )
    announcer.start()
    stale = f"{prefix}/sensor/eva_{node_id(config)}_barn_gone/config"
    payload = json.dumps({"unique_id": f"eva_{node_id(config)}_barn_gone"}).encode()
    fake.handlers[f"{prefix}/+/+/config"](stale, payload, True)
    if stopped:
        announcer.stop()
    time.sleep(0.6)
    announcer.stop()
    emptied = [topic for topic, data, retain in fake.published if data == b"" and retain]
    assert emptied == ([] if stopped else [stale])


def test_an_entity_removed_from_the_configuration_is_removed_from_the_broker(
    mosquitto_session: Mosquitto, mqtt_base: str, start: Start
) -> None:
    client_id = f"eva-test-{uuid.uuid4().hex[:8]}"
    before = app_config(mqtt_base, ["person", "cow"], client_id)
    after = app_config(mqtt_base, ["person"], client_id)
    prefix = before.home_assistant.discovery_prefix
    old, new = discovery_configs(before, VERSION), discovery_configs(after, VERSION)
    removed = sorted(set(old) - set(new))
    assert removed and all("cow" in t for t in removed)

    first, first_announcer = start(before)
    assert first.wait_until_delivered(5.0)
    first_announcer.stop()
    first.close()
    assert len(retained_now(mosquitto_session, f"{prefix}/#", len(old))) == len(old)

    host, port = mosquitto_session.host, mosquitto_session.port
    with Subscriber(host, port, f"{prefix}/#") as ha:
        start(after)  # same client id: the same agent, restarted with one label fewer
        ha.wait_for(
            lambda ms: all(any(m.payload == b"" for m in ms if m.topic == t) for t in removed)
        )

    retained = retained_now(mosquitto_session, f"{prefix}/#", len(new))
    assert sorted(retained) == sorted(new)
