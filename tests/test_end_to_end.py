"""The whole spine on real inputs: demo photos -> real detector -> core -> real Mosquitto."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.mqtt_helpers import Mosquitto, Subscriber

from agent.adapters.history import EventHistory
from agent.cli import main
from agent.cli.demo import demo_config
from agent.config.schema import StorageConfig
from agent.core.events import CameraState, Event, EventUpdate
from agent.llm.verify import event_grounding, verify
from agent.service.app import run_agent

pytestmark = pytest.mark.broker

# What the scene shows (pipelines/demo_scene.py SCRIPT), in the order it happens.
EXPECTED = [
    ("arrival", "person", ["porch"]),
    ("arrival", "cup", ["table"]),
    ("departure", "person", ["porch"]),
    ("arrival", "motorcycle", ["driveway"]),
    ("departure", "cup", ["table"]),
    ("departure", "motorcycle", ["driveway"]),
]


def test_demo_scene_events_arrive_on_mosquitto(
    mosquitto_session: Mosquitto, mqtt_base: str, tmp_path: Path
) -> None:
    config = demo_config(realtime=False)
    assert config.llm.type == "llamacpp"  # the real SmolLM2 words the demo's events
    mqtt = config.mqtt.model_copy(
        update={
            "host": "127.0.0.1",
            "port": mosquitto_session.port,
            "base_topic": mqtt_base,
            "client_id": f"eva-{mqtt_base}",
        }
    )
    storage = StorageConfig(path=str(tmp_path))
    config = config.model_copy(update={"mqtt": mqtt, "storage": storage})
    agent_status = f"{mqtt_base}/agents/eva-{mqtt_base}/status"

    with Subscriber("127.0.0.1", mosquitto_session.port, f"{mqtt_base}/#") as sub:
        workers = run_agent(config, threading.Event())
        assert [w.error for w in workers] == [None]
        msgs = sub.wait_for(
            lambda ms: (
                sum(m.topic.endswith("/events") for m in ms) >= len(EXPECTED)
                and any(m.topic == agent_status and m.payload == b"offline" for m in ms)
            ),
            timeout=10,
        )

    event_msgs = [m for m in msgs if m.topic == f"{mqtt_base}/demo/events"]
    assert all(m.qos == 1 and not m.retain for m in event_msgs)
    events = [Event.model_validate_json(m.payload) for m in event_msgs]
    got = [(e.kind, e.objects[0].label, e.objects[0].zones) for e in events]
    assert got == EXPECTED
    assert all(len(e.objects) == 1 and e.objects[0].count == 1 for e in events)
    assert len({e.id for e in events}) == len(events)
    assert events[0].summary.endswith("a person appeared on the porch.")
    assert events[0].summary_source == "template"

    states = [
        CameraState.model_validate_json(m.payload)
        for m in msgs
        if m.topic == f"{mqtt_base}/demo/state"
    ]
    assert {"person": 1, "cup": 1} in [s.counts for s in states]
    assert {"motorcycle": 1} in [s.counts for s in states]
    assert states[-1].counts == {}
    assert set(states[-1].zones) == {"porch", "driveway", "table"}

    status = [m.payload for m in msgs if m.topic == agent_status]
    assert status[0] == b"online" and status[-1] == b"offline"
    # The camera's own availability ends offline too: its input ended.
    camera_status = [m for m in msgs if m.topic == f"{mqtt_base}/demo/status"]
    assert camera_status
    assert camera_status[-1].payload == b"offline"

    # The model's wording follows on its own topic, for events that were sent, and only
    # when the verifier found it true to the event's facts.
    updates = [
        EventUpdate.model_validate_json(m.payload)
        for m in msgs
        if m.topic == f"{mqtt_base}/demo/events/update"
    ]
    by_id = {e.id: e for e in events}
    zones = {z.name: z for z in config.cameras[0].zones}
    for u in updates:
        assert u.summary_source.startswith("llamacpp:SmolLM2")
        assert verify(u.summary, event_grounding(by_id[u.id], zones)) == []

    # Every event is in the history, with the wording that was published last.
    history = EventHistory(tmp_path / "events.db")
    stored = {
        e.id: e
        for e in history.between(events[0].started_at, events[-1].ended_at + timedelta(seconds=1))
    }
    history.close()
    assert set(stored) == set(by_id)
    worded = {u.id: u.summary for u in updates}
    for event_id, e in stored.items():
        assert e.summary == worded.get(event_id, by_id[event_id].summary)

    # Someone subscribing later (Home Assistant after a restart) gets the last state.
    with Subscriber("127.0.0.1", mosquitto_session.port, f"{mqtt_base}/+/state") as late:
        (retained,) = late.wait_for(lambda ms: len(ms) >= 1)
    assert retained.retain
    assert CameraState.model_validate_json(retained.payload).counts == {}


def test_replay_json_prints_the_same_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.demo_scene import ensure_demo_scene

    folder = ensure_demo_scene()
    cfg = tmp_path / "demo.yaml"
    text = (Path(__file__).resolve().parents[1] / "config" / "demo.yaml").read_text()
    text = text.replace("~/.local/share/edge-vision-agent/demo", str(tmp_path / "history"))
    cfg.write_text(text)
    assert main(["replay", "--config", str(cfg), "--source", str(folder), "--json"]) == 0
    after = datetime.now(UTC)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    events = [e for e in lines if "type" not in e]
    # Stamped to end now: every event has happened, so a question right after finds it.
    ends = [datetime.fromisoformat(e["ended_at"]) for e in events]
    assert ends and max(ends) <= after and max(ends) > after - timedelta(minutes=10)
    updates = [u for u in lines if u.get("type") == "summary_update"]
    got = [(e["kind"], e["objects"][0]["label"], e["objects"][0]["zones"]) for e in events]
    assert got == EXPECTED
    assert {u["id"] for u in updates} <= {e["id"] for e in events}
    assert len(lines) == len(events) + len(updates)
