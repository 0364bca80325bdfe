"""What the agent publishes about its domain: each payload's topic, bytes and retention.

The one place that knows which topic an event, an update, a digest or a state goes to; the
publisher only moves bytes (`MqttPublisher.publish(*message)`).
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel

from agent.adapters.mqtt import topics
from agent.core.events import CameraState, Event, EventUpdate


class Message(NamedTuple):
    """One message, in the order `MqttPublisher.publish` takes it."""

    topic: str
    payload: bytes
    retain: bool = False
    is_event: bool = False  # counted in the event figures (published, acknowledged, latency)


def event(base: str, event: Event) -> Message:
    """An event on ``<base>/<camera>/events`` (QoS 1, not retained)."""
    return Message(topics.events(base, event.camera), event.model_dump_json().encode(), False, True)


def event_update(base: str, update: EventUpdate) -> Message:
    """A worded update of an event on ``<base>/<camera>/events/update``."""
    return Message(topics.event_updates(base, update.camera), update.model_dump_json().encode())


def last_event(base: str, event: Event) -> Message:
    """The camera's latest event as last worded, retained on ``<base>/<camera>/last_event``."""
    return Message(topics.last_event(base, event.camera), event.model_dump_json().encode(), True)


def state(base: str, state: CameraState) -> Message:
    """A camera's state, retained on ``<base>/<camera>/state``."""
    return Message(topics.state(base, state.camera), state.model_dump_json().encode(), True)


def digest(base: str, digest: BaseModel) -> Message:
    """A digest on ``<base>/digest`` (QoS 1, not retained)."""
    return Message(topics.digest(base), digest.model_dump_json().encode())
