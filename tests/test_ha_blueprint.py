"""The notification blueprint against the agent's real payloads and discovery.

Home Assistant renders the blueprint's templates with Jinja and a few helpers of its own
(`now`, `as_datetime`, `slugify`); they are stood in for here with the same meaning, and the
payloads are the ones the agent publishes. scripts/check-blueprint.py loads the blueprint in
a real Home Assistant (2024.3) where one is installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from paho.mqtt.client import topic_matches_sub
from support.events import make_event, obj

from agent.adapters.homeassistant.discovery import discovery_configs
from agent.adapters.mqtt import payloads
from agent.ask.query import Query, TimeSpec
from agent.ask.watch import WatchBook, WatchSink
from agent.config.schema import AppConfig, CameraConfig, MqttConfig
from agent.service.ask_action import watch_notifier

jinja = pytest.importorskip("jinja2.sandbox")

ROOT = Path(__file__).resolve().parents[1]
BLUEPRINT = (
    ROOT / "config/home-assistant/blueprints/automation/edge-vision-agent/event_notification.yaml"
)


class Input:
    def __init__(self, name: str) -> None:
        self.name = name


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!input", lambda loader, node: Input(loader.construct_scalar(node)))


def load() -> dict[str, Any]:
    data = yaml.load(BLUEPRINT.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    assert isinstance(data, dict)
    return data


def inputs_used(node: object) -> set[str]:
    if isinstance(node, Input):
        return {node.name}
    if isinstance(node, dict):
        return set().union(*(inputs_used(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(inputs_used(v) for v in node))
    return set()


def substitute(node: object, values: dict[str, object]) -> object:
    if isinstance(node, Input):
        return values[node.name]
    if isinstance(node, dict):
        return {k: substitute(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(v, values) for v in node]
    return node


def environment() -> Any:
    env = jinja.ImmutableSandboxedEnvironment()
    env.globals["now"] = lambda: datetime.now(UTC)
    env.globals["as_datetime"] = lambda text: datetime.fromisoformat(str(text))
    env.filters["slugify"] = lambda text: re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return env


def render(template: str, context: dict[str, Any]) -> str:
    return str(environment().from_string(template).render(**context))


def run(automation: dict[str, Any], topic: str, payload: bytes) -> tuple[bool, dict[str, Any]]:
    """What the automation does for one MQTT message: whether it passes, and the service call."""
    context: dict[str, Any] = dict(automation["trigger_variables"])
    (trigger,) = [
        t for t in automation["trigger"] if topic_matches_sub(render(t["topic"], context), topic)
    ]
    trigger_data = {
        "id": trigger["id"],
        "topic": topic,
        "payload": payload.decode(),
        "payload_json": json.loads(payload),
    }
    context |= {"trigger": trigger_data}
    for name, value in automation["variables"].items():
        rendered = render(value, context) if isinstance(value, str) else value
        context[name] = _literal(rendered) if name == "event" else rendered
    passed = all(
        render(c["value_template"], context).strip() == "True" for c in automation["condition"]
    )
    call = automation["action"][0]
    service = render(call["service"], context)
    data = {
        k: render(v, context)
        if isinstance(v, str)
        else {kk: render(vv, context) for kk, vv in v.items()}
        for k, v in call["data"].items()
    }
    return passed, {"service": service, **data}


def _literal(text: str) -> Any:
    # Home Assistant turns a rendered dict back into one; so does this.
    import ast

    return ast.literal_eval(text)


def automation_with(**values: object) -> dict[str, Any]:
    data = load()
    defaults = {k: v.get("default") for k, v in data["blueprint"]["input"].items()}
    return substitute(data, {**defaults, **values})  # type: ignore[return-value]


def test_the_blueprint_declares_every_input_it_uses() -> None:
    data = load()
    blueprint = data["blueprint"]
    assert blueprint["domain"] == "automation"
    declared = set(blueprint["input"])
    assert inputs_used({k: v for k, v in data.items() if k != "blueprint"}) == declared
    # Only the phone must be chosen; everything else has a default.
    assert [k for k, v in blueprint["input"].items() if "default" not in v] == ["notify_service"]


def test_one_notification_per_event_and_the_rewording_replaces_it() -> None:
    automation = automation_with(notify_service="notify.mobile_app_pixel")
    event = make_event(camera="front_door", objects=[obj("person", zones=["porch"])])
    first = payloads.last_event("eva", event)
    passed, call = run(automation, first.topic, first.payload)
    assert passed
    assert call["service"] == "notify.mobile_app_pixel"
    assert (call["title"], call["message"]) == (event.title, event.summary)
    assert call["data"]["tag"] == event.id

    reworded = event.model_copy(update={"summary": "Someone came up to the porch."})
    second = payloads.last_event("eva", reworded)
    passed, again = run(automation, second.topic, second.payload)
    assert passed and again["data"]["tag"] == event.id  # same tag: the phone replaces it
    assert again["message"] == "Someone came up to the porch."

    # The snapshot is the camera's Snapshot image entity, as discovery names it.
    config = AppConfig(
        mqtt=MqttConfig(client_id="pi-door-1a2b3c"), cameras=[CameraConfig(name="front_door")]
    )
    images = [
        p["default_entity_id"]
        for p in discovery_configs(config, "1").values()
        if p["default_entity_id"].startswith("image.")
    ]
    assert call["data"]["image"] == f"/api/image_proxy/{images[0]}"


def test_filters_and_old_events_do_not_notify() -> None:
    event = make_event(camera="barn", severity="info")
    message = payloads.last_event("farm", event)
    assert run(
        automation_with(notify_service="n", base_topic="farm"), message.topic, message.payload
    )[0]
    assert not run(
        automation_with(notify_service="n", base_topic="farm", severities=["alert"]),
        message.topic,
        message.payload,
    )[0]
    assert not run(
        automation_with(notify_service="n", base_topic="farm", cameras=["gate"]),
        message.topic,
        message.payload,
    )[0]
    old = make_event(camera="barn", at=datetime.now(UTC) - timedelta(hours=1))
    stale = payloads.last_event("farm", old)
    assert not run(
        automation_with(notify_service="n", base_topic="farm"), stale.topic, stale.payload
    )[0]


def _fired_watch(at: datetime, base: str = "farm") -> tuple[str, bytes, str]:
    """A standing question firing on the agent: the notice exactly as it is published."""
    book = WatchBook(None, 5)
    query = Query(
        what="count", language="en", labels=["cow"], kinds=["departure"], time=TimeSpec(name="all")
    )
    watch = book.add(query, "tell me when the cows leave", "cows leaving", at + timedelta(hours=1))
    assert watch is not None
    sent: list[tuple[str, bytes]] = []
    sink = WatchSink(book, watch_notifier(base, lambda t, p, r: sent.append((t, p))))
    sink.event(make_event("departure", [obj("cow")], camera="barn", at=at, severity="info"))
    ((topic, payload),) = sent
    return topic, payload, watch.id


def test_a_standing_question_that_fires_notifies_once_with_its_own_tag() -> None:
    topic, payload, watch_id = _fired_watch(datetime.now(UTC))
    automation = automation_with(notify_service="n", base_topic="farm", severities=["alert"])
    passed, call = run(automation, topic, payload)
    assert passed  # the question's own filters, not the events' severities and cameras
    assert call["title"] == "Cows leaving"
    assert call["message"].startswith("You asked: «tell me when the cows leave». ")
    assert call["data"]["tag"] == f"watch-{watch_id}"  # beside the event's, never replacing it
    assert call["data"]["image"] == "/api/image_proxy/image.camera_barn_snapshot"
    off = automation_with(notify_service="n", base_topic="farm", watches=False)
    assert not run(off, topic, payload)[0]
    old_topic, old_payload, _ = _fired_watch(datetime.now(UTC) - timedelta(hours=1))
    stale = automation_with(notify_service="n", base_topic="farm")
    assert not run(stale, old_topic, old_payload)[0]


@pytest.mark.skipif(
    not os.environ.get("EVA_HA_PYTHON"),
    reason="set EVA_HA_PYTHON to the python of a Home Assistant 2024.3 install "
    "(scripts/check-blueprint.py says how)",
)
def test_the_blueprint_loads_in_a_real_home_assistant() -> None:
    done = subprocess.run(
        [os.environ["EVA_HA_PYTHON"], str(ROOT / "scripts" / "check-blueprint.py")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "an automation from it validates" in done.stdout
    assert "mqtt on '{{ base }}/watch'" in done.stdout


@pytest.mark.skipif(
    not os.environ.get("EVA_HA_PYTHON"),
    reason="set EVA_HA_PYTHON to the python of a Home Assistant 2024.3 install",
)
def test_real_home_assistant_renders_an_event_and_a_fired_watch(tmp_path: Path) -> None:
    # The script's automation: base topic eva, cameras [barn], the other inputs' defaults.
    event = make_event(camera="barn", objects=[obj("person")])
    message = payloads.last_event("eva", event)
    topic, notice, watch_id = _fired_watch(datetime.now(UTC), base="eva")
    messages = [
        {"topic": message.topic, "payload": message.payload.decode()},
        {"topic": topic, "payload": notice.decode()},
    ]
    (tmp_path / "messages.json").write_text(json.dumps(messages), encoding="utf-8")
    done = subprocess.run(
        [
            os.environ["EVA_HA_PYTHON"],
            str(ROOT / "scripts" / "check-blueprint.py"),
            "--render",
            str(tmp_path / "messages.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for_event, for_watch = json.loads(done.stdout.strip().splitlines()[-1])
    assert for_event["passed"] and for_event["trigger"] == "event"
    assert for_event["call"]["data"]["tag"] == event.id
    assert for_event["call"]["message"] == event.summary
    assert for_watch["passed"] and for_watch["trigger"] == "watch"
    assert for_watch["call"]["title"] == "Cows leaving"
    assert for_watch["call"]["message"] == json.loads(notice)["text"]
    assert for_watch["call"]["data"]["tag"] == f"watch-{watch_id}"
    assert for_watch["call"]["data"]["image"] == "/api/image_proxy/image.camera_barn_snapshot"
