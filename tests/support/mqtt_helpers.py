"""Real MQTT machinery for tests: a Mosquitto process, and a subscriber that records messages."""

from __future__ import annotations

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

from agent.bench import mosquitto
from agent.bench.mosquitto import free_port, port_accepts

__all__ = ["Mosquitto", "Subscriber", "free_port", "port_accepts"]


class Mosquitto(mosquitto.Mosquitto):
    """The package's broker launcher; a broker that is missing or does not start fails the test."""

    def __init__(
        self, directory: Path, *, extra: list[str], persistence: bool, anonymous: bool = True
    ) -> None:
        try:
            super().__init__(directory, extra=extra, persistence=persistence, anonymous=anonymous)
        except mosquitto.MosquittoError as e:
            pytest.fail(f"{e}; the MQTT tests need a real Mosquitto")

    def start(self, timeout: float = 5.0) -> None:
        try:
            super().start(timeout)
        except mosquitto.MosquittoError as e:
            pytest.fail(str(e))


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

    def publish(self, topic: str, payload: bytes, retain: bool = False, wait: bool = True) -> None:
        """Publish with QoS 1 from this client and wait for the broker's PUBACK (unless not
        `wait`: a flood)."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if wait:
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
