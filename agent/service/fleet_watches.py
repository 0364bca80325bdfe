"""Standing questions in a fleet: each watch runs on the agent that owns its camera.

Each agent keeps its own watches (agent.ask.watch.WatchBook, in its storage.path), lists them
retained on ``<base>/agents/<id>/watches``, and takes orders about them on topics of its
own, ``<base>/agents/<id>/cmd/watch|watches|unwatch``, answered on
``<base>/agents/<id>/cmd/result``. The fleet's answerer (the hub while it is online, else the
online agent with the smallest id) places a watch asked on ``<base>/cmd/ask`` with the agent
that owns the camera, answers ``<base>/cmd/watches`` and ``<base>/cmd/unwatch`` for every
agent, and keeps the fleet's list retained on ``<base>/watches`` (Home Assistant's Watches
sensor). A lone agent is a fleet of one: its watches stay with it, as before.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.adapters.mqtt import topics
from agent.adapters.mqtt.fleet import FleetView, InstalledCamera, Owner
from agent.ask.answer import refusal_text
from agent.ask.query import Query
from agent.ask.watch import Watch, WatchBook, WatchNotTaken, new_watch
from agent.service.commands import CommandError, CommandHandler, CommandResult, Request

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes, bool], object]
Subscribe = Callable[[str, Callable[[str, bytes, bool], None]], None]

#: How long the fleet's answerer waits for an agent to confirm a watch or a cancel.
REPLY_SECONDS = 10.0


class WatchRequest(Request):
    """`watch` on an agent's own topic: keep this standing question, read by the answerer."""

    watch: Watch = Field(description="The watch as the fleet's answerer read it.")


class UnwatchRequest(Request):
    """`unwatch`: cancel one standing question by its id, or all of them without one."""

    id: str | None = Field(None, max_length=40, description="The watch's id; empty = all.")


class _AgentList(BaseModel):
    """An agent's retained list, as `own_watch_lister` publishes it."""

    model_config = ConfigDict(extra="ignore")

    watches: list[Watch]


def own_watch_lister(base: str, agent_id: str, publish: Publish) -> Callable[[list[Watch]], object]:
    """Keeps an agent's own standing questions retained on <base>/agents/<id>/watches."""

    def listed(watches: list[Watch]) -> object:
        data = {"count": len(watches), "watches": [w.model_dump(mode="json") for w in watches]}
        return publish(topics.agent_watches(base, agent_id), json.dumps(data).encode(), True)

    return listed


def add_own_watch_actions(
    commands: CommandHandler, book: WatchBook, cameras: Collection[str]
) -> None:
    """An agent's own topics: `watch` (keep a watch the fleet's answerer read), `watches`
    and `unwatch` (its own only; an unknown id cancels nothing)."""

    def take(request: WatchRequest) -> dict[str, Any]:
        watch = request.watch
        foreign = sorted(set(watch.cameras) - set(cameras))
        if foreign:
            raise CommandError(f"camera {', '.join(foreign)} is not on this agent")
        if watch.expires_at <= datetime.now().astimezone():
            raise CommandError("the standing question has already expired")
        kept = book.adopt(watch)
        if kept is None:
            raise CommandError(refusal_text("too_many_watches", watch.language, limit=book.limit))
        return {"watch": kept.model_dump(mode="json")}

    def listed(_request: Request) -> dict[str, Any]:
        return {"watches": [w.model_dump(mode="json") for w in book.active()]}

    def cancel(request: UnwatchRequest) -> dict[str, Any]:
        gone = book.cancel(request.id)
        return {"cancelled": [w.id for w in gone], "left": len(book.active())}

    commands.add_action("watch", WatchRequest, take)
    commands.add_action("watches", Request, listed)
    commands.add_action("unwatch", UnwatchRequest, cancel)


@dataclass
class _Pending:
    """A request to one agent, waiting for its result."""

    done: threading.Event = field(default_factory=threading.Event)
    result: CommandResult | None = None


class FleetWatches:
    """The fleet's standing questions: placed with the camera's agent, listed and cancelled
    over every agent. `book` is this agent's own (None on the hub, which has no cameras).

    Handlers run on paho's thread; place, listed and cancel on the command threads, where
    they may wait up to `reply_seconds` for an agent: one lock guards the shared state.
    """

    def __init__(
        self,
        base: str,
        fleet: FleetView,
        send: Publish,
        book: WatchBook | None = None,
        reply_seconds: float = REPLY_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        self._base = base
        self._fleet = fleet
        self._send = send
        self._book = book
        self._reply_seconds = reply_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._lists: dict[str, list[Watch]] = {}
        self._pending: dict[str, _Pending] = {}
        self._prefix = topics.agent(base, "")

    def attach(self, subscribe: Subscribe) -> None:
        """Follow every agent's list and the results of what we ask them."""
        subscribe(topics.agent_watches(self._base, "+"), self.on_list)
        subscribe(topics.agent_command(self._base, "+", "result"), self.on_result)

    # Handlers (paho's thread): quick, never raise.

    def on_list(self, topic: str, payload: bytes, retained: bool) -> None:
        agent = self._agent_of(topic, "/watches")
        if agent is None:
            return
        watches: list[Watch] = []
        if payload:  # empty: the retained list was removed
            try:
                watches = _AgentList.model_validate_json(payload).watches
            except ValidationError as e:
                log.warning("fleet: unreadable watches of agent %s: %s", agent, e.error_count())
                return
        with self._lock:
            self._lists[agent] = watches
        self.publish_fleet_list()

    def on_result(self, topic: str, payload: bytes, retained: bool) -> None:
        try:
            result = CommandResult.model_validate_json(payload)
        except ValidationError:
            return
        with self._lock:
            pending = self._pending.get(result.correlation_id or "")
        if pending is not None:
            pending.result = result
            pending.done.set()

    def publish_fleet_list(self) -> None:
        """The fleet's list, retained on <base>/watches, by the fleet's answerer only."""
        if not self._fleet.answers_for_fleet():
            return
        listed = self.listed()
        data = json.dumps({"count": len(listed), "watches": listed}).encode()
        try:
            self._send(topics.watches(self._base), data, True)
        except Exception:
            log.exception("the fleet's list of watches was not published")

    # The fleet's answerer.

    def place(
        self, query: Query, question: str, understood: str, expires_at: datetime
    ) -> tuple[Watch, str | None]:
        """WatchTaker: set the watch on the one agent whose cameras could meet it."""
        candidates = self._candidates(query)
        if not candidates:
            raise WatchNotTaken("watch_no_camera")
        cameras = ", ".join(sorted({camera for _, camera in candidates}))
        if len({owner.agent for owner, _ in candidates}) > 1:
            raise WatchNotTaken("watch_several_agents", cameras=cameras)
        owner = candidates[0][0]
        agent = owner.agent or ""
        if owner.kind == "offline":
            raise WatchNotTaken("watch_owner_offline", cameras=cameras, agent=agent)
        watch = new_watch(query, question, understood, self._clock(), expires_at)
        if owner.kind == "mine" and self._book is not None:
            kept = self._book.adopt(watch)
            if kept is None:
                raise WatchNotTaken("too_many_watches", limit=self._book.limit)
            return kept, agent
        result = self._request(agent, "watch", {"watch": watch.model_dump(mode="json")})
        if result is None:
            raise WatchNotTaken("watch_no_reply", agent=agent, seconds=f"{self._reply_seconds:g}")
        if not result.ok or result.result is None:
            raise WatchNotTaken("watch_not_taken", agent=agent, why=result.error or "no reason")
        log.info("watch %s handed to agent %s: %s", watch.id, agent, understood)
        return Watch.model_validate(result.result["watch"]), agent

    def listed(self) -> list[dict[str, Any]]:
        """Every agent's waiting watches, each with its `agent`, oldest first."""
        now = self._clock()
        with self._lock:
            lists = dict(self._lists)
        if self._book is not None:  # fresher than its echo from the broker
            lists[self._fleet.me.agent] = self._book.active()
        items = [(w, agent) for agent, ws in lists.items() for w in ws if w.expires_at > now]
        return [
            {**w.model_dump(mode="json"), "agent": agent}
            for w, agent in sorted(items, key=lambda item: item[0].id)
        ]

    def cancel(self, watch_id: str | None) -> dict[str, Any]:
        """Cancel one watch wherever it waits, or all of them (None)."""
        held: dict[str, list[str]] = {}
        for item in self.listed():
            if watch_id is None or item["id"] == watch_id:
                held.setdefault(item["agent"], []).append(item["id"])
        if watch_id is not None and not held:
            raise CommandError(f"no watch {watch_id!r}; send `watches` to list them")
        me = self._fleet.me.agent
        online = self._fleet.online_agents()
        cancelled: list[str] = []
        problems: list[str] = []
        for agent in sorted(held):
            if agent == me and self._book is not None:
                cancelled += [w.id for w in self._book.cancel(watch_id)]
                continue
            if agent not in online:
                problems.append(f"agent {agent} is offline, its {len(held[agent])} stay")
                continue
            result = self._request(agent, "unwatch", {"id": watch_id} if watch_id else {})
            if result is None:
                problems.append(f"agent {agent} did not answer within {self._reply_seconds:g} s")
            elif not result.ok or result.result is None:
                problems.append(f"agent {agent}: {result.error}")
            else:
                cancelled += [str(i) for i in result.result.get("cancelled", [])]
        if problems:
            raise CommandError(f"cancelled {len(cancelled)}; " + "; ".join(problems))
        left = [item for item in self.listed() if item["id"] not in cancelled]
        return {"cancelled": cancelled, "left": len(left)}

    def _candidates(self, query: Query) -> list[tuple[Owner, str]]:
        """The cameras that could meet the query, with the agent that answers for each."""
        cameras: dict[str, InstalledCamera] = {}
        for installed in [self._fleet.me, *self._fleet.agents().values()]:
            for camera in installed.cameras:
                cameras.setdefault(camera.name, camera)
        found = []
        for camera in cameras.values():
            if query.cameras and camera.name not in query.cameras:
                continue
            if query.zones and not {z.name for z in camera.zones} & set(query.zones):
                continue
            if query.labels and camera.labels and not set(camera.labels) & set(query.labels):
                continue
            owner = self._fleet.owner(camera.name)
            if owner.kind != "none":
                found.append((owner, camera.name))
        return found

    def _request(self, agent: str, action: str, body: dict[str, Any]) -> CommandResult | None:
        """Send a command to one agent's own topic; its result, or None after the wait."""
        correlation_id = uuid.uuid4().hex
        pending = _Pending()
        with self._lock:
            self._pending[correlation_id] = pending
        try:
            payload = json.dumps({**body, "correlation_id": correlation_id}).encode()
            self._send(topics.agent_command(self._base, agent, action), payload, False)
            pending.done.wait(self._reply_seconds)
        finally:
            with self._lock:
                self._pending.pop(correlation_id, None)
        return pending.result

    def _agent_of(self, topic: str, suffix: str) -> str | None:
        if not topic.startswith(self._prefix) or not topic.endswith(suffix):
            return None
        agent = topic[len(self._prefix) : -len(suffix)]
        return agent if agent and "/" not in agent else None


def add_fleet_watch_actions(commands: CommandHandler, watches: FleetWatches | None) -> None:
    """Accept `<base>/cmd/watches` and `<base>/cmd/unwatch` for the whole fleet (answered by
    the fleet's answerer). They may wait for other agents, so they run beside questions,
    never in front of pause, resume or snapshot."""

    def needed() -> FleetWatches:
        if watches is None:
            raise CommandError("standing questions need the event history, which is not available")
        return watches

    def listed(_request: Request) -> dict[str, Any]:
        return {"watches": needed().listed()}

    def cancel(request: UnwatchRequest) -> dict[str, Any]:
        return needed().cancel(request.id)

    commands.add_action("watches", Request, listed, lane="questions")
    commands.add_action("unwatch", UnwatchRequest, cancel, lane="questions")
