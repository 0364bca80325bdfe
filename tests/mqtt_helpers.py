"""Real MQTT machinery for tests: a Mosquitto process, and a subscriber that records messages."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

MOSQUITTO_HINT = "install it with: sudo apt-get install -y mosquitto mosquitto-clients"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_accepts(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port right now."""
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _find(program: str) -> str:
    # Debian puts mosquitto in /usr/sbin, which a non-root PATH often lacks.
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/bin")
    if found is None:
        pytest.fail(
            f"'{program}' not found; the MQTT tests need a real Mosquitto: {MOSQUITTO_HINT}"
        )
    return found


class Mosquitto:
    """One Mosquitto process on 127.0.0.1 that a test can stop and start again on the same port."""

    def __init__(
        self, directory: Path, *, extra: list[str], persistence: bool, anonymous: bool = True
    ) -> None:
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.directory = directory
        self.log_path = directory / "mosquitto.log"
        self.conf_path = directory / "mosquitto.conf"
        lines = [f"listener {self.port} {self.host}", f"allow_anonymous {str(anonymous).lower()}"]
        lines += extra
        if persistence:
            # Saved on SIGTERM and loaded on start, so sessions and retained messages survive.
            lines += ["persistence true", f"persistence_location {directory}/"]
        else:
            lines.append("persistence false")
        if os.geteuid() == 0:
            # As root Mosquitto switches to user 'mosquitto', who cannot read pytest's tmp dir.
            lines.append("user root")
        self.conf_path.write_text("\n".join(lines) + "\n")
        self._binary = _find("mosquitto")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 5.0) -> None:
        """Start the broker and wait until its port accepts connections."""
        assert not self.running, "mosquitto is already running"
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [self._binary, "-c", str(self.conf_path)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while not port_accepts(self.host, self.port):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"mosquitto did not start on port {self.port}:\n{self.log()}")
            time.sleep(0.01)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop gracefully (SIGTERM): clients see the connection drop, persistence is saved."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Stop abruptly (SIGKILL)."""
        self._signal(signal.SIGKILL, 5.0)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)  # by PID: never by name, other brokers may run here
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


MosquittoFactory = Callable[..., Mosquitto]


@dataclass(frozen=True)
class Received:
    """One delivered message."""

    topic: str
    payload: bytes
    retain: bool
    qos: int
    at: float = field(default_factory=time.monotonic, compare=False)

    @property
    def text(self) -> str:
        return self.payload.decode()


Predicate = Callable[[list[Received]], bool]


class Subscriber:
    """Subscribes to a topic filter on enter and records every message until exit.

    With ``clean_session=False`` and a fixed ``client_id`` the broker keeps the subscription
    across a restart (when it persists) and queues QoS 1 messages for us while we are away.
    """

    def __init__(
        self,
        host: str,
        port: int,
        topic_filter: str,
        *,
        qos: int = 1,
        client_id: str | None = None,
        clean_session: bool = True,
        timeout: float = 5.0,
    ) -> None:
        self._host, self._port, self._filter, self._qos = host, port, topic_filter, qos
        self._timeout = timeout
        self._cond = threading.Condition()
        self._messages: list[Received] = []
        self._subscribed = threading.Event()
        self._client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"test-sub-{uuid.uuid4().hex[:8]}",
            clean_session=clean_session,
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        self._client.reconnect_delay_set(1, 1)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe

    def __enter__(self) -> Subscriber:
        self._client.connect(self._host, self._port, keepalive=30)
        self._client.loop_start()
        if not self._subscribed.wait(self._timeout):
            self.__exit__(None, None, None)
            raise AssertionError(f"no SUBACK for {self._filter!r} within {self._timeout} s")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def messages(self) -> list[Received]:
        with self._cond:
            return list(self._messages)

    def on(self, topic: str) -> list[Received]:
        """The messages received on one exact topic, oldest first."""
        return [m for m in self.messages if m.topic == topic]

    def wait_for(self, predicate: Predicate, timeout: float = 5.0) -> list[Received]:
        """Wait until predicate(all messages so far) holds; fail the test on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self._messages), timeout):
                shown = [(m.topic, m.payload[:80], m.retain) for m in self._messages]
                raise AssertionError(f"timed out after {timeout} s; received {shown}")
            return list(self._messages)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        """Publish with QoS 1 from this client and wait for the broker's PUBACK."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(self._timeout)

    def wait_for_payload(self, topic: str, payload: bytes, timeout: float = 5.0) -> Received:
        """Wait for one exact payload on one topic and return that message."""
        msgs = self.wait_for(
            lambda ms: any(m.topic == topic and m.payload == payload for m in ms), timeout
        )
        return next(m for m in msgs if m.topic == topic and m.payload == payload)

    def _on_connect(self, client: Client, userdata: Any, *args: Any) -> None:
        # Again after every reconnect: a broker restarted without persistence forgot us.
        client.subscribe(self._filter, qos=self._qos)

    def _on_message(self, client: Client, userdata: Any, msg: MQTTMessage) -> None:
        with self._cond:
            self._messages.append(Received(msg.topic, bytes(msg.payload), msg.retain, msg.qos))
            self._cond.notify_all()

    def _on_subscribe(self, client: Client, userdata: Any, mid: int, *args: Any) -> None:
        self._subscribed.set()
