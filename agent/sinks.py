"""Where events go besides MQTT: JSON lines for scripts, readable lines for people."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from agent.events import CameraState, Event, EventUpdate
from agent.mqtt import MqttPublisher


class MqttSink:
    """Publishes events and state through the MQTT publisher."""

    def __init__(self, publisher: MqttPublisher) -> None:
        self._publisher = publisher

    def event(self, event: Event) -> None:
        self._publisher.publish_event(event)

    def state(self, state: CameraState) -> None:
        self._publisher.publish_state(state)

    def update(self, update: EventUpdate) -> None:
        self._publisher.publish_update(update)


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
