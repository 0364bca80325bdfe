"""The MQTT transport: one paho client that publishes any message and survives outages.

It knows topics and bytes only; what each payload is and where it goes is `payloads`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from agent.adapters.mqtt import topics
from agent.adapters.mqtt.broker import EmbeddedBroker
from agent.config.schema import MqttConfig
from eva_errors import UserError

logger = logging.getLogger(__name__)
MessageHandler = Callable[[str, bytes, bool], None]
_paho_logger = logging.getLogger(f"{__name__}.paho")

ONLINE = b"online"
OFFLINE = b"offline"
LATENCY_SAMPLES = 10_000

# What to tell the user when the broker refuses us, keyed by paho's reason name.
_REFUSAL_FIXES = {
    "Bad user name or password": "check mqtt.username and mqtt.password (or EVA_MQTT_PASSWORD)",
    "Not authorized": "check mqtt.username and mqtt.password (or EVA_MQTT_PASSWORD), "
    "and that the broker lets this user connect",
    "Client identifier not valid": "set another mqtt.client_id",
    "Unsupported protocol version": "use a broker that speaks MQTT 3.1.1",
    "Server unavailable": "the broker is not ready; see the broker's own log",
}


@dataclass(frozen=True)
class PublisherStats:
    """Counters of one publisher, for health reports and benchmarks."""

    published: int
    acknowledged: int
    pending: int
    connected: bool


@dataclass(frozen=True)
class _Pending:
    sent_at: float
    is_event: bool
    on_ack: Callable[[], None] | None = None


class MqttPublisher:
    """A paho client that publishes events (QoS 1) and retained state and availability."""

    def __init__(self, config: MqttConfig, host: str, port: int) -> None:
        self._config = config
        self._host = host
        self._port = port
        self._status_topic = topics.status(config.base_topic)

        # _cond guards the counters and flags from here to _closed. Never call into paho while
        # holding it: paho runs on_publish under its own message lock, so they would deadlock.
        self._cond = threading.Condition()
        self._unacked: dict[int, _Pending] = {}
        # PUBACKs that beat publish() back to us on a fast loopback broker.
        self._early_acks: dict[int, float] = {}
        self._in_flight_calls = 0
        self._latencies_ms: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self._published = 0
        self._acknowledged = 0
        self._connected = False
        self._ever_connected = False
        self._outage_since: float | None = None
        self._refusal_logged: str | None = None
        self._started = False
        self._closed = False
        self._handlers: list[tuple[str, MessageHandler]] = []
        self._retained: dict[str, bytes] = {}  # guarded by _state_lock
        self._connect_hooks: list[Callable[[], None]] = []

        # Serialises retained publishes with the re-publish on connect.
        self._state_lock = threading.Lock()

        self._client = self._make_client()

    @property
    def base_topic(self) -> str:
        return self._config.base_topic

    @property
    def connected(self) -> bool:
        """True only between an accepted CONNACK and the next disconnect."""
        with self._cond:
            return self._connected

    @property
    def address(self) -> str:
        """The broker's ``host:port``."""
        return f"{self._host}:{self._port}"

    def start(self) -> None:
        """Begin connecting in the background; a broker that is down only delays delivery."""
        if self._started:
            raise RuntimeError("the MQTT publisher was already started")
        self._started = True
        # connect_async defers the TCP connect to the loop thread, which retries with
        # back-off instead of raising here when the broker is down.
        self._client.connect_async(self._host, self._port, keepalive=self._config.keepalive)
        self._client.loop_start()

    def publish(
        self,
        topic: str,
        payload: bytes | str,
        retain: bool = False,
        is_event: bool = False,
        *,
        on_ack: Callable[[], None] | None = None,
    ) -> int:
        """Queue a message (QoS 1); `is_event` counts it in the event figures.

        A retained message is kept and sent again after every connect, so a broker or
        Home Assistant that restarted has it again; an empty one deletes the topic's value.
        `on_ack` runs once the broker has the message, on paho's thread or the caller's,
        and must not block for long. Payloads and their topics are built in `payloads`.
        """
        data = payload.encode() if isinstance(payload, str) else payload
        if not retain:
            return self._publish(topic, data, retain=False, is_event=is_event, on_ack=on_ack)
        # Held while sending, so an older retained value re-sent on connect can never
        # overtake a newer one.
        with self._state_lock:
            if data:
                self._retained[topic] = data
            else:
                self._retained.pop(topic, None)
            return self._publish(topic, data, retain=True, is_event=is_event, on_ack=on_ack)

    def republish_retained(self) -> int:
        """Send every retained message again (states, discovery...): after a broker or Home
        Assistant restart that may have forgotten them. Returns how many were sent."""
        with self._state_lock:
            for topic, data in self._retained.items():
                self._publish(topic, data, retain=True, is_event=False)
            return len(self._retained)

    def subscribe(self, topic_filter: str, handler: MessageHandler) -> None:
        """Call `handler(topic, payload, retained)` for each message on `topic_filter`.

        Subscriptions are renewed after every reconnection. Handlers run on paho's network
        thread: they must be quick and must not wait for acknowledgements.
        """
        with self._cond:
            self._handlers.append((topic_filter, handler))
        self._client.message_callback_add(topic_filter, self._dispatch(handler))
        # Offline this fails quietly; on_connect subscribes to every filter anyway.
        self._client.subscribe(topic_filter, qos=1)

    def on_connected(self, hook: Callable[[], None]) -> None:
        """Run `hook` after every (re)connection, once online and state are queued."""
        with self._cond:
            self._connect_hooks.append(hook)

    def wait_until_delivered(self, timeout: float) -> bool:
        """Wait until every QoS 1 message published so far has its PUBACK; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._unacked and self._in_flight_calls == 0, timeout
            )

    def ack_latencies_ms(self) -> list[float]:
        """Milliseconds from publish_event() to PUBACK (outages included), latest 10,000 events."""
        with self._cond:
            return list(self._latencies_ms)

    def stats(self) -> PublisherStats:
        """Events published and acknowledged, QoS 1 messages awaiting PUBACK, connection."""
        with self._cond:
            return PublisherStats(
                published=self._published,
                acknowledged=self._acknowledged,
                pending=len(self._unacked),
                connected=self._connected,
            )

    def close(self, timeout: float = 2.0) -> None:
        """Announce ``offline``, flush briefly while connected, disconnect. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            connected = self._connected
        if not self._started:
            return
        try:
            self._publish(self._status_topic, OFFLINE, retain=True, is_event=False, closing=True)
            if connected and not self.wait_until_delivered(timeout):
                logger.warning(
                    "closing with %d MQTT message(s) not acknowledged by %s",
                    self.stats().pending,
                    self.address,
                )
        finally:
            self._client.disconnect()
            self._client.loop_stop()

    def _make_client(self) -> Client:
        cfg = self._config
        client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            clean_session=True,
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        # paho's own messages go to DEBUG: it logs a normal outage at ERROR, while the
        # callbacks below already report every state change once, at the right level.
        client.on_log = _paho_log
        client.will_set(self._status_topic, OFFLINE, qos=1, retain=True)
        if cfg.username is not None:
            client.username_pw_set(cfg.username, read_password(cfg))
        if cfg.tls:
            client.tls_set(
                ca_certs=_path(cfg.tls_ca_file),
                certfile=_path(cfg.tls_cert_file),
                keyfile=_path(cfg.tls_key_file),
            )
            client.tls_insecure_set(cfg.tls_insecure)
        client.reconnect_delay_set(1, max(1, round(cfg.reconnect_max_seconds)))
        # 0 = unbounded: events must survive an outage; the disk outbox will bound memory.
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        return client

    def _publish(
        self,
        topic: str,
        payload: bytes,
        *,
        retain: bool,
        is_event: bool,
        closing: bool = False,
        on_ack: Callable[[], None] | None = None,
    ) -> int:
        with self._cond:
            if self._closed and not closing:
                raise RuntimeError("the MQTT publisher is closed")
            self._in_flight_calls += 1
        acked_early = False
        try:
            sent_at = time.monotonic()
            # Offline, paho answers MQTT_ERR_NO_CONN but keeps the message in its queue and
            # sends it after the next CONNACK, also before the first one.
            info = self._client.publish(topic, payload, qos=1, retain=retain)
            if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
                raise RuntimeError(f"MQTT publish to {topic} failed: {info.rc.name}")
            with self._cond:
                if is_event:
                    self._published += 1
                acked_at = self._early_acks.pop(info.mid, None)
                pending = _Pending(sent_at, is_event, on_ack)
                if acked_at is None:
                    self._unacked[info.mid] = pending
                else:
                    self._record_ack(pending, acked_at)
                    acked_early = True
            return info.mid
        finally:
            with self._cond:
                self._in_flight_calls -= 1
                self._cond.notify_all()
            if acked_early and on_ack is not None:
                _call_quietly(on_ack)

    def _record_ack(self, pending: _Pending, acked_at: float) -> None:
        if pending.is_event:
            self._acknowledged += 1
            self._latencies_ms.append((acked_at - pending.sent_at) * 1000.0)

    # paho callbacks: they run on paho's network thread and must never raise into it,
    # since an exception there kills the thread and with it every reconnection.

    def _on_publish(
        self, client: Client, userdata: Any, mid: int, reason: ReasonCode, props: Properties
    ) -> None:
        try:
            acked_at = time.monotonic()
            with self._cond:
                pending = self._unacked.pop(mid, None)
                if pending is None:
                    self._early_acks[mid] = acked_at
                else:
                    self._record_ack(pending, acked_at)
                self._cond.notify_all()
            if pending is not None and pending.on_ack is not None:
                _call_quietly(pending.on_ack)  # outside our lock: it may write to disk
        except Exception:
            logger.exception("error in MQTT on_publish callback")

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        try:
            if reason.is_failure:
                self._log_refusal(reason)
                return
            with self._cond:
                if self._closed:
                    return  # close() is already announcing offline
            self._announce()
            with self._cond:
                # Only now: a consumer of `connected` may rely on online and state being queued.
                self._connected = True
                first = not self._ever_connected
                self._ever_connected = True
                outage, self._outage_since = self._outage_since, None
                self._refusal_logged = None
                pending = len(self._unacked)
            if first:
                logger.info("connected to MQTT broker %s", self.address)
            else:
                down = f" after {time.monotonic() - outage:.0f} s" if outage is not None else ""
                logger.info(
                    "reconnected to MQTT broker %s%s; resending %d queued message(s)",
                    self.address,
                    down,
                    pending,
                )
        except Exception:
            logger.exception("error in MQTT on_connect callback")

    def _dispatch(self, handler: MessageHandler) -> Callable[[Client, Any, MQTTMessage], None]:
        def on_message(client: Client, userdata: Any, msg: MQTTMessage) -> None:
            try:
                handler(msg.topic, bytes(msg.payload), bool(msg.retain))
            except Exception:  # a bad message must not kill paho's network thread
                logger.exception("error handling MQTT message on %s", msg.topic)

        return on_message

    def _announce(self) -> None:
        self._publish(self._status_topic, ONLINE, retain=True, is_event=False)
        with self._cond:
            filters = [f for f, _ in self._handlers]
            hooks = list(self._connect_hooks)
        for topic_filter in filters:
            self._client.subscribe(topic_filter, qos=1)
        # A restarted broker without persistence has forgotten our retained messages.
        self.republish_retained()
        for hook in hooks:
            try:
                hook()
            except Exception:
                logger.exception("error in an MQTT on-connect hook")

    def _log_refusal(self, reason: ReasonCode) -> None:
        name = reason.getName()
        with self._cond:
            self._connected = False
            if self._outage_since is None:
                self._outage_since = time.monotonic()
            repeated = self._refusal_logged == name
            self._refusal_logged = name
        if repeated:
            logger.debug("MQTT broker %s refused the connection again: %s", self.address, name)
            return
        fix = _REFUSAL_FIXES.get(name, "see the broker's log for why")
        logger.error(
            "MQTT broker %s refused the connection (%s): %s. Events are kept in memory and "
            "the agent keeps retrying.",
            self.address,
            name,
            fix,
        )

    def _on_connect_fail(self, client: Client, userdata: Any) -> None:
        try:
            if self._begin_outage():
                logger.warning(
                    "cannot reach MQTT broker %s; retrying, events are kept in memory",
                    self.address,
                )
        except Exception:
            logger.exception("error in MQTT on_connect_fail callback")

    def _on_disconnect(
        self,
        client: Client,
        userdata: Any,
        flags: DisconnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        try:
            with self._cond:
                was_connected, self._connected = self._connected, False
                closing = self._closed
            if closing:
                logger.info("disconnected from MQTT broker %s", self.address)
            elif was_connected and self._begin_outage():
                # No reason in the message: MQTT 3.1.1 brokers just close the socket, and
                # paho then reports an uninformative "Unspecified error".
                logger.warning(
                    "lost connection to MQTT broker %s; retrying, events are kept in memory",
                    self.address,
                )
        except Exception:
            logger.exception("error in MQTT on_disconnect callback")

    def _begin_outage(self) -> bool:
        """Mark the start of an outage; True if this is its first sign (so log it once)."""
        with self._cond:
            if self._outage_since is not None:
                return False
            self._outage_since = time.monotonic()
            return True


def read_password(config: MqttConfig) -> str | None:
    """The password from the config or its file (first line); never logged."""
    if config.password is not None:
        return config.password.get_secret_value()
    if config.password_file is not None:
        from agent.config.files import FileCheckError, read_password_file

        path = Path(config.password_file).expanduser()
        try:
            return read_password_file(path)
        except FileCheckError as e:
            raise MqttSetupError(str(e), setting="mqtt.password_file") from e
    return None


def _path(value: str | None) -> str | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise MqttSetupError(f"TLS file {path} does not exist; fix the mqtt.tls_* setting")
    return str(path)


class MqttSetupError(UserError, RuntimeError):
    """The MQTT settings name a file that cannot be read; the message says which."""


def _call_quietly(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:  # an acknowledgement handler must not break paho's thread
        logger.exception("error in an MQTT acknowledgement handler")


def _paho_log(client: Client, userdata: Any, level: int, message: str) -> None:
    _paho_logger.debug("%s", message)


def start_publisher(config: MqttConfig) -> tuple[MqttPublisher, EmbeddedBroker | None]:
    """Start a publisher, and first an embedded broker on 127.0.0.1 when no host is configured."""
    broker: EmbeddedBroker | None = None
    host, port = config.host, config.port
    if host is None:
        broker = EmbeddedBroker(config.embedded_port, host=config.embedded_host)
        broker.start()
        host, port = broker.host, broker.port
    try:
        publisher = MqttPublisher(config, host, port)
        publisher.start()
    except BaseException:
        if broker is not None:
            broker.stop()
        raise
    return publisher, broker
