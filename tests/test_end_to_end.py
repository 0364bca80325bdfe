"""The whole spine on real inputs: demo photos -> real detector -> core -> real Mosquitto."""

from __future__ import annotations

import json
import threading

import pytest
from mqtt_helpers import Mosquitto, Subscriber

from agent.app import run_agent
from agent.cli import main
from agent.demo import demo_config
from agent.events import CameraState, Event

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
    mosquitto_session: Mosquitto, mqtt_base: str
) -> None:
    config = demo_config(realtime=False)
    mqtt = config.mqtt.model_copy(
        update={
            "host": "127.0.0.1",
            "port": mosquitto_session.port,
            "base_topic": mqtt_base,
            "client_id": f"eva-{mqtt_base}",
        }
    )
    config = config.model_copy(update={"mqtt": mqtt})

    with Subscriber("127.0.0.1", mosquitto_session.port, f"{mqtt_base}/#") as sub:
        workers = run_agent(config, threading.Event())
        assert [w.error for w in workers] == [None]
        msgs = sub.wait_for(
            lambda ms: (
                sum(m.topic.endswith("/events") for m in ms) >= len(EXPECTED)
                and any(m.payload == b"offline" for m in ms)
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

    status = [m.payload for m in msgs if m.topic == f"{mqtt_base}/status"]
    assert status[0] == b"online" and status[-1] == b"offline"

    # Someone subscribing later (Home Assistant after a restart) gets the last state.
    with Subscriber("127.0.0.1", mosquitto_session.port, f"{mqtt_base}/+/state") as late:
        (retained,) = late.wait_for(lambda ms: len(ms) >= 1)
    assert retained.retain
    assert CameraState.model_validate_json(retained.payload).counts == {}


def test_replay_json_prints_the_same_events(
    tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.demo_scene import ensure_demo_scene

    folder = ensure_demo_scene()
    cfg = tmp_path / "demo.yaml"  # type: ignore[operator]
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "config" / "demo.yaml").read_text()
    cfg.write_text(text)
    assert main(["replay", "--config", str(cfg), "--source", str(folder), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    got = [(e["kind"], e["objects"][0]["label"], e["objects"][0]["zones"]) for e in lines]
    assert got == EXPECTED
