"""`eva hub`: the fleet's one place to ask.

The hub follows every agent through the broker: it stores their events in the fleet history,
answers `<base>/cmd/ask` and `<base>/cmd/digest` once over all of them, hands standing
questions to the agent that owns the camera (and lists and cancels them over every agent),
answers commands for cameras no online agent has, and sends the fleet's digests. While its retained
`<base>/hub/status` says online (its last will says offline), the agents leave all of that
to it. Its session is persistent: events sent while it is away wait for it at the broker.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.adapters.history import EventHistory
from agent.adapters.mqtt import payloads, topics
from agent.adapters.mqtt.fleet import FleetView, Installation, installation_of
from agent.adapters.mqtt.identity import HUB_ID_FILE, with_identity
from agent.adapters.mqtt.publisher import MqttPublisher
from agent.ask.answer import Answer
from agent.ask.installation import Installation as AskInstallation
from agent.ask.service import Asker
from agent.ask.watch import WatchTaker
from agent.config.schema import AppConfig, AskVocabularyEntry
from agent.core.digest import Digest
from agent.core.events import Event
from agent.core.settings import ZoneConfig
from agent.service.app import pick_digest
from agent.service.ask_action import add_ask_action
from agent.service.commands import CommandHandler
from agent.service.fleet_history import FleetRecorder
from agent.service.fleet_watches import FleetWatches, add_fleet_watch_actions
from agent.service.scheduler import DigestScheduler
from eva_errors import UserError

log = logging.getLogger(__name__)

FLEET_DB = "fleet.db"


class HubSetupError(UserError, RuntimeError):
    """The hub cannot start as configured; the message says what to change."""


def fleet_installation(
    me: AppConfig, agents: dict[str, Installation], report: Callable[[str], None]
) -> AskInstallation:
    """What questions may name: every agent's cameras, zones, labels and words.

    A word or zone that two agents define differently is reported (through `report`, once
    per clash by the caller) and the first agent's meaning, by id, is kept.
    """
    cameras: dict[str, None] = {}
    zones: dict[str, ZoneConfig] = {}
    labels: dict[str, None] = {}
    dwell: dict[str, float] = {}
    vocabulary: dict[str, AskVocabularyEntry] = dict(me.ask.vocabulary)
    word_owner: dict[str, str] = dict.fromkeys(vocabulary, "the hub's configuration")
    zone_owner: dict[str, str] = {}
    for agent_id in sorted(agents):
        installed = agents[agent_id]
        for camera in installed.cameras:
            cameras[camera.name] = None
            labels.update(dict.fromkeys(camera.labels))
            dwell[camera.name] = camera.dwell_seconds
            for z in camera.zones:
                zone = ZoneConfig(name=z.name, title=z.title, preposition=z.preposition)
                known = zones.get(z.name)
                if known is None:
                    zones[z.name], zone_owner[z.name] = zone, agent_id
                elif known.display != zone.display:
                    report(
                        f"zone {z.name!r} is titled {known.display!r} on agent "
                        f"{zone_owner[z.name]} and {zone.display!r} on agent {agent_id}; "
                        f"questions use {known.display!r}: give them one title or two names"
                    )
        for word, meaning in installed.vocabulary.items():
            known_word = vocabulary.get(word)
            if known_word is None:
                vocabulary[word], word_owner[word] = meaning, agent_id
            elif known_word != meaning:
                report(
                    f"ask.vocabulary word {word!r} means {known_word.model_dump()} in "
                    f"{word_owner[word]} and {meaning.model_dump()} on agent {agent_id}; "
                    f"questions use the first: give it one meaning everywhere"
                )
    return AskInstallation(
        cameras=tuple(cameras),
        zones=zones,
        labels=tuple(labels),
        vocabulary=vocabulary,
        night=(me.ask.night_start, me.ask.night_end),
        dwell=dwell,
    )


class FleetAsker:
    """An Asker over the fleet history that follows the fleet: rebuilt when an agent's
    installation changes, so a camera added on one Pi can be asked about at once."""

    def __init__(
        self,
        config: AppConfig,
        history: EventHistory,
        fleet: FleetView,
        watches: WatchTaker | None = None,
    ) -> None:
        self._config = config
        self._watches = watches
        self._history = history
        self._fleet = fleet
        self._lock = threading.Lock()
        self._built_for = -1
        self._asker: Asker | None = None
        self._reported: set[str] = set()

    def ask(self, question: object) -> Answer:
        return self._current().ask(question)

    def _current(self) -> Asker:
        with self._lock:
            version = self._fleet.version
            if self._asker is None or version != self._built_for:
                installation = fleet_installation(self._config, self._fleet.agents(), self._report)
                # The deterministic reader: one parse per question, no model on the hub.
                self._asker = Asker(
                    self._history,
                    installation,
                    self._config.ask,
                    self._config.language,
                    watches=self._watches,  # handed to the agent that owns the camera
                )
                self._built_for = version
            return self._asker

    def _report(self, line: str) -> None:
        if line not in self._reported:
            self._reported.add(line)
            log.error("fleet: %s", line)


class Hub:
    """The hub's parts, started in order and stopped in reverse."""

    def __init__(
        self,
        config: AppConfig,
        version: str,
        on_stored: Callable[[list[Event], float], None] | None = None,
    ) -> None:
        if config.mqtt.host is None:
            raise HubSetupError(
                "the hub needs mqtt.host (and mqtt.port): the broker the agents publish to"
            )
        self.config, self.identity = with_identity(config, file=HUB_ID_FILE)
        base = config.mqtt.base_topic
        folder = Path(config.storage.path).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        self.history = EventHistory(folder / FLEET_DB, retention_days=config.storage.retention_days)
        self.publisher = MqttPublisher(
            self.config.mqtt,
            config.mqtt.host,
            config.mqtt.port,
            status_topic=topics.hub_status(base),
            clean_session=False,
        )
        me = installation_of(
            self.config, self.publisher.agent_id, socket.gethostname(), version, role="hub"
        )
        self.fleet = FleetView(base, me, self.publisher.give_up)
        self.recorder = FleetRecorder(self.history, on_stored)
        self.watches = FleetWatches(base, self.fleet, self._send)
        self.asker = FleetAsker(self.config, self.history, self.fleet, self.watches)
        self.digests = DigestScheduler(self.config, self.history, None, self._send_digest)
        self.commands = CommandHandler(
            base,
            {},
            self._send,
            self._run_digest,
            router=self.fleet,
            agent_id=self.publisher.agent_id,
        )
        add_ask_action(self.commands, self.asker, base, self._send)
        add_fleet_watch_actions(self.commands, self.watches)

    def start(self) -> None:
        base = self.config.mqtt.base_topic
        self.recorder.start()
        # Subscribed before connecting: the first CONNACK renews them all, with a persistent
        # session the broker also kept them, and what waited for us arrives first.
        self.publisher.subscribe(f"{base}/+/events", self.recorder.on_event)
        self.publisher.subscribe(f"{base}/+/events/update", self.recorder.on_update)
        self.fleet.attach(self.publisher.subscribe, self._send)
        self.watches.attach(self.publisher.subscribe)
        self.commands.start()
        self.publisher.subscribe(topics.command(base, "+"), self.commands.on_message)
        self.publisher.start()
        if self.config.digests:
            self.digests.start()
        log.info(
            "fleet hub %s on %s: history %s (%d events)",
            self.identity.agent_id,
            self.publisher.address,
            self.history.path,
            self.history.count(),
        )

    def stop(self) -> None:
        self.digests.stop()
        self.commands.stop()
        if not self.publisher.wait_until_delivered(timeout=5.0):
            log.warning("stopping with MQTT messages not acknowledged by the broker")
        self.publisher.close()
        self.recorder.stop()
        counts = self.recorder.counts()
        log.info(
            "fleet hub stopped: %d events received, %d new, %d duplicates, %d unreadable",
            counts.received,
            counts.stored,
            counts.duplicates,
            counts.unreadable,
        )
        self.history.close()

    def _send(self, topic: str, payload: bytes, retain: bool) -> object:
        return self.publisher.publish(topic, payload, retain=retain)

    def _send_digest(self, digest: Digest) -> object:
        return self.publisher.publish(*payloads.digest(self.config.mqtt.base_topic, digest))

    def _run_digest(self, name: str | None) -> dict[str, Any]:
        digest = self.digests.run(pick_digest(self.config.digests, name))
        return {"name": digest.name, "id": digest.id, "summary": digest.summary}


def run_hub(hub: Hub, stop: threading.Event) -> Hub:
    """Run the hub until `stop` is set; returns it (stopped) for its counts."""
    hub.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        hub.stop()
    return hub
