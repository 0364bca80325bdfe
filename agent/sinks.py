"""Where events go besides MQTT: JSON lines for scripts, readable lines for people."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from agent.events import CameraState, Event
from agent.mqtt import MqttPublisher


class MqttSink:
    """Publishes events and state through the MQTT publisher."""

    def __init__(self, publisher: MqttPublisher) -> None:
        self._publisher = publisher

    def event(self, event: Event) -> None:
        self._publisher.publish_event(event)

    def state(self, state: CameraState) -> None:
        self._publisher.publish_state(state)


class JsonLinesSink:
    """One JSON event per line, for `eva replay --json` and shell pipelines."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()

    def event(self, event: Event) -> None:
        with self._lock:
            self._stream.write(event.model_dump_json() + "\n")
            self._stream.flush()

    def state(self, state: CameraState) -> None:
        """State changes are not printed; they are retained on MQTT."""


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

    def state(self, state: CameraState) -> None:
        """State changes are not printed; they are retained on MQTT."""
