"""The Node-RED ask flow (config/node-red/ask.json) with a real Node-RED, a real Mosquitto and
the agent's own command handler answering from the seeded history."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from support.ask_history import seeded_asker
from support.mqtt_helpers import Mosquitto, free_port
from test_node_red import SETTINGS, install_node_red

from agent.adapters.mqtt.publisher import MqttPublisher
from agent.config.schema import MqttConfig
from agent.service.ask_action import add_ask_action
from agent.service.commands import CommandHandler

FLOW_PATH = Path(__file__).resolve().parent.parent / "config" / "node-red" / "ask.json"


def _node(flow: list[dict[str, Any]], node_id: str) -> dict[str, Any]:
    return next(n for n in flow if n["id"] == node_id)


def test_ask_flow_is_importable_and_uses_the_agents_topics() -> None:
    flow = json.loads(FLOW_PATH.read_text())
    ids = {n["id"] for n in flow}
    assert len(ids) == len(flow)
    for n in flow:
        for outputs in n.get("wires", []):
            assert set(outputs) <= ids, n["id"]
    assert _node(flow, "eva-ask-results")["topic"] == "eva/cmd/result"
    assert _node(flow, "eva-ask-latest")["topic"] == "eva/answer"
    assert '"eva/cmd/ask"' in _node(flow, "eva-ask-request")["func"]


@pytest.mark.slow
@pytest.mark.broker
def test_a_question_from_node_red_gets_its_answer(mosquitto: Mosquitto, tmp_path: Path) -> None:
    node, red_js = install_node_red()
    flow = json.loads(FLOW_PATH.read_text())
    broker = _node(flow, "eva-ask-broker")
    broker["broker"], broker["port"] = mosquitto.host, str(mosquitto.port)
    inject = _node(flow, "eva-ask-inject")
    inject["payload"] = "How many people came on Tuesday?"
    inject["repeat"] = "1"  # ask every second until the MQTT nodes are connected
    out = tmp_path / "answers.txt"
    _node(flow, "eva-ask-route")["wires"][0].append("test-file")
    flow.append(
        {
            "id": "test-file",
            "type": "file",
            "z": "eva-ask-tab",
            "filename": str(out),
            "filenameType": "str",
            "appendNewline": True,
            "createDir": True,
            "overwriteFile": "false",
            "encoding": "utf8",
            "wires": [[]],
        }
    )
    user_dir = tmp_path / "user"
    user_dir.mkdir()
    (user_dir / "flows.json").write_text(json.dumps(flow))
    port = free_port()
    (user_dir / "settings.js").write_text(SETTINGS % {"port": port})

    asker, history, _ = seeded_asker(tmp_path)
    cfg = MqttConfig(host=mosquitto.host, port=mosquitto.port, client_id="eva-ask-nr")
    publisher = MqttPublisher(cfg, mosquitto.host, mosquitto.port)
    publisher.start()

    def send(topic: str, payload: bytes, retain: bool) -> object:
        return publisher.publish(topic, payload, retain=retain)

    handler = CommandHandler("eva", {}, send)
    add_ask_action(handler, asker, "eva", send)
    handler.start()
    publisher.subscribe("eva/cmd/+", handler.on_message)
    log = (tmp_path / "node-red.log").open("wb")
    proc = subprocess.Popen(
        [node, str(red_js), "--settings", "settings.js", "--userDir", str(user_dir), "flows.json"],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=user_dir,
    )
    try:
        deadline = time.monotonic() + 90
        while not (out.exists() and out.read_text().strip()):
            assert proc.poll() is None, (tmp_path / "node-red.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (tmp_path / "node-red.log").read_text()[-3000:]
            time.sleep(0.2)
    finally:
        proc.terminate()  # by PID: only the Node-RED this test started
        proc.wait(10)
        log.close()
        handler.stop()
        publisher.close()
        history.close()
    first = out.read_text().splitlines()[0]
    assert first == "People coming, on Tuesday (01.12): 1 time, on 01.12 at 09:00."
