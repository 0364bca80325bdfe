"""The broker docker-compose ships is locked: its own mosquitto.conf, ACL and login maker,
run here with a real Mosquitto on a loopback port. Anonymous clients can neither connect nor
command; the agent logs in with the password file it is given, and only the Home Assistant
login may send commands."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from paho.mqtt.client import Client, ConnectFlags
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from support.mqtt_helpers import free_port, port_accepts

from agent.adapters.homeassistant.discovery import slug
from agent.adapters.mqtt.identity import resolve_identity
from agent.bench.mosquitto import find_mosquitto
from agent.config.schema import AppConfig, TemplateLlmConfig
from agent.service.app import run_agent

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "config" / "mosquitto"


@dataclass(frozen=True)
class ComposeBroker:
    port: int
    agent_password_file: Path
    homeassistant_password: str
    log: Path


@pytest.fixture
def compose_broker(tmp_path: Path) -> Iterator[ComposeBroker]:
    """The shipped broker: its config with only the port and folders moved into tmp_path."""
    binary = find_mosquitto()
    if binary is None:
        pytest.fail("the broker tests need a real Mosquitto (apt-get install mosquitto)")
    broker_secrets, agent_secrets, data = (tmp_path / d for d in ("secrets", "agent", "data"))
    data.mkdir()
    # The login maker as the broker's container runs it (the owners are ours here).
    env = {
        **os.environ,
        "BROKER_SECRETS": str(broker_secrets),
        "AGENT_SECRETS": str(agent_secrets),
        "BROKER_UID": str(os.getuid()),
        "AGENT_UID": str(os.getuid()),
    }
    made = subprocess.run(
        ["sh", str(SHIPPED / "make-logins.sh")], env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    port = free_port()
    conf = (SHIPPED / "mosquitto.conf").read_text()
    moves = {
        "listener 1883\n": f"listener {port} 127.0.0.1\n",
        "/mosquitto/secrets/": f"{broker_secrets}/",
        "/mosquitto/config/": f"{SHIPPED}/",
        "/mosquitto/data/": f"{data}/",
    }
    for old, new in moves.items():
        assert old in conf, f"the shipped mosquitto.conf no longer has {old!r}"
        conf = conf.replace(old, new)
    if os.geteuid() == 0:
        conf += "user root\n"  # as root Mosquitto would switch to 'mosquitto', who cannot read tmp
    (tmp_path / "mosquitto.conf").write_text(conf)
    log = tmp_path / "mosquitto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [binary, "-c", str(tmp_path / "mosquitto.conf")], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 5
        while not port_accepts("127.0.0.1", port):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.01)
        yield ComposeBroker(
            port,
            agent_secrets / "mqtt-password",
            (broker_secrets / "homeassistant-password").read_text().strip(),
            log,
        )
    finally:
        proc.terminate()
        proc.wait(5)


class Client311:
    """A paho client that records what the broker said about its login and what it got."""

    def __init__(self, port: int, username: str | None = None, password: str | None = None):
        self.port = port
        self.client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"test-{uuid.uuid4().hex[:8]}",
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.connack: ReasonCode | None = None
        self.connected = threading.Event()
        self.messages: list[tuple[str, bytes]] = []
        self._cond = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def __enter__(self) -> Client311:
        self.client.connect("127.0.0.1", self.port, keepalive=30)
        self.client.loop_start()
        assert self.connected.wait(5), "no CONNACK"
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def subscribe(self, topic: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *a: done.set()
        self.client.subscribe(topic, qos=1)
        assert done.wait(5)

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(5)

    def wait_for(self, topic: str, payload: bytes | None = None, timeout: float = 15) -> bytes:
        """The first message on `topic` (with this payload, if given)."""

        def wanted(t: str, p: bytes) -> bool:
            return t == topic and payload in (None, p)

        with self._cond:
            assert self._cond.wait_for(
                lambda: any(wanted(t, p) for t, p in self.messages), timeout
            ), f"nothing on {topic}; got {[t for t, _ in self.messages]}"
            return next(p for t, p in self.messages if wanted(t, p))

    def forget(self, topic: str) -> None:
        with self._cond:
            self.messages[:] = [(t, p) for t, p in self.messages if t != topic]

    def on(self, topic: str) -> list[bytes]:
        with self._cond:
            return [p for t, p in self.messages if t == topic]

    def _on_connect(
        self, c: Client, u: Any, f: ConnectFlags, rc: ReasonCode, p: Properties | None
    ) -> None:
        self.connack = rc
        self.connected.set()

    def _on_message(self, c: Client, u: Any, msg: Any) -> None:
        with self._cond:
            self.messages.append((msg.topic, bytes(msg.payload)))
            self._cond.notify_all()


def test_anonymous_clients_and_wrong_passwords_are_refused(compose_broker: ComposeBroker) -> None:
    for username, password in [(None, None), ("homeassistant", "guess"), ("eva", "")]:
        with Client311(compose_broker.port, username, password) as c:
            assert c.connack is not None and c.connack.is_failure, (username, c.connack)
            assert str(c.connack) == "Not authorized"


def test_the_agent_logs_in_and_only_home_assistant_commands_it(
    compose_broker: ComposeBroker, tmp_path: Path
) -> None:
    # The agent's shipped compose config, pointed at this broker and folder.
    shipped = yaml.safe_load((ROOT / "config" / "compose.yaml").read_text())
    assert shipped["mqtt"]["username"] == "eva"
    shipped["mqtt"].update(
        host="127.0.0.1",
        port=compose_broker.port,
        password_file=str(compose_broker.agent_password_file),
    )
    shipped["storage"]["path"] = str(tmp_path / "data")
    shipped["cameras"][0]["source"]["realtime"] = False
    config = AppConfig.model_validate(shipped).model_copy(update={"llm": TemplateLlmConfig()})
    agent_password = compose_broker.agent_password_file.read_text().strip()
    assert len(agent_password) == 32 and agent_password != compose_broker.homeassistant_password

    # The id the agent makes on first start and keeps in storage.path (docs/fleet.md).
    agent_id = resolve_identity(config.mqtt, config.storage).agent_id
    stop = threading.Event()
    agent = threading.Thread(target=run_agent, args=(config, stop))
    with Client311(
        compose_broker.port, "homeassistant", compose_broker.homeassistant_password
    ) as ha:
        assert ha.connack is not None and not ha.connack.is_failure
        ha.subscribe("eva/#")
        ha.subscribe("homeassistant/#")
        agent.start()
        try:
            # The agent is in: status, events and discovery reach Home Assistant.
            ha.wait_for(f"eva/agents/{agent_id}/status", b"online")
            ha.wait_for("eva/demo/events")
            discovery = json.loads(
                ha.wait_for(f"homeassistant/switch/eva_{slug(agent_id)}_demo_paused/config")
            )
            assert discovery["command_topic"] == "eva/cmd/pause"

            # A standing question asked from Home Assistant: the agent keeps it, lists it
            # for the Watches sensor and sends its notice when it fires, all through the ACL.
            ha.publish("eva/cmd/ask", {"question": "tell me when someone comes"})
            asked = json.loads(ha.wait_for("eva/cmd/result"))
            assert asked["ok"] and asked["result"]["answered"], asked
            listed = json.loads(ha.wait_for(f"eva/agents/{agent_id}/watches"))
            assert "count" in listed
            ha.wait_for("eva/watches")
            notice = json.loads(ha.wait_for("eva/watch", timeout=60))
            assert notice["watch"]["id"] == asked["result"]["facts"]["watch"]["id"]
            ha.forget("eva/cmd/result")  # the checks below count the answers to commands

            # Its own login may not command it (the ACL drops the publish)...
            with Client311(compose_broker.port, "eva", agent_password) as own:
                assert own.connack is not None and not own.connack.is_failure
                own.publish("eva/cmd/pause", {"camera": "demo", "paused": True})
            time.sleep(1.0)
            assert ha.on("eva/cmd/result") == []
            assert ha.on("eva/demo/paused") == [b"OFF"]  # not paused by its own login
            # ... but Home Assistant's may.
            ha.publish("eva/cmd/pause", {"camera": "demo", "paused": True})
            result = json.loads(ha.wait_for("eva/cmd/result"))
            assert result["action"] == "pause" and result["ok"] is True
            ha.wait_for("eva/demo/paused", b"ON")
            assert len(ha.on("eva/cmd/result")) == 1
        finally:
            stop.set()
            agent.join(timeout=30)
    assert not agent.is_alive()
