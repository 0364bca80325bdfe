"""Several agents on one real Mosquitto: an id each, no fighting, commands answered once."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.fleet import RunningAgent, agent_config, demo_frames
from support.mqtt_helpers import Mosquitto, Received, Subscriber

from agent.adapters.mqtt import topics
from agent.adapters.mqtt.fleet import Installation
from agent.adapters.mqtt.identity import (
    ID_FILE,
    IdentityError,
    host_prefix,
    new_agent_id,
    resolve_identity,
)
from agent.cli.check import _check_mqtt
from agent.config.schema import AppConfig, MqttConfig, StorageConfig
from agent.service.commands import CommandResult

pytestmark = pytest.mark.broker

TAKEOVER = "already connected, closing old connection"


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_frames(tmp_path_factory.mktemp("fleet"))


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def retained(broker: Mosquitto, topic_filter: str, count: int) -> dict[str, bytes]:
    """The retained messages on `topic_filter` as a new subscriber gets them."""
    with Subscriber(broker.host, broker.port, topic_filter) as sub:
        msgs = sub.wait_for(lambda ms: len([m for m in ms if m.retain]) >= count, timeout=10)
    return {m.topic: m.payload for m in msgs if m.retain}


def statuses_online(base: str, agents: list[str]) -> Callable[[list[Received]], bool]:
    def check(ms: list[Received]) -> bool:
        last = {m.topic: m.payload for m in ms}
        return all(last.get(topics.status(base, a)) == b"online" for a in agents)

    return check


def test_a_generated_id_is_kept_across_restarts_and_starts_with_the_host_name(
    tmp_path: Path,
) -> None:
    storage = StorageConfig(path=str(tmp_path / "store"))
    first = resolve_identity(MqttConfig(), storage)
    again = resolve_identity(MqttConfig(), storage)
    assert first.source == "generated" and again.source == "stored"
    assert first.client_id == again.client_id == first.agent_id
    assert first.agent_id.startswith(host_prefix() + "-")
    assert (tmp_path / "store" / ID_FILE).read_text().strip() == first.agent_id
    assert "kept in" in first.describe() and first.agent_id in first.describe()
    # Pis all called raspberrypi still get different ids.
    assert new_agent_id("raspberrypi") != new_agent_id("raspberrypi")
    assert host_prefix("Barn_Pi.local") == "barn-pi"
    # An explicit client id is the agent's id, made safe for a topic level.
    explicit = resolve_identity(MqttConfig(client_id="barn/pi #1"), storage)
    assert (explicit.client_id, explicit.agent_id, explicit.source) == (
        "barn/pi #1",
        "barn_pi__1",
        "config",
    )


def test_a_damaged_id_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / ID_FILE).write_text("not an id/with a slash\n")
    with pytest.raises(IdentityError, match="delete it to generate a new one"):
        resolve_identity(MqttConfig(), StorageConfig(path=str(tmp_path)))
    (tmp_path / ID_FILE).write_text("")  # a crash while it was written: replaced
    assert resolve_identity(MqttConfig(), StorageConfig(path=str(tmp_path))).source == "generated"


def test_check_shows_the_agent_id(tmp_path: Path) -> None:
    config = AppConfig(
        mqtt=MqttConfig(host=None, embedded_port=0), storage=StorageConfig(path=str(tmp_path))
    )
    lines: list[str] = []
    _check_mqtt(config, lambda good, what, fix="": lines.append(f"{good} {what}"))
    agent_id = (tmp_path / ID_FILE).read_text().strip()
    assert (
        lines[0] == f"True mqtt: agent id {agent_id} (generated now, kept in {tmp_path / ID_FILE})"
    )


def test_agents_with_default_settings_never_throw_each_other_off(
    mosquitto: Mosquitto, tmp_path: Path, frames: Path
) -> None:
    base = f"fleet-{uuid.uuid4().hex[:6]}"
    names = ["barn", "gate", "house"]
    configs = [
        agent_config(mosquitto.host, mosquitto.port, base, tmp_path / n, [n], frames=frames)
        for n in names
    ]
    ids = [resolve_identity(c.mqtt, c.storage).agent_id for c in configs]
    assert len(set(ids)) == 3
    with Subscriber(mosquitto.host, mosquitto.port, f"{base}/#") as sub:
        barn, gate, house = (RunningAgent(c) for c in configs)
        with barn, gate, house:
            sub.wait_for(statuses_online(base, ids), timeout=60)
            # Every camera's events flow while the three run side by side.
            sub.wait_for(
                lambda ms: all(any(m.topic == f"{base}/{n}/events" for m in ms) for n in names),
                timeout=90,
            )
            installs = retained(mosquitto, topics.installation(base, "+"), 3)
            found = {Installation.model_validate_json(p).agent: p for p in installs.values()}
            assert sorted(found) == sorted(ids)
            barn.stop()
            # Only the stopped agent is offline; the others stay online.
            status = retained(mosquitto, topics.status(base, "+"), 3)
            assert status == {
                topics.status(base, ids[0]): b"offline",
                topics.status(base, ids[1]): b"online",
                topics.status(base, ids[2]): b"online",
            }
            diagnostics = retained(mosquitto, f"{base}/agents/+/diagnostics", 3)
            assert sorted(diagnostics) == sorted(topics.agent_diagnostics(base, a) for a in ids)
    assert TAKEOVER not in mosquitto.log()
    # Each agent is its own Home Assistant device, following its own status.
    expected = {f"Edge vision agent {a}" for a in ids}
    with Subscriber(mosquitto.host, mosquitto.port, "homeassistant/+/+/config") as ha:
        msgs = ha.wait_for(lambda ms: _agent_devices(ms) == expected, timeout=10)
    for m in msgs:
        config = json.loads(m.payload)
        if config["device"]["name"] in expected:
            agent = config["device"]["name"].removeprefix("Edge vision agent ")
            assert [a["topic"] for a in config["availability"]] == [topics.status(base, agent)]


def _agent_devices(msgs: list[Received]) -> set[str]:
    names = {json.loads(m.payload)["device"]["name"] for m in msgs}
    return {n for n in names if n.startswith("Edge vision agent")}


def test_two_agents_with_one_client_id_stop_fighting_and_say_so(
    mosquitto: Mosquitto, tmp_path: Path, frames: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    base = f"fleet-{uuid.uuid4().hex[:6]}"
    first = agent_config(
        mosquitto.host,
        mosquitto.port,
        base,
        tmp_path / "a",
        ["barn"],
        frames=frames,
        client_id="pi",
    )
    second = agent_config(
        mosquitto.host,
        mosquitto.port,
        base,
        tmp_path / "b",
        ["gate"],
        frames=frames,
        client_id="pi",
    )
    with RunningAgent(first), Subscriber(mosquitto.host, mosquitto.port, f"{base}/#") as sub:
        sub.wait_for(statuses_online(base, ["pi"]), timeout=60)
        with RunningAgent(second):
            wait_until(lambda: "stops using MQTT" in caplog.text, timeout=60)
            settled = mosquitto.log().count(TAKEOVER)
            time.sleep(5)  # long enough for several reconnection attempts
            assert mosquitto.log().count(TAKEOVER) == settled <= 3
            # The first agent kept the id and keeps publishing its camera.
            sub.wait_for(lambda ms: any(m.topic == f"{base}/barn/state" for m in ms))
    lines = [r.getMessage() for r in caplog.records if "mqtt.client_id 'pi'" in r.getMessage()]
    keeps = [m for m in lines if "this one started first and keeps the id" in m]
    yields = [m for m in lines if "stops using MQTT" in m]
    assert len(keeps) == 1 and len(yields) == 1, lines
    for line in lines:  # both agents named in each line
        assert str(tmp_path / "a") in line and str(tmp_path / "b") in line


def test_the_same_camera_on_two_agents_is_reported_naming_both(
    mosquitto: Mosquitto, tmp_path: Path, frames: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    base = f"fleet-{uuid.uuid4().hex[:6]}"
    one = agent_config(
        mosquitto.host, mosquitto.port, base, tmp_path / "one", ["gate"], frames=frames
    )
    two = agent_config(
        mosquitto.host, mosquitto.port, base, tmp_path / "two", ["gate", "barn"], frames=frames
    )
    id_one = resolve_identity(one.mqtt, one.storage).agent_id
    id_two = resolve_identity(two.mqtt, two.storage).agent_id
    with RunningAgent(one), RunningAgent(two):
        wait_until(lambda: len(_clash_lines(caplog)) >= 2)
        time.sleep(1)
    lines = _clash_lines(caplog)
    assert len(lines) == 2, lines  # one line from each agent, each naming both
    for line in lines:
        assert id_one in line and id_two in line
    assert TAKEOVER not in mosquitto.log()


def _clash_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if "camera 'gate' is configured on two agents" in r.getMessage()
    ]


def _results(msgs: list[Received], base: str) -> list[CommandResult]:
    return [
        CommandResult.model_validate_json(m.payload)
        for m in msgs
        if m.topic == topics.command_result(base)
    ]


def _answers(sub: Subscriber, base: str, cid: str, *, quiet: float = 1.5) -> list[CommandResult]:
    """Every answer to request `cid`: waits for the first, then `quiet` seconds for more."""
    sub.wait_for(lambda ms: any(r.correlation_id == cid for r in _results(ms, base)), 30)
    time.sleep(quiet)
    return [r for r in _results(sub.messages, base) if r.correlation_id == cid]


def test_each_command_is_answered_once_by_the_agent_that_owns_it(
    mosquitto: Mosquitto, tmp_path: Path, frames: Path
) -> None:
    base = f"fleet-{uuid.uuid4().hex[:6]}"
    configs = [
        agent_config(mosquitto.host, mosquitto.port, base, tmp_path / n, [n], frames=frames)
        for n in ("barn", "gate", "house")
    ]
    barn_id, gate_id, house_id = (resolve_identity(c.mqtt, c.storage).agent_id for c in configs)
    leader = min(barn_id, gate_id, house_id)
    barn, gate, house = (RunningAgent(c) for c in configs)
    with Subscriber(mosquitto.host, mosquitto.port, f"{base}/#") as sub, barn, gate, house:
        sub.wait_for(statuses_online(base, [barn_id, gate_id, house_id]), timeout=60)
        time.sleep(1)  # every agent has the others' retained status and installation by now

        def ask(action: str, payload: str) -> list[CommandResult]:
            cid = f"{action}-{uuid.uuid4().hex[:6]}"
            body = json.loads(payload) | {"correlation_id": cid}
            sub.publish(topics.command(base, action), json.dumps(body).encode())
            return _answers(sub, base, cid)

        (paused,) = ask("pause", '{"camera": "barn"}')
        assert (
            paused.ok
            and paused.agent == barn_id
            and paused.result
            == {
                "camera": "barn",
                "paused": True,
                "changed": True,
            }
        )
        (resumed,) = ask("resume", '{"camera": "gate"}')
        assert resumed.ok and resumed.agent == gate_id
        (unknown,) = ask("snapshot", '{"camera": "shed"}')
        assert not unknown.ok and unknown.agent == leader
        assert unknown.error == "no camera 'shed' in the fleet; cameras: barn, gate, house"
        (question,) = ask("ask", '{"question": "how many people came today?"}')
        assert question.ok and question.agent == leader
        (bad,) = ask("pause", '{"camera": 7}')
        assert not bad.ok and bad.agent == leader
        # One answer also to what cannot be parsed at all.
        sub.publish(topics.command(base, "pause"), b'{"camera": "barn", "correlation_id": "x1"')
        (broken,) = _answers(sub, base, "x1")
        assert not broken.ok and broken.agent == leader

        # While a hub is online the agents leave the fleet's questions to it.
        sub.publish(topics.hub_status(base), b"online", retain=True)
        time.sleep(0.5)
        sub.publish(
            topics.command(base, "ask"), b'{"question": "any cars?", "correlation_id": "h1"}'
        )
        (owned,) = ask("pause", '{"camera": "house", "paused": false}')
        assert owned.ok and owned.agent == house_id  # cameras still answer for themselves
        assert not [r for r in _results(sub.messages, base) if r.correlation_id == "h1"]
        sub.publish(topics.hub_status(base), b"offline", retain=True)
        time.sleep(0.5)

        # A camera whose agent is offline: one error, from the fleet's answerer.
        barn.stop()
        sub.wait_for(lambda ms: statuses_online(base, [gate_id, house_id])(ms), timeout=10)
        time.sleep(0.5)
        (gone,) = ask("snapshot", '{"camera": "barn"}')
        assert not gone.ok and gone.agent == min(gate_id, house_id)
        assert gone.error == f"camera 'barn' belongs to agent {barn_id}, which is offline"
    assert TAKEOVER not in mosquitto.log()


def test_agents_leave_their_scheduled_digests_to_an_online_hub(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    from agent.adapters.history import EventHistory
    from agent.adapters.mqtt.fleet import FleetView, installation_of
    from agent.adapters.mqtt.publisher import MqttPublisher
    from agent.core.digest import build_digest
    from agent.service.app import _digest_sender

    base = f"fleet-{uuid.uuid4().hex[:6]}"
    mqtt = MqttConfig(host=mosquitto.host, port=mosquitto.port, base_topic=base, client_id="pi")
    publisher = MqttPublisher(mqtt, mosquitto.host, mosquitto.port)
    fleet = FleetView(
        base, installation_of(AppConfig(mqtt=mqtt), "pi", "host", "1"), publisher.give_up
    )
    fleet.attach(publisher.subscribe, lambda t, p, r: publisher.publish(t, p, retain=r))
    send = _digest_sender(publisher, None, fleet)
    history = EventHistory(tmp_path / "events.db")
    digest = build_digest(history, "evening", 24, datetime.now(UTC), "en")
    history.close()
    publisher.start()
    try:
        with Subscriber(mosquitto.host, mosquitto.port, f"{base}/#") as sub:
            sub.publish(topics.hub_status(base), b"online", retain=True)
            wait_until(lambda: fleet.hub_online)
            assert send(digest) is None  # the hub sends the fleet's
            sub.publish(topics.hub_status(base), b"offline", retain=True)
            wait_until(lambda: not fleet.hub_online)
            send(digest)  # no hub: the agent's own digest goes out
            (sent,) = [
                m
                for m in sub.wait_for(lambda ms: any(m.topic == topics.digest(base) for m in ms))
                if m.topic == topics.digest(base)
            ]
        assert json.loads(sent.payload)["id"] == digest.id
    finally:
        publisher.close(timeout=1.0)
