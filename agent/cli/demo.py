"""`eva demo`: the bundled scene through the real detector, an embedded broker and back."""

from __future__ import annotations

import json
import logging
import sys
import threading
from typing import TextIO

from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion

from agent.adapters.mqtt import EmbeddedBroker
from agent.adapters.mqtt.sinks import format_event, format_update
from agent.config.schema import (
    AppConfig,
    CameraConfig,
    LlamaCppLlmConfig,
    MqttConfig,
    StorageConfig,
)
from agent.core.events import Event, EventUpdate
from agent.core.kinds import Language
from agent.core.settings import RuleConfig, ZoneConfig
from agent.service.app import run_agent
from pipelines.sources.demo_scene_source import DemoSourceConfig

log = logging.getLogger(__name__)


def demo_config(language: Language = "en", realtime: bool = True) -> AppConfig:
    """The configuration `eva demo` runs; config/demo.yaml is the same as a file."""
    return AppConfig(
        language=language,
        mqtt=MqttConfig(host=None, embedded_port=0),
        # SmolLM2 inside the agent; without llama-cpp-python the events keep template text.
        llm=LlamaCppLlmConfig(type="llamacpp", domain="home"),
        storage=StorageConfig(path="~/.local/share/edge-vision-agent/demo"),
        cameras=[
            CameraConfig(
                name="demo",
                source=DemoSourceConfig(realtime=realtime),
                zones=[
                    ZoneConfig(
                        name="porch",
                        preposition="on",
                        points=[(0.0, 0.0), (0.4, 0.0), (0.4, 1.0), (0.0, 1.0)],
                    ),
                    ZoneConfig(
                        name="driveway", points=[(0.4, 0.6), (1.0, 0.6), (1.0, 1.0), (0.4, 1.0)]
                    ),
                    ZoneConfig(
                        name="table",
                        preposition="on",
                        points=[(0.6, 0.0), (1.0, 0.0), (1.0, 0.6), (0.6, 0.6)],
                    ),
                ],
                rules=[
                    RuleConfig(name="arrivals", kind="arrival"),
                    RuleConfig(name="departures", kind="departure"),
                ],
            )
        ],
    )


def run_demo(config: AppConfig, stop: threading.Event, out: TextIO | None = None) -> int:
    """Play the demo; print each event as a subscriber receives it from the broker."""
    out = out or sys.stdout
    received: list[Event] = []
    with EmbeddedBroker(config.mqtt.embedded_port) as broker:
        mqtt = config.mqtt.model_copy(update={"host": broker.host, "port": broker.port})
        config = config.model_copy(update={"mqtt": mqtt})
        listener = _listen(broker.host, broker.port, f"{mqtt.base_topic}/+/events/#", received, out)
        try:
            print(
                f"Demo: playing the bundled scene; events arrive on mqtt://{broker.host}:"
                f"{broker.port} topic {mqtt.base_topic}/+/events (and .../events/update)",
                file=out,
                flush=True,
            )
            workers = run_agent(config, stop)
            created = sum(w.stats.events for w in workers)
            # The subscriber may still be reading the last PUBLISH packets.
            deadline = threading.Event()
            for _ in range(50):
                if len(received) >= created:
                    break
                deadline.wait(0.1)
        finally:
            listener.loop_stop()
            listener.disconnect()
    print(
        f"Demo finished: {created} events created, {len(received)} received from the broker.",
        file=out,
        flush=True,
    )
    failed = [w.error for w in workers if w.error]
    return 1 if failed or len(received) < created else 0


def _listen(host: str, port: int, topic: str, into: list[Event], out: TextIO) -> Client:
    client = Client(CallbackAPIVersion.VERSION2, client_id="eva-demo-listener")
    ready = threading.Event()

    def on_connect(c: Client, *_: object) -> None:
        c.subscribe(topic, qos=1)

    def on_subscribe(*_: object) -> None:
        ready.set()

    def on_message(_c: Client, _u: object, msg: MQTTMessage) -> None:
        try:
            if msg.topic.endswith("/update"):
                update = EventUpdate.model_validate(json.loads(msg.payload))
                print(format_update(update), file=out, flush=True)
                return
            event = Event.model_validate(json.loads(msg.payload))
        except ValueError as e:
            log.error("demo listener: invalid payload on %s: %s", msg.topic, e)
            return
        into.append(event)
        print(format_event(event), file=out, flush=True)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(host, port)
    client.loop_start()
    if not ready.wait(5):
        raise RuntimeError(f"the demo listener could not subscribe on {host}:{port}")
    return client
