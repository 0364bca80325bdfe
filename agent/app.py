"""The running agent: the MQTT side, one worker per camera, and an orderly stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from agent.config import AppConfig
from agent.mqtt import start_publisher
from agent.runner import CameraWorker, Sink
from agent.sinks import MqttSink

log = logging.getLogger(__name__)


def run_agent(
    config: AppConfig,
    stop: threading.Event,
    extra_sinks: Sequence[Sink] = (),
    publish: bool = True,
) -> list[CameraWorker]:
    """Run every camera until `stop` is set or every input has ended; returns the workers."""
    sinks: list[Sink] = list(extra_sinks)
    publisher, broker = start_publisher(config.mqtt) if publish else (None, None)
    if publisher is not None:
        sinks.insert(0, MqttSink(publisher))
    workers = [CameraWorker(c, config.language, sinks, stop) for c in config.cameras]
    try:
        for w in workers:
            w.start()
        while any(w.is_alive() for w in workers) and not stop.is_set():
            stop.wait(0.2)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=10)
        if publisher is not None:
            delivered = publisher.wait_until_delivered(timeout=5.0)
            if not delivered:
                log.warning(
                    "stopping with %d message(s) not yet acknowledged by the broker",
                    publisher.stats().pending,
                )
            publisher.close()
        if broker is not None:
            broker.stop()
    return workers
