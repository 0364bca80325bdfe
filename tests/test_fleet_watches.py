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
from support.fleet import RunningAgent, agent_config, demo_frames
from support.mqtt_helpers import Mosquitto, Received, Subscriber

from agent.adapters.history import DB_NAME, EventHistory
from agent.adapters.mqtt import topics
from agent.adapters.mqtt.identity import resolve_identity
from agent.ask.watch import WATCHES_FILE, WatchNotice
from agent.config.schema import AppConfig, MqttConfig, StorageConfig
from agent.core.events import Event
from agent.service.commands import CommandResult
from agent.service.hub import Hub

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_frames(tmp_path_factory.mktemp("fleet-watches"))


def _hub_config(broker: Mosquitto, base: str, storage: Path) -> AppConfig:
    return AppConfig(
        mqtt=MqttConfig(
            host=broker.host, port=broker.port, base_topic=base, reconnect_max_seconds=1.0
        ),
        storage=StorageConfig(path=str(storage)),
    )


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
    hub = Hub(_hub_config(mosquitto, base, tmp_path / "hub"), "test")
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
