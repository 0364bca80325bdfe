"""The whole agent with Ollama going away mid-run: events keep flowing, wording comes back."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from support.mqtt_helpers import Mosquitto, Subscriber
from support.ollama_fake import FakeOllama

from agent.cli.demo import demo_config
from agent.config.schema import OllamaLlmConfig, StorageConfig
from agent.core.events import Event, EventUpdate
from agent.service.app import run_agent

pytestmark = pytest.mark.broker


def careful_model(request: dict[str, Any]) -> str:
    """A model that words the facts of its prompt faithfully: 'at 08:16; appeared; a cup ...'."""
    facts = request["messages"][-1]["content"].removeprefix("Facts: ")
    clock, did, *objects = facts.split("; ")
    who = " and ".join(objects)
    return json.dumps({"summary": f"{who[:1].upper()}{who[1:]} {did} {clock}."})


def test_events_flow_while_ollama_is_busy_and_wording_resumes_by_itself(
    mosquitto_session: Mosquitto, mqtt_base: str, tmp_path: Path
) -> None:
    with FakeOllama(models=["qwen2.5:0.5b"]) as fake:
        fake.responder = careful_model
        fake.busy()  # 503 from the start: Ollama's queue is full
        config = demo_config(realtime=False)
        mqtt = config.mqtt.model_copy(
            update={
                "host": "127.0.0.1",
                "port": mosquitto_session.port,
                "base_topic": mqtt_base,
                "client_id": f"eva-{mqtt_base}",
            }
        )
        llm = OllamaLlmConfig(host=fake.url, retry_after_seconds=1, domain="home")
        config = config.model_copy(
            update={"mqtt": mqtt, "llm": llm, "storage": StorageConfig(path=str(tmp_path))}
        )

        # Ollama recovers right after it has turned the first request away.
        def recover() -> None:
            for _ in range(1000):
                if fake.chat_requests:
                    fake.mode = "answer"
                    return
                threading.Event().wait(0.01)

        timer = threading.Thread(target=recover, daemon=True)
        with Subscriber("127.0.0.1", mosquitto_session.port, f"{mqtt_base}/#") as sub:
            timer.start()
            workers = run_agent(config, threading.Event())
            msgs = sub.wait_for(lambda ms: any(m.payload == b"offline" for m in ms), timeout=10)
        timer.join(1)

    assert [w.error for w in workers] == [None]
    events = [
        Event.model_validate_json(m.payload) for m in msgs if m.topic == f"{mqtt_base}/demo/events"
    ]
    updates = [
        EventUpdate.model_validate_json(m.payload)
        for m in msgs
        if m.topic == f"{mqtt_base}/demo/events/update"
    ]
    assert len(events) == 6  # nothing lost while the model was busy
    assert all(e.summary_source == "template" for e in events)
    assert updates, "wording did not resume after Ollama came back"
    ids = [e.id for e in events]
    assert {u.id for u in updates} <= set(ids)
    assert all(u.summary_source == "ollama:qwen2.5:0.5b" for u in updates)
    # The first event met a busy Ollama and kept its template text.
    assert ids[0] not in {u.id for u in updates}
    # Each update follows its own event on the wire.
    order = [m.topic for m in msgs]
    for u in updates:
        event_at = next(
            i
            for i, m in enumerate(msgs)
            if m.topic.endswith("/events") and u.id.encode() in m.payload
        )
        update_at = next(
            i
            for i, m in enumerate(msgs)
            if m.topic.endswith("/update") and u.id.encode() in m.payload
        )
        assert event_at < update_at, order
