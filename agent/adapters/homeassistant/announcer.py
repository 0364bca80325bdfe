"""Publishes the discovery configs, re-announces when Home Assistant comes online, and
removes the entities this agent published earlier but no longer has."""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable

from agent.adapters.homeassistant.discovery import (
    Payload,
    discovery_configs,
    node_id,
    removal_topics,
)
from agent.adapters.mqtt.publisher import MqttPublisher
from agent.config.schema import AppConfig

log = logging.getLogger(__name__)


class HomeAssistantAnnouncer:
    """Keeps Home Assistant's view of the agent in step with the configuration.

    Handlers run on paho's network thread, so anything that publishes much is deferred to a
    timer: `birth_delay_seconds` (a random delay up to it, so that many devices do not answer
    Home Assistant's birth at once) and `settle_seconds` (how long the retained configs may
    keep arriving after the first, before the stale ones are removed, once per run).
    """

    def __init__(
        self,
        config: AppConfig,
        publisher: MqttPublisher,
        version: str,
        *,
        birth_delay_seconds: float = 1.0,
        settle_seconds: float = 2.0,
    ) -> None:
        self._publisher = publisher
        self._prefix = config.home_assistant.discovery_prefix
        self._node = node_id(config)
        self._cameras = len(config.cameras)
        self._configs = discovery_configs(config, version)
        self._birth_delay = birth_delay_seconds
        self._settle = settle_seconds
        self._lock = threading.Lock()  # guards everything below
        self._retained: dict[str, bytes] = {}
        self._timers: set[threading.Timer] = set()
        self._sweep_armed = False
        self._stopped = False

    @property
    def configs(self) -> dict[str, Payload]:
        """The discovery payloads this announcer publishes, by topic."""
        return dict(self._configs)

    def start(self) -> None:
        """Publish every config retained, then listen for Home Assistant and old configs."""
        for topic, payload in self._configs.items():
            self._publisher.publish(topic, json.dumps(payload), retain=True)
        log.info(
            "Home Assistant discovery: %d entities for %d cameras",
            len(self._configs),
            self._cameras,
        )
        self._publisher.subscribe(f"{self._prefix}/status", self._on_status)
        self._publisher.subscribe(f"{self._prefix}/+/+/config", self._on_config)

    def stop(self) -> None:
        """Cancel pending re-announcements and the sweep; idempotent."""
        with self._lock:
            self._stopped = True
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()

    def _on_status(self, topic: str, payload: bytes, retained: bool) -> None:
        # A retained "online" only comes right after we subscribe: Home Assistant was already
        # up and has just been sent everything (start or reconnect), so only a live birth
        # (a restart of Home Assistant) needs a re-announcement.
        if payload.strip() != b"online" or retained:
            return
        delay = random.uniform(0.0, self._birth_delay)
        log.debug("Home Assistant is online; re-announcing in %.1f s", delay)
        self._later(delay, self._reannounce)

    def _reannounce(self) -> None:
        count = self._publisher.republish_retained()
        log.debug("Home Assistant discovery: re-sent %d retained messages", count)

    def _on_config(self, topic: str, payload: bytes, retained: bool) -> None:
        if not retained:
            return  # a live config (ours echoed, or another integration's), not an old one
        # The broker sends every retained config at once when the subscription starts; none
        # at all means there is nothing to remove. So the first one starts the settle time.
        with self._lock:
            if payload:
                self._retained[topic] = payload
            else:
                self._retained.pop(topic, None)
            arm, self._sweep_armed = not self._sweep_armed, True
        if arm:
            self._later(self._settle, self._sweep)

    def _sweep(self) -> None:
        with self._lock:
            retained = dict(self._retained)
        stale = removal_topics(retained, self._configs, self._node)
        for topic in stale:
            self._publisher.publish(topic, b"", retain=True)
        if stale:
            log.info("Home Assistant discovery: removed %d stale entities", len(stale))
            log.debug("removed discovery topics: %s", ", ".join(stale))
        else:
            log.debug("Home Assistant discovery: no stale entities")

    def _later(self, delay: float, action: Callable[[], None]) -> None:
        def run() -> None:
            with self._lock:
                self._timers.discard(timer)
                if self._stopped:
                    return
            try:
                action()
            except Exception:  # a timer thread has no one else to report to
                log.exception("Home Assistant discovery failed")

        timer = threading.Timer(delay, run)
        timer.daemon = True
        with self._lock:
            if self._stopped:
                return
            self._timers.add(timer)
        timer.start()
