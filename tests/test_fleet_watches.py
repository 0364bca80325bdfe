"""Standing questions in a fleet, on a real Mosquitto with a real hub and two real agents:
a watch asked at the hub runs on the agent that owns the camera, fires there once, survives
that agent's restart, and is listed and cancelled through the hub."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from support.fleet import RunningAgent, agent_config, demo_frames, hub_config
from support.mqtt_helpers import Mosquitto, Received, Subscriber

from agent.adapters.history import DB_NAME, EventHistory
from agent.adapters.mqtt import topics
from agent.adapters.mqtt.fleet import FleetView, Installation, installation_of
from agent.adapters.mqtt.identity import resolve_identity
from agent.ask.service import Asker
from agent.ask.watch import WATCHES_FILE, WatchBook, WatchNotice
from agent.config.schema import AppConfig, AskConfig, CameraConfig
from agent.core.events import Event
from agent.service.commands import CommandHandler, CommandResult
from agent.service.fleet_watches import FleetWatches, add_own_watch_actions
from agent.service.hub import Hub, fleet_installation

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_frames(tmp_path_factory.mktemp("fleet-watches"))


def _results(msgs: list[Received], topic: str, cid: str) -> list[CommandResult]:
    found = [CommandResult.model_validate_json(m.payload) for m in msgs if m.topic == topic]
    return [r for r in found if r.correlation_id == cid]


def _one_answer(sub: Subscriber, base: str, action: str, body: dict[str, Any]) -> CommandResult:
    """Send a fleet command; exactly one answer comes (from whoever answers it)."""
    cid = uuid.uuid4().hex[:8]
    sub.publish(topics.command(base, action), json.dumps({**body, "correlation_id": cid}).encode())
    where = topics.command_result(base)
    sub.wait_for(lambda ms: bool(_results(ms, where, cid)), timeout=30)
    time.sleep(1.0)  # room for a second answer, which must not come
    (answer,) = _results(sub.messages, where, cid)
    return answer


def _retained_list(sub: Subscriber, topic: str, count: int) -> dict[str, Any]:
    """The latest list on `topic` once it holds `count` watches."""

    def latest(ms: list[Received]) -> dict[str, Any] | None:
        found = [json.loads(m.payload) for m in ms if m.topic == topic]
        return found[-1] if found else None

    sub.wait_for(lambda ms: (latest(ms) or {}).get("count") == count, timeout=20)
    shown = latest(sub.messages)
    assert shown is not None
    return shown


def _events(msgs: list[Received], base: str, camera: str) -> set[str]:
    return {
        Event.model_validate_json(m.payload).id
        for m in msgs
        if m.topic == topics.events(base, camera)
    }


def test_a_watch_asked_at_the_hub_runs_once_on_the_cameras_agent(
    mosquitto: Mosquitto, tmp_path: Path, frames: Path
) -> None:
    base = f"fw-{uuid.uuid4().hex[:6]}"
    barn_config, gate_config = (
        agent_config(mosquitto.host, mosquitto.port, base, tmp_path / n, [n], frames=frames)
        for n in ("barn", "gate")
    )
    barn_id = resolve_identity(barn_config.mqtt, barn_config.storage).agent_id
    gate_id = resolve_identity(gate_config.mqtt, gate_config.storage).agent_id
    hub = Hub(hub_config(mosquitto.host, mosquitto.port, base, tmp_path / "hub"), "test")
    hub.start()
    hub_id = hub.identity.agent_id
    barn = RunningAgent(barn_config)
    try:
        with Subscriber(mosquitto.host, mosquitto.port, f"{base}/#") as sub:
            sub.wait_for_payload(topics.hub_status(base), b"online", timeout=10)
            with RunningAgent(gate_config), barn:
                for camera in ("barn", "gate"):  # sent once the agent takes commands
                    sub.wait_for_payload(topics.paused(base, camera), b"OFF", timeout=30)
                deadline = time.monotonic() + 20
                while set(hub.fleet.agents()) != {barn_id, gate_id}:
                    assert time.monotonic() < deadline, "the hub never saw both installations"
                    time.sleep(0.05)
                # The barn camera waits, so the watch is still waiting when its agent restarts.
                paused = _one_answer(sub, base, "pause", {"camera": "barn"})
                assert paused.ok and paused.agent == barn_id

                # No camera named, and cameras of both agents could see it: ask which.
                both = _one_answer(sub, base, "ask", {"question": "tell me when anyone comes"})
                assert both.agent == hub_id and both.result is not None
                assert not both.result["answered"]
                assert "(barn, gate)" in both.result["text"], both.result["text"]

                # The hub reads it, the barn's agent keeps it and confirms; the hub answers.
                asked = _one_answer(
                    sub, base, "ask", {"question": "tell me when someone comes to the barn"}
                )
                assert asked.ok and asked.agent == hub_id and asked.result is not None
                assert asked.result["answered"], asked.result["text"]
                assert asked.result["text"].startswith(
                    "I will tell you when I see people coming on camera barn, until "
                ), asked.result["text"]
                assert asked.result["facts"]["agent"] == barn_id
                watch_id = asked.result["facts"]["watch"]["id"]
                own = _retained_list(sub, topics.agent_watches(base, barn_id), 1)
                assert [w["id"] for w in own["watches"]] == [watch_id]
                fleet = _retained_list(sub, topics.watches(base), 1)
                assert [(w["id"], w["agent"]) for w in fleet["watches"]] == [(watch_id, barn_id)]
                assert (tmp_path / "hub" / WATCHES_FILE).exists() is False  # not the hub's

                # A second one on the gate's agent, listed and cancelled through the hub.
                horse = _one_answer(
                    sub, base, "ask", {"question": "tell me when a horse comes to the gate"}
                )
                assert horse.result is not None and horse.result["facts"]["agent"] == gate_id
                horse_id = horse.result["facts"]["watch"]["id"]
                _retained_list(sub, topics.watches(base), 2)
                listed = _one_answer(sub, base, "watches", {})
                assert listed.agent == hub_id and listed.result is not None
                assert {(w["id"], w["agent"]) for w in listed.result["watches"]} == {
                    (watch_id, barn_id),
                    (horse_id, gate_id),
                }
                cancelled = _one_answer(sub, base, "unwatch", {"id": horse_id})
                assert cancelled.ok and cancelled.agent == hub_id, cancelled.error
                assert cancelled.result == {"cancelled": [horse_id], "left": 1}
                _retained_list(sub, topics.agent_watches(base, gate_id), 0)
                _retained_list(sub, topics.watches(base), 1)
                unknown = _one_answer(sub, base, "unwatch", {"id": horse_id})
                assert not unknown.ok and unknown.error is not None and "no watch" in unknown.error

                # The barn's agent restarts: the watch is kept in its storage.path.
                barn.stop()
                kept = json.loads((tmp_path / "barn" / WATCHES_FILE).read_text())
                assert [w["id"] for w in kept] == [watch_id]
                assert not sub.on(topics.watch(base))
                barn = RunningAgent(barn_config)
                with barn:
                    sub.wait_for(
                        lambda ms: sum(m.topic == topics.paused(base, "barn") for m in ms) >= 3,
                        timeout=30,
                    )
                    _retained_list(sub, topics.agent_watches(base, barn_id), 1)
                    resumed = _one_answer(sub, base, "resume", {"camera": "barn"})
                    assert resumed.ok and resumed.agent == barn_id
                    notice = sub.wait_for(
                        lambda ms: any(m.topic == topics.watch(base) for m in ms), timeout=120
                    )
                    # Two more people come to the barn after it fired: no second notice.
                    seen = len(_events(notice, base, "barn"))
                    sub.wait_for(lambda ms: len(_events(ms, base, "barn")) >= seen + 2, timeout=120)
                    _retained_list(sub, topics.agent_watches(base, barn_id), 0)
                    _retained_list(sub, topics.watches(base), 0)
        msgs = sub.messages
        assert hub.recorder.wait_idle(10)
        notices = [
            (WatchNotice.model_validate_json(m.payload), m.retain)
            for m in msgs
            if m.topic == topics.watch(base)
        ]
        assert len(notices) == 1, notices  # fired once, on the barn's agent, reached us once
        ((fired, retained),) = notices
        assert not retained and fired.watch.id == watch_id and fired.camera == "barn"
        assert fired.text.startswith("You asked: «tell me when someone comes to the barn». ")
        barn_events = _events(msgs, base, "barn")
        assert fired.event_id in barn_events
        # Not a sighting: the hub's history holds the events sent, once each, and no more...
        published = barn_events | _events(msgs, base, "gate")
        stored = hub.history.query("SELECT id FROM events", ())
        assert sorted(i for (i,) in stored) == sorted(published)
        # ... and so does the barn's own (an event made as it stopped may wait in its outbox).
        history = EventHistory(tmp_path / "barn" / DB_NAME)
        try:
            own_ids = {i for (i,) in history.query("SELECT id FROM events", ())}
        finally:
            history.close()
        assert barn_events <= own_ids and len(own_ids - barn_events) <= 1
    finally:
        hub.stop()


# Placing a watch, without a broker: the fleet as the answerer sees it, and agents that answer
# through a real command handler.


def _installed(agent: str, camera: str, labels: list[str]) -> Installation:
    config = AppConfig(cameras=[CameraConfig(name=camera)])
    # `labels`: what the camera's detector can report.
    return installation_of(config, agent, f"pi-{agent}", "1", labels={camera: labels})


class _Fleet:
    """The hub's view of two agents, barn's and gate's; each agent's own command topics are
    served by a real CommandHandler over its own WatchBook."""

    def __init__(self, tmp_path: Path, limit: int = 5, online: tuple[str, ...] = ("a", "b")):
        hub = installation_of(AppConfig(), "hub", "pi-hub", "1", role="hub")
        self.view = FleetView("eva", hub, lambda _: None)
        self.books: dict[str, WatchBook] = {}
        self.handlers: dict[str, CommandHandler] = {}
        self.silent: set[str] = set()
        for agent, camera, labels in (
            ("a", "barn", ["person", "cow"]),
            ("b", "gate", ["person", "dog"]),
        ):
            installed = _installed(agent, camera, labels)
            self.view.on_installation(
                topics.installation("eva", agent), installed.model_dump_json().encode(), True
            )
            if agent in online:
                self.view.on_status(topics.status("eva", agent), b"online", True)
            book = WatchBook(tmp_path / agent / WATCHES_FILE, limit)
            handler = CommandHandler(
                topics.agent("eva", agent), {}, self._deliver, agent_id=agent, builtins=False
            )
            add_own_watch_actions(handler, book, [camera])
            self.books[agent], self.handlers[agent] = book, handler
        self.watches = FleetWatches("eva", self.view, self._deliver, reply_seconds=0.5)
        self.history = EventHistory(tmp_path / "fleet.db")
        installation = fleet_installation(AppConfig(), self.view.agents(), lambda _: None)
        self.asker = Asker(self.history, installation, AskConfig(), watches=self.watches)

    def _deliver(self, topic: str, payload: bytes, retain: bool) -> None:
        """The broker's part: an agent's command to its handler, its result back."""
        for agent, handler in self.handlers.items():
            prefix = topics.agent_command("eva", agent, "")
            if topic.startswith(prefix) and agent not in self.silent:
                result = handler.handle(topic.removeprefix(prefix), payload)
                reply = topics.agent_command("eva", agent, "result")
                self.watches.on_result(reply, result.model_dump_json().encode(), False)


def test_a_watch_goes_to_the_one_agent_whose_cameras_could_meet_it(tmp_path: Path) -> None:
    fleet = _Fleet(tmp_path)
    answer = fleet.asker.ask("tell me when someone comes to the gate")
    assert answer.answered and answer.facts is not None and answer.facts["agent"] == "b"
    assert [w.id for w in fleet.books["b"].active()] == [answer.facts["watch"]["id"]]
    assert fleet.books["a"].active() == []
    # Kept in the agent's own storage, so it survives that agent's restart.
    again = WatchBook(tmp_path / "b" / WATCHES_FILE, 5)
    assert [w.understood for w in again.active()] == ["people coming on camera gate"]


def test_a_watch_the_fleet_cannot_place_is_refused_saying_why(tmp_path: Path) -> None:
    fleet = _Fleet(tmp_path, limit=1, online=("b",))
    several = fleet.asker.ask("tell me when anyone comes")
    assert not several.answered
    assert several.text.startswith("Cameras of several agents could see that (barn, gate)")
    offline = fleet.asker.ask("tell me when someone comes to the barn")
    assert not offline.answered
    assert offline.text == (
        "Camera barn belongs to agent a, which is offline; the standing question is not set."
    )
    assert fleet.asker.ask("tell me when someone comes to the gate").answered
    full = fleet.asker.ask("tell me when a dog comes to the gate")
    assert full.text == (
        "Agent b did not take the standing question: 1 standing questions are already "
        "waiting; cancel one first."
    )
    fleet.silent.add("b")
    fleet.books["b"].cancel(None)
    quiet = fleet.asker.ask("скажи, коли собака прийде до gate")
    assert quiet.text == "Агент b не відповів за 0.5 с; запитання на потім не підтверджено."
    assert not quiet.answered and fleet.books["b"].active() == []
    # The gate's camera cannot report cows: no camera of the fleet could meet that watch.
    cows = fleet.asker.ask("tell me when a cow comes to the gate")
    assert cows.text == "No camera in the fleet could see that, so there is nothing to watch."
