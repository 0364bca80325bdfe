"""Publishing events and camera state over MQTT, and the embedded broker used without one."""

from agent.adapters.mqtt.broker import BrokerStartError, EmbeddedBroker
from agent.adapters.mqtt.publisher import MqttPublisher, PublisherStats, start_publisher

__all__ = [
    "BrokerStartError",
    "EmbeddedBroker",
    "MqttPublisher",
    "PublisherStats",
    "start_publisher",
]
