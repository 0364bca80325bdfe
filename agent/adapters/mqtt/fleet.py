"""What an agent knows of the other agents on its broker, from their retained messages.

Every agent publishes its installation retained on ``<base>/agents/<id>/installation`` and
its availability on ``<base>/agents/<id>/status``, and reads everyone's. From these it can
tell which agent owns a camera (so that exactly one answers a command), who answers for the
whole fleet (the hub while it is online, else the online agent with the smallest id), and
which names clash. A clash is reported once, in one line naming both agents; nothing is
guessed and no agent throws another off the broker.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from agent.adapters.mqtt import topics
from agent.config.schema import AppConfig, AskVocabularyEntry

log = logging.getLogger(__name__)

Role = Literal["agent", "hub"]
Publish = Callable[[str, bytes, bool], object]
Subscribe = Callable[[str, Callable[[str, bytes, bool], None]], None]


class InstalledZone(BaseModel):
    """A zone as the sentences name it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    title: str | None = None
    preposition: str = "in"


class InstalledCamera(BaseModel):
    """A camera an agent watches: its zones, the labels it can report, its dwell time."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    zones: list[InstalledZone] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    dwell_seconds: float = 60.0


class Installation(BaseModel):
    """One agent's retained self-description on ``<base>/agents/<id>/installation``."""

    # Newer agents may add fields; an older reader keeps what it knows.
    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: Literal[1] = Field(1, description="Version of this schema.")
    agent: str = Field(description="The agent id, as in its topics.")
    role: Role = Field("agent", description="agent, or hub (answers for the whole fleet).")
    instance: str = Field(description="Random per start: tells two processes with one id apart.")
    host: str = Field(description="The host name the agent runs on.")
    storage: str = Field(description="The agent's storage.path.")
    version: str = Field(description="The agent's software version.")
    started_at: AwareDatetime = Field(description="When this process started.")
    language: str = Field("en", description="Language of its sentences.")
    cameras: list[InstalledCamera] = Field(default_factory=list)
    vocabulary: dict[str, AskVocabularyEntry] = Field(
        default_factory=dict, description="Its ask.vocabulary: the user's own words."
    )

    def camera_names(self) -> set[str]:
        return {c.name for c in self.cameras}

    def who(self) -> str:
        return f"{self.agent} (host {self.host}, storage {self.storage})"


def installation_of(
    config: AppConfig,
    agent_id: str,
    host: str,
    version: str,
    role: Role = "agent",
    labels: Mapping[str, Sequence[str]] | None = None,
) -> Installation:
    """This process's installation, from its configuration; `labels` are what each camera
    can report (agent.ask.installation.detectable_labels), else its `labels` filter."""
    return Installation(
        agent=agent_id,
        role=role,
        instance=uuid.uuid4().hex,
        host=host,
        storage=config.storage.path,
        version=version,
        started_at=datetime.now(UTC),
        language=config.language,
        cameras=[
            InstalledCamera(
                name=c.name,
                zones=[
                    InstalledZone(name=z.name, title=z.title, preposition=z.preposition)
                    for z in c.zones
                ],
                labels=list((labels or {}).get(c.name, c.labels)),
                dwell_seconds=next((r.dwell_seconds for r in c.rules if r.kind == "dwell"), 60.0),
            )
            for c in (config.cameras if role == "agent" else [])
        ],
        vocabulary=dict(config.ask.vocabulary),
    )


@dataclass(frozen=True)
class Owner:
    """Who answers for a camera: this agent, another (online or not), or nobody."""

    kind: Literal["mine", "other", "offline", "none"]
    agent: str | None = None


class FleetView:
    """The other agents' installations and availability, kept current from the broker.

    Handlers run on paho's thread; queries come from the command thread: one lock guards all.
    """

    def __init__(self, base: str, me: Installation, give_up: Callable[[str], None]) -> None:
        self._base = base
        self._me = me
        self._give_up = give_up
        self._lock = threading.Lock()
        self._others: dict[str, Installation] = {}
        self._online: set[str] = set()
        self._hub_online = False
        self._claimed = False  # our own installation came back from the broker
        self._reported: set[tuple[str, ...]] = set()
        self._version = 0  # counts changes of the others' installations
        self._prefix = topics.agent(base, "")
        # Where an agent that yields a shared client id leaves word for the one that keeps
        # it, which may never have seen the yielder's installation itself.
        self._conflict_topic = f"{topics.agent(base, me.agent)}/conflict"
        self._publish: Publish | None = None

    @property
    def me(self) -> Installation:
        return self._me

    def attach(self, subscribe: Subscribe, publish: Publish) -> None:
        """Listen to every agent and the hub, and publish our installation retained (the
        publisher sends it again after every connect, after the subscriptions)."""
        subscribe(topics.installation(self._base, "+"), self.on_installation)
        subscribe(topics.status(self._base, "+"), self.on_status)
        subscribe(topics.hub_status(self._base), self.on_hub_status)
        subscribe(self._conflict_topic, self.on_conflict)
        self._publish = publish
        topic = topics.installation(self._base, self._me.agent)
        publish(topic, self._me.model_dump_json().encode(), True)

    # Handlers (paho's thread): quick, never raise.

    def on_installation(self, topic: str, payload: bytes, retained: bool) -> None:
        agent = self._agent_of(topic, "/installation")
        if agent is None:
            return
        if not payload:  # an agent's retained installation removed: it left the fleet
            with self._lock:
                self._others.pop(agent, None)
                self._version += 1
            return
        try:
            seen = Installation.model_validate_json(payload)
        except ValidationError as e:
            log.warning("fleet: unreadable installation of agent %s: %s", agent, e.error_count())
            return
        if agent == self._me.agent:
            self._own_claim(seen)
            return
        with self._lock:
            self._others[agent] = seen
            self._version += 1
        self._report_camera_clashes(seen)

    def on_conflict(self, topic: str, payload: bytes, retained: bool) -> None:
        if not payload:
            return
        try:
            other = Installation.model_validate_json(payload)
        except ValidationError:
            return
        if other.instance == self._me.instance:
            return  # our own word, from when this process yielded
        self._report_shared_id(other, keeps=True)
        if self._publish is not None:  # read: clear it, so that a restart does not repeat it
            self._publish(topic, b"", True)

    def on_status(self, topic: str, payload: bytes, retained: bool) -> None:
        agent = self._agent_of(topic, "/status")
        if agent is None or agent == self._me.agent:
            return
        with self._lock:
            if payload.strip() == b"online":
                self._online.add(agent)
            else:
                self._online.discard(agent)

    def on_hub_status(self, topic: str, payload: bytes, retained: bool) -> None:
        with self._lock:
            self._hub_online = payload.strip() == b"online"

    # Queries.

    def owner(self, camera: str) -> Owner:
        """Who answers commands for `camera`: the online agent with that camera and the
        smallest id (one of two that clash, until one is renamed)."""
        with self._lock:
            holders = [a for a, i in self._others.items() if camera in i.camera_names()]
            online = [a for a in holders if a in self._online]
        if camera in self._me.camera_names():
            online.append(self._me.agent)
        if online:
            first = min(online)
            return Owner("mine" if first == self._me.agent else "other", first)
        if holders:
            return Owner("offline", min(holders))
        return Owner("none")

    def answers_for_fleet(self) -> bool:
        """Whether this process answers what no single camera decides (questions, digests,
        unknown cameras, malformed requests): the hub while online, else the online agent
        with the smallest id. A lone agent always does."""
        if self._me.role == "hub":
            return True
        with self._lock:
            if self._hub_online:
                return False
            return min([*self._online, self._me.agent]) == self._me.agent

    @property
    def hub_online(self) -> bool:
        with self._lock:
            return self._hub_online

    def agents(self) -> dict[str, Installation]:
        """Every other agent's installation seen so far (online or not)."""
        with self._lock:
            return dict(self._others)

    @property
    def version(self) -> int:
        """Goes up whenever another agent's installation changes (to rebuild what uses them)."""
        with self._lock:
            return self._version

    def online_agents(self) -> set[str]:
        with self._lock:
            return set(self._online)

    def fleet_cameras(self) -> list[str]:
        """Every camera name in the fleet, sorted: this agent's and the others'."""
        with self._lock:
            names = {n for i in self._others.values() for n in i.camera_names()}
        return sorted(names | self._me.camera_names())

    # Clashes.

    def _own_claim(self, seen: Installation) -> None:
        """Our own topic: our echo, a previous run's message, or another process with our id."""
        if seen.instance == self._me.instance:
            with self._lock:
                self._claimed = True
            return
        with self._lock:
            # Before our echo it is the retained message of an earlier run of this agent.
            if not self._claimed:
                return
        keeps = _first_started(self._me, seen) is self._me
        if keeps:
            self._report_shared_id(seen, keeps=True)
            return
        if self._publish is not None:
            self._publish(self._conflict_topic, self._me.model_dump_json().encode(), True)
        self._give_up(self._shared_id_line(seen, keeps=False))

    def _report_shared_id(self, other: Installation, *, keeps: bool) -> None:
        if self._report_once(("client_id", other.instance)):
            log.error("%s", self._shared_id_line(other, keeps=keeps))

    def _shared_id_line(self, other: Installation, *, keeps: bool) -> str:
        return (
            f"mqtt.client_id {self._me.agent!r} is used by two agents: this one "
            f"(host {self._me.host}, storage {self._me.storage}) and another "
            f"(host {other.host}, storage {other.storage}); "
            + (
                "this one started first and keeps the id"
                if keeps
                else "the other started first, so this one stops using MQTT (events stay in "
                "the outbox)"
            )
            + ". Give each agent its own mqtt.client_id, or remove the setting so that each "
            "generates one."
        )

    def _report_camera_clashes(self, other: Installation) -> None:
        for camera in sorted(self._me.camera_names() & other.camera_names()):
            if not self._report_once(("camera", camera, other.agent)):
                continue
            first = min(self._me.agent, other.agent)
            log.error(
                "camera %r is configured on two agents: %s, this one, and %s; camera names "
                "must be unique in the fleet, so rename one. Until then commands for it go "
                "to %s.",
                camera,
                self._me.who(),
                other.who(),
                first,
            )

    def clashes(self) -> list[str]:
        """Camera names this agent shares with another agent: (camera, other agent) pairs."""
        with self._lock:
            mine = self._me.camera_names()
            return sorted(
                f"{camera}@{agent}"
                for agent, i in self._others.items()
                for camera in mine & i.camera_names()
            )

    def _report_once(self, key: tuple[str, ...]) -> bool:
        with self._lock:
            if key in self._reported:
                return False
            self._reported.add(key)
            return True

    def _agent_of(self, topic: str, suffix: str) -> str | None:
        if not topic.startswith(self._prefix) or not topic.endswith(suffix):
            return None
        agent = topic[len(self._prefix) : -len(suffix)]
        return agent if agent and "/" not in agent else None


def _first_started(a: Installation, b: Installation) -> Installation:
    """The one that keeps a shared id: earlier start, ties broken by instance."""
    return min((a, b), key=lambda i: (i.started_at, i.instance))


def camera_names(installations: Iterable[Installation]) -> set[str]:
    return {n for i in installations for n in i.camera_names()}
