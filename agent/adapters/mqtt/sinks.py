"""Where events go besides MQTT: JSON lines for scripts, readable lines for people."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, TextIO

from agent.adapters.mqtt import payloads
from agent.core.events import CameraState, Event, EventUpdate

if TYPE_CHECKING:  # a replay that only prints loads no MQTT client
    from agent.adapters.mqtt import MqttPublisher
    from agent.adapters.mqtt.relay import OutboxRelay


class MqttSink:
    """Publishes events, updates and state; events and updates through the durable outbox
    when there is one, so they survive broker outages and agent restarts."""

    def __init__(self, publisher: MqttPublisher, relay: OutboxRelay | None = None) -> None:
        self._publisher = publisher
        self._relay = relay
        self._base = publisher.base_topic

    def event(self, event: Event) -> None:
        message = payloads.event(self._base, event)
        if self._relay is None:
            self._publisher.publish(*message)
            return
        self._relay.send(message.topic, message.payload, event.severity)

    def state(self, state: CameraState) -> None:
        self._publisher.publish(*payloads.state(self._base, state))

    def update(self, update: EventUpdate) -> None:
        message = payloads.event_update(self._base, update)
        if self._relay is None:
            self._publisher.publish(*message)
            return
        self._relay.send(message.topic, message.payload)


class LastEventSink:
    """Keeps `<base>/<camera>/last_event` retained: the latest event, as last worded.

    Home Assistant's "last event" sensor reads it, so after a restart it shows the event
    again, with the model's wording once that has come.
    """

    def __init__(self, publisher: MqttPublisher, base_topic: str) -> None:
        self._publisher = publisher
        self._base = base_topic
        self._last: dict[str, Event] = {}
        self._lock = threading.Lock()

    def event(self, event: Event) -> None:
        with self._lock:
            self._last[event.camera] = event
        self._send(event)

    def update(self, update: EventUpdate) -> None:
        with self._lock:
            last = self._last.get(update.camera)
            if last is None or last.id != update.id:
                return  # a newer event has taken its place
            last = last.model_copy(
                update={"summary": update.summary, "summary_source": update.summary_source}
            )
            self._last[update.camera] = last
        self._send(last)

    def state(self, state: CameraState) -> None:
        """The state has its own retained topic."""

    def _send(self, event: Event) -> None:
        self._publisher.publish(*payloads.last_event(self._base, event))


class JsonLinesSink:
    """One JSON event or update per line, for `eva replay --json` and shell pipelines."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()

    def event(self, event: Event) -> None:
        self._write(event.model_dump_json())

    def update(self, update: EventUpdate) -> None:
        self._write(update.model_dump_json())

    def _write(self, line: str) -> None:
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def state(self, state: CameraState) -> None:
        """State changes are not printed; they are retained on MQTT."""


def format_update(update: EventUpdate) -> str:
    """The line under an event once a model has worded it."""
    return f"          ↳ {update.summary}  ({update.summary_source})"


def format_event(event: Event) -> str:
    """'05:12:03  barn  [alert] arrival: At 05:12, a fox appeared at the hen house.'"""
    clock = event.started_at.strftime("%H:%M:%S")
    tag = "" if event.severity == "info" else f"[{event.severity}] "
    return f"{clock}  {event.camera}  {tag}{event.kind}: {event.summary}"


class ConsoleSink:
    """Readable lines for people watching `eva run` or `eva demo`."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()

    def event(self, event: Event) -> None:
        with self._lock:
            print(format_event(event), file=self._stream, flush=True)

    def update(self, update: EventUpdate) -> None:
        with self._lock:
            print(format_update(update), file=self._stream, flush=True)

    def state(self, state: CameraState) -> None:
        """State changes are not printed; they are retained on MQTT."""
