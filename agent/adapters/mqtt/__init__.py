"""Publishing events and camera state over MQTT, and the embedded broker used without one.

The client and broker classes are imported on first use (PEP 562), so a command that only
needs the topic names (`eva ask` through the ask action) does not load paho or amqtt.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.adapters.mqtt.broker import BrokerStartError, EmbeddedBroker
    from agent.adapters.mqtt.publisher import MqttPublisher, PublisherStats, start_publisher

__all__ = [
    "BrokerStartError",
    "EmbeddedBroker",
    "MqttPublisher",
    "PublisherStats",
    "start_publisher",
]

_HOMES = {
    "BrokerStartError": "broker",
    "EmbeddedBroker": "broker",
    "MqttPublisher": "publisher",
    "PublisherStats": "publisher",
    "start_publisher": "publisher",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
