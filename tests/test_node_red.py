"""The Node-RED flow in config/node-red/flow.json, run by a real Node-RED on a real Mosquitto.

Node-RED 4 is installed once with npm into the cache (`$EVA_CACHE_DIR/node-red`, else
~/.cache/edge-vision-agent/node-red). Each run starts it headless on a free port with the
flow re-pointed at the suite's broker and a file node after each of the flow's outputs, then
publishes real events and updates and reads what the flow wrote.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from support.events import make_event as support_event
from support.events import obj
from support.mqtt_helpers import Mosquitto, Subscriber, free_port

from agent.adapters.mqtt import topics
from agent.core.events import Event, EventUpdate
from agent.core.kinds import EventKind, Severity
from agent.core.settings import ZoneConfig
from pipelines.models.paths import cache_dir

FLOW_PATH = Path(__file__).resolve().parent.parent / "config" / "node-red" / "flow.json"
NODE_RED = "node-red@4"
STARTUP_SECONDS = 60.0
INSTALL_SECONDS = 600.0
BASE = "eva"  # the flow subscribes to eva/+/events, as shipped
ROUTES = ("alert", "warning", "info")
TZ = timezone(timedelta(hours=2))
ZONES = {
    "gate": ZoneConfig(name="gate", preposition="at"),
    "front_door": ZoneConfig(name="front_door", title="front door", preposition="at"),
    "yard": ZoneConfig(name="yard"),
}

Flow = list[dict[str, Any]]


def load_flow() -> Flow:
    nodes: Flow = json.loads(FLOW_PATH.read_text())
    return nodes


def node(flow: Flow, node_id: str) -> dict[str, Any]:
    return next(n for n in flow if n["id"] == node_id)


def test_flow_file_is_importable_as_written() -> None:
    flow = load_flow()
    ids = [n["id"] for n in flow]
    assert len(ids) == len(set(ids)), "node ids must be unique"
    tabs = [n for n in flow if n["type"] == "tab"]
    assert len(tabs) == 1
    for n in flow:
        if n["type"] not in ("tab", "mqtt-broker"):
            assert n["z"] == tabs[0]["id"], f"{n['id']} is not on the tab"
            assert isinstance(n["x"], int) and isinstance(n["y"], int)
        for outputs in n.get("wires", []):
            for target in outputs:
                assert target in ids, f"{n['id']} is wired to a missing node {target}"
        if n["type"] in ("mqtt in", "mqtt out"):
            assert node(flow, n["broker"])["type"] == "mqtt-broker"
    broker = node(flow, "eva-broker")
    assert (broker["broker"], broker["port"]) == ("localhost", "1883")
    inputs = {n["topic"]: n for n in flow if n["type"] == "mqtt in"}
    assert set(inputs) == {"eva/+/events", "eva/+/events/update", "eva/cmd/result"}
    for n in inputs.values():
        assert (n["datatype"], n["qos"]) == ("json", "1")
    switch = node(flow, "eva-severity")
    assert switch["property"] == "payload.severity"
    assert [r["v"] for r in switch["rules"]] == list(ROUTES)
    inject = node(flow, "eva-cmd-inject")
    assert json.loads(inject["payload"]) == {"camera": "barn", "correlation_id": "nr-1"}
    assert node(flow, inject["wires"][0][0])["topic"] == topics.command(BASE, "snapshot")


# A real Node-RED: installed once, started per module.


@dataclass(frozen=True)
class NodeRed:
    url: str
    out: Path
    log_path: Path

    def lines(self, route: str) -> list[str]:
        """What the flow wrote for one route so far: alert, warning, info or update."""
        path = self.out / f"{route}.txt"
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_for_line(self, route: str, line: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while line not in self.lines(route):
            if time.monotonic() > deadline:
                written = {r: self.lines(r) for r in (*ROUTES, "update")}
                raise AssertionError(
                    f"Node-RED did not write {line!r} to {route}.txt within {timeout} s; "
                    f"it wrote {written}\nNode-RED log:\n{self.log()}"
                )
            time.sleep(0.05)


def _node_major(node: str) -> int:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    return int(version.stdout.strip().lstrip("v").split(".")[0])


def install_node_red() -> tuple[str, Path]:
    """(node, red.js): Node-RED 4 from npm into the cache, once; skip only without Node.js."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are needed to run Node-RED: sudo apt-get install nodejs npm")
    if _node_major(node) < 18:
        pytest.fail(f"Node-RED 4 needs Node.js 18 or newer; {node} is older: upgrade Node.js")
    folder = cache_dir() / "node-red"
    folder.mkdir(parents=True, exist_ok=True)
    red = folder / "node_modules" / "node-red" / "red.js"
    done = folder / ".installed"
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test runs install it once
        if done.exists() and red.exists():
            return node, red
        command = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder), NODE_RED]
        env = {**os.environ, "NPM_CONFIG_UPDATE_NOTIFIER": "false"}
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=INSTALL_SECONDS, env=env
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"'{' '.join(command)}' took over {INSTALL_SECONDS:.0f} s")
        if result.returncode != 0 or not red.exists():
            pytest.fail(
                f"'{' '.join(command)}' failed ({result.returncode}); is the npm registry "
                f"reachable?\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
        done.write_text(json.loads((red.parent / "package.json").read_text())["version"])
    return node, red


def flows_for_test(broker: Mosquitto, out: Path) -> Flow:
    """The shipped flow on the test broker, with a file per output (alert/warning/info/update)."""
    flow = load_flow()
    mqtt = node(flow, "eva-broker")
    mqtt["broker"], mqtt["port"] = broker.host, str(broker.port)
    tab = node(flow, "eva-tab")["id"]
    taps = {
        "alert": (node(flow, "eva-severity"), 0),
        "warning": (node(flow, "eva-severity"), 1),
        "info": (node(flow, "eva-severity"), 2),
        "update": (node(flow, "eva-updates-format"), 0),
    }
    for i, (route, (source, output)) in enumerate(taps.items()):
        # The debug nodes show msg.text; the file node writes msg.payload, so copy it over.
        copy, write = f"test-copy-{route}", f"test-file-{route}"
        source["wires"][output].append(copy)
        flow.append(
            {
                "id": copy,
                "type": "change",
                "z": tab,
                "name": "",
                "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "text", "tot": "msg"}],
                "x": 1100,
                "y": 60 + 40 * i,
                "wires": [[write]],
            }
        )
        flow.append(
            {
                "id": write,
                "type": "file",
                "z": tab,
                "name": "",
                "filename": str(out / f"{route}.txt"),
                "filenameType": "str",
                "appendNewline": True,
                "createDir": True,
                "overwriteFile": "false",
                "encoding": "utf8",
                "x": 1300,
                "y": 60 + 40 * i,
                "wires": [[]],
            }
        )
    return flow


SETTINGS = """module.exports = {
    uiHost: "127.0.0.1",
    uiPort: %(port)d,
    flowFile: "flows.json",
    credentialSecret: false,
    disableEditor: true,
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    functionExternalModules: false,
    editorTheme: { projects: { enabled: false } },
    logging: { console: { level: "info", metrics: false, audit: false } },
};
"""


def _get_flows(url: str) -> list[dict[str, Any]] | None:
    try:
        with urllib.request.urlopen(f"{url}/flows", timeout=1) as response:
            flows: list[dict[str, Any]] = json.load(response)
            return flows
    except (OSError, urllib.error.URLError, ValueError):
        return None


def probe_event(camera: str) -> Event:
    return make_event(camera, "arrival", "info", [("cat", 1, [])], datetime.now(TZ))


def _wait_until_running(
    proc: subprocess.Popen[bytes], red: NodeRed, broker: Mosquitto, flow: Flow
) -> None:
    """Admin API up with our flow, then an event got through the broker and the whole flow."""
    deadline = time.monotonic() + STARTUP_SECONDS
    wanted = {n["id"] for n in flow}

    def check(what: str) -> None:
        if proc.poll() is not None:
            pytest.fail(f"Node-RED exited ({proc.returncode}) while {what}:\n{red.log()}")
        if time.monotonic() > deadline:
            pytest.fail(f"Node-RED not ready within {STARTUP_SECONDS:.0f} s ({what}):\n{red.log()}")
        time.sleep(0.2)

    while not wanted <= {n["id"] for n in _get_flows(red.url) or []}:
        check(f"waiting for GET {red.url}/flows to list the flow")
    # The MQTT nodes connect and subscribe on their own time: resend a probe until one passes.
    camera = f"probe-{uuid.uuid4().hex[:8]}"
    with Subscriber(broker.host, broker.port, f"{BASE}/{camera}/#") as client:
        while not any(line.startswith(f"[{camera}]") for line in red.lines("info")):
            client.publish(
                topics.events(BASE, camera), probe_event(camera).model_dump_json().encode()
            )
            check("waiting for a probe event to come out of the flow")


@pytest.fixture(scope="module")
def node_red(
    mosquitto_session: Mosquitto, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NodeRed]:
    node, red_js = install_node_red()
    tmp = tmp_path_factory.mktemp("node-red")
    user_dir, out = tmp / "user", tmp / "out"
    user_dir.mkdir()
    port = free_port()
    flow = flows_for_test(mosquitto_session, out)
    (user_dir / "flows.json").write_text(json.dumps(flow, indent=2))
    settings = user_dir / "settings.js"
    settings.write_text(SETTINGS % {"port": port})
    red = NodeRed(f"http://127.0.0.1:{port}", out, tmp / "node-red.log")
    command = [node, str(red_js), "--settings", str(settings), "--userDir", str(user_dir)]
    with red.log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*command, "--port", str(port), "flows.json"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=user_dir,
        )
    try:
        _wait_until_running(proc, red, mosquitto_session, flow)
        yield red
    finally:
        proc.terminate()  # by PID: only the Node-RED this fixture started
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# Events as the agent words and publishes them.


def make_event(
    camera: str,
    kind: EventKind,
    severity: Severity,
    objects: list[tuple[str, int, list[str]]],
    at: datetime,
) -> Event:
    members = [obj(label, count, zones, score=0.87) for label, count, zones in objects]
    return support_event(
        kind,
        members,
        camera=camera,
        at=at,
        started_at=at - timedelta(seconds=2),
        zones=ZONES,
        severity=severity,
        rule=f"{kind}_{severity}",
    )


@pytest.fixture
def camera() -> str:
    return f"nr-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def publisher(mosquitto_session: Mosquitto, camera: str) -> Iterator[Subscriber]:
    with Subscriber(mosquitto_session.host, mosquitto_session.port, f"{BASE}/{camera}/#") as sub:
        yield sub


def publish(client: Subscriber, message: Event | EventUpdate) -> None:
    topic = (
        topics.events(BASE, message.camera)
        if isinstance(message, Event)
        else topics.event_updates(BASE, message.camera)
    )
    client.publish(topic, message.model_dump_json().encode())


@pytest.mark.slow
@pytest.mark.broker
def test_events_are_worded_and_routed_by_severity(
    node_red: NodeRed, publisher: Subscriber, camera: str
) -> None:
    at = datetime(2026, 11, 22, 5, 12, 3, tzinfo=TZ)
    events = {
        "info": make_event(camera, "zone_enter", "info", [("cow", 2, ["gate"])], at),
        "alert": make_event(
            camera, "arrival", "alert", [("person", 1, ["front_door"])], at + timedelta(minutes=1)
        ),
        "warning": make_event(
            camera, "dwell", "warning", [("dog", 1, ["yard"])], at + timedelta(minutes=2)
        ),
    }
    assert events["info"].summary == "At 05:12, 2 cows arrived at the gate."
    for event in events.values():
        publish(publisher, event)
    for route, event in events.items():
        node_red.wait_for_line(route, f"[{camera}] {event.summary}")
    for route, event in events.items():
        for other in ROUTES:
            if other != route:
                assert f"[{camera}] {event.summary}" not in node_red.lines(other)


@pytest.mark.slow
@pytest.mark.broker
def test_a_repeated_event_is_shown_once(
    node_red: NodeRed, publisher: Subscriber, camera: str
) -> None:
    at = datetime(2026, 11, 22, 6, 30, tzinfo=TZ)
    event = make_event(camera, "arrival", "info", [("sheep", 3, [])], at)
    later = make_event(camera, "departure", "info", [("sheep", 3, [])], at + timedelta(minutes=5))
    publish(publisher, event)
    publish(publisher, event)  # as after a reconnection: QoS 1 is at least once
    publish(publisher, later)
    node_red.wait_for_line("info", f"[{camera}] {later.summary}")
    mine = [line for line in node_red.lines("info") if line.startswith(f"[{camera}]")]
    assert mine == [f"[{camera}] {event.summary}", f"[{camera}] {later.summary}"]


@pytest.mark.slow
@pytest.mark.broker
def test_an_update_is_shown_as_the_rewording_of_its_event(
    node_red: NodeRed, publisher: Subscriber, camera: str
) -> None:
    at = datetime(2026, 11, 22, 5, 8, 33, tzinfo=TZ)
    event = make_event(camera, "arrival", "warning", [("person", 1, ["yard"])], at)
    update = EventUpdate(
        id=event.id,
        camera=camera,
        summary="A person appeared in the yard at 05:08.",
        summary_source="llamacpp:SmolLM2-135M-Instruct.Q4_1",
        language="en",
        worded_at=at + timedelta(seconds=4),
        model_seconds=3.2,
        attempts=1,
    )
    publish(publisher, event)
    publish(publisher, update)
    node_red.wait_for_line("warning", f"[{camera}] {event.summary}")
    node_red.wait_for_line("update", f"[{camera}] \u21b3 {update.summary}")
    # eva/+/events does not match eva/<camera>/events/update: the update is no second event.
    for route in ROUTES:
        assert not any(update.summary in line for line in node_red.lines(route))
    publisher.wait_for(lambda ms: len(ms) >= 2)  # both really went through the broker
    assert {m.topic for m in publisher.messages} == {
        topics.events(BASE, camera),
        topics.event_updates(BASE, camera),
    }
