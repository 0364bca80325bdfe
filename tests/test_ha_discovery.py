"""Home Assistant discovery payloads against Home Assistant's rules (tests/support/ha_rules.py), and
their templates rendered against the agent's real payloads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.cameras import FramesArriving
from support.events import make_event as support_event
from support.events import obj
from support.ha_rules import (
    AVAILABILITY_ITEM_KEYS,
    AVAILABILITY_MODES,
    COMPONENTS,
    DEPRECATED_KEYS,
    DEVICE_KEYS,
    ID_PATTERN,
    MAX_STATE_CHARS,
    ORIGIN_KEYS,
    ORIGIN_REQUIRED,
    PUBLISH_TOPIC_KEYS,
    SENSOR_DEVICE_CLASS_UNITS,
    SUBSCRIBE_TOPIC_KEYS,
    TEMPLATE_KEYS,
)

from agent.adapters.homeassistant.discovery import (
    DEFAULT_LABELS,
    EVENT_TYPES,
    discovery_configs,
    entity_labels,
    node_id,
    removal_topics,
)
from agent.adapters.mqtt import topics
from agent.adapters.mqtt.fleet import FleetView, installation_of
from agent.ask.watch import WatchBook
from agent.cli.demo import demo_config
from agent.config.loader import load_config
from agent.config.schema import AppConfig, CameraConfig, HomeAssistantConfig, MqttConfig
from agent.core.events import CameraState, Event
from agent.core.settings import RuleConfig
from agent.service.camera_control import CameraControl
from agent.service.commands import ACTIONS, CommandHandler
from agent.service.diagnostics import AgentDiagnostics, CameraDiagnostics
from agent.service.fleet_watches import FleetWatches, add_fleet_watch_actions

ROOT = Path(__file__).resolve().parents[1]
VERSION = "1.2.3"
Payload = dict[str, Any]

try:  # jinja2 comes with llama-cpp-python; without it only the template tests are skipped
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:  # pragma: no cover
    ImmutableSandboxedEnvironment = None

needs_jinja = pytest.mark.skipif(ImmutableSandboxedEnvironment is None, reason="needs jinja2")


def render(template: str, payload: str) -> str:
    """Render as Home Assistant renders MQTT templates: sandboxed, with `value` (the payload
    as text) and `value_json` (the payload parsed as JSON)."""
    env = ImmutableSandboxedEnvironment()
    return env.from_string(template).render(value=payload, value_json=json.loads(payload))


AGENT = "pi-farm-3fa9c2"  # an id as generated from the host name (adapters/mqtt/identity.py)


def named(config: AppConfig, client_id: str = AGENT) -> AppConfig:
    """The configuration as the app runs it: with the agent's id filled in."""
    return config.model_copy(
        update={"mqtt": config.mqtt.model_copy(update={"client_id": client_id})}
    )


def _configs() -> dict[str, AppConfig]:
    return {
        "farm": named(load_config(ROOT / "config" / "farm.yaml")),
        "home": named(load_config(ROOT / "config" / "home.yaml")),
        "demo": named(demo_config()),
    }


CONFIGS = _configs()


@pytest.fixture(params=sorted(CONFIGS))
def config(request: pytest.FixtureRequest) -> AppConfig:
    return CONFIGS[request.param]


def entities(config: AppConfig) -> list[tuple[str, str, Payload]]:
    """(topic, component, payload) of every discovery config."""
    prefix = re.escape(config.home_assistant.discovery_prefix)
    pattern = re.compile(rf"{prefix}/(?P<component>[a-z_]+)/{ID_PATTERN}/config")
    found = []
    for topic, payload in discovery_configs(config, VERSION).items():
        match = pattern.fullmatch(topic)
        assert match, f"{topic} is not <prefix>/<component>/<object_id>/config"
        found.append((topic, match["component"], payload))
    return found


def ha_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def find(config: AppConfig, component: str, entity_id: str) -> Payload:
    for _, comp, payload in entities(config):
        if comp == component and payload["default_entity_id"] == entity_id:
            return payload
    raise AssertionError(f"no {entity_id} among {config.cameras[0].name}'s entities")


def test_every_payload_follows_its_components_rules(config: AppConfig) -> None:
    for topic, component, payload in entities(config):
        rules = COMPONENTS.get(component)
        assert rules is not None, f"{topic}: unknown component {component}"
        keys = set(payload)
        assert rules.required <= keys, f"{topic}: missing {rules.required - keys}"
        assert keys <= rules.allowed, f"{topic}: unknown keys {keys - rules.allowed}"
        assert not keys & DEPRECATED_KEYS, f"{topic}: deprecated {keys & DEPRECATED_KEYS}"
        if rules.one_of:
            assert len(keys & rules.one_of) == 1, f"{topic}: need one of {rules.one_of}"
        for key, allowed in rules.values.items():
            if key in payload:
                assert payload[key] in allowed, f"{topic}: {key}={payload[key]!r}"
        if component == "sensor" and "device_class" in payload:
            units = SENSOR_DEVICE_CLASS_UNITS[payload["device_class"]]
            assert payload.get("unit_of_measurement") in units, topic


def test_devices_origin_and_availability(config: AppConfig) -> None:
    node = node_id(config)
    status = topics.status(config.mqtt.base_topic, AGENT)
    fleet = f"eva_fleet_{config.mqtt.base_topic}"
    devices: dict[str, Payload] = {}
    for topic, _, payload in entities(config):
        device, origin = payload["device"], payload["origin"]
        assert set(device) <= DEVICE_KEYS, topic
        assert device["identifiers"] and device["name"], topic
        devices[device["identifiers"][0]] = device
        assert ORIGIN_REQUIRED <= set(origin) <= ORIGIN_KEYS, topic
        assert origin == {"name": "edge-vision-agent", "sw_version": VERSION}
        assert payload.get("availability_mode", "latest") in AVAILABILITY_MODES
        if device["identifiers"] == [fleet]:  # every agent sends it; none decides alone
            assert "availability" not in payload, topic
            continue
        for item in payload["availability"]:
            assert set(item) <= AVAILABILITY_ITEM_KEYS
        expected = [status]
        camera = device["identifiers"][0].removeprefix(f"eva_{node}_")
        if camera != f"eva_{node}":  # a camera's entities also follow that camera
            expected.append(topics.camera_status(config.mqtt.base_topic, camera))
            assert payload["availability_mode"] == "all", topic
        assert payload["availability"] == [
            {"topic": t, "payload_available": "online", "payload_not_available": "offline"}
            for t in expected
        ], topic

    assert devices.pop(fleet) == {
        "identifiers": [fleet],
        "name": "Edge vision fleet",
        "manufacturer": "edge-vision-agent",
        "model": "Fleet of vision agents",
    }
    agent = devices.pop(f"eva_{node}")
    assert agent == {
        "identifiers": [f"eva_{node}"],
        "name": f"Edge vision agent {AGENT}",
        "manufacturer": "edge-vision-agent",
        "model": "Vision agent",
        "sw_version": VERSION,
    }
    assert sorted(devices) == sorted(f"eva_{node}_{c.name}" for c in config.cameras)
    for camera in config.cameras:
        device = devices[f"eva_{node}_{camera.name}"]
        assert device["name"] == f"Camera {camera.name}"
        assert device["model"] == "Camera"
        assert device["via_device"] == f"eva_{node}"


def test_ids_and_names_give_the_entity_ids_home_assistant_would(config: AppConfig) -> None:
    node = node_id(config)
    unique_ids = [p["unique_id"] for _, _, p in entities(config)]
    assert len(unique_ids) == len(set(unique_ids))
    entity_ids = [p["default_entity_id"] for _, _, p in entities(config)]
    assert len(entity_ids) == len(set(entity_ids))
    for topic, component, payload in entities(config):
        assert payload["unique_id"].startswith((f"eva_{node}_", "eva_fleet_eva_"))
        assert re.fullmatch(ID_PATTERN, payload["unique_id"])
        name, device_name = payload["name"], payload["device"]["name"]
        assert name and not name.lower().startswith(device_name.lower()), topic
        # Without default_entity_id (before 2025.10) HA names it "<device> <entity>" slugified.
        assert payload["default_entity_id"] == f"{component}.{ha_slug(f'{device_name} {name}')}"


def test_entities_per_camera_and_on_the_agent() -> None:
    config = CONFIGS["farm"]
    ids = {p["default_entity_id"] for _, _, p in entities(config)}
    for label in ("cow", "sheep", "horse", "dog", "person"):
        assert f"sensor.camera_barn_{label}_count" in ids
        assert f"sensor.camera_barn_gate_{label}_count" in ids
        assert f"sensor.camera_barn_yard_{label}_count" in ids
        assert f"binary_sensor.camera_barn_{label}_present" in ids
    assert {
        "event.camera_barn_event",
        "sensor.camera_barn_last_event",
        "image.camera_barn_snapshot",
        "switch.camera_barn_paused",
        "button.camera_barn_snapshot_now",
        "sensor.camera_barn_frame_rate",
        "sensor.camera_barn_detector_latency",
        "button.edge_vision_fleet_digest_now",
        "sensor.edge_vision_agent_pi_farm_3fa9c2_model_latency",
        "sensor.edge_vision_agent_pi_farm_3fa9c2_pending_summaries",
        "sensor.edge_vision_agent_pi_farm_3fa9c2_outbox_depth",
        "sensor.edge_vision_agent_pi_farm_3fa9c2_storage_free",
        "sensor.edge_vision_agent_pi_farm_3fa9c2_history_pending",
        "text.edge_vision_fleet_ask",
        "sensor.edge_vision_fleet_answer",
        "sensor.edge_vision_fleet_watches",
        "button.edge_vision_fleet_cancel_watches",
    } <= ids
    assert len(ids) == 5 * 4 + 7 + 10


@needs_jinja
def test_templates_parse(config: AppConfig) -> None:
    env = ImmutableSandboxedEnvironment()
    for topic, _, payload in entities(config):
        for key in TEMPLATE_KEYS & set(payload):
            env.parse(payload[key])  # raises TemplateSyntaxError, naming the line
        assert all(isinstance(v, str) for k, v in payload.items() if k in TEMPLATE_KEYS), topic


def known_topics(config: AppConfig) -> tuple[set[str], set[str]]:
    """Topics the agent publishes (HA subscribes) and the ones it obeys (HA publishes)."""
    base = config.mqtt.base_topic
    published = {
        topics.status(base, AGENT),
        topics.agent_diagnostics(base, AGENT),
        topics.answer(base),
    }
    for c in config.cameras:
        published |= {
            topics.state(base, c.name),
            topics.events(base, c.name),
            topics.last_event(base, c.name),
            topics.snapshot(base, c.name),
            topics.paused(base, c.name),
            topics.diagnostics(base, c.name),
            topics.camera_status(base, c.name),
        }
    published.add(topics.watches(base))
    return published, {topics.command(base, action) for action in ACTIONS}


def test_every_topic_is_one_the_agent_really_uses(config: AppConfig) -> None:
    published, commands = known_topics(config)
    for topic, _, payload in entities(config):
        for key in SUBSCRIBE_TOPIC_KEYS & set(payload):
            assert payload[key] in published, f"{topic}: {key}={payload[key]}"
        for key in PUBLISH_TOPIC_KEYS & set(payload):
            assert payload[key] in commands, f"{topic}: {key}={payload[key]}"
        for item in payload.get("availability", []):
            assert item["topic"] in published, f"{topic}: availability {item['topic']}"


def test_command_payloads_are_accepted_by_the_command_handler(config: AppConfig) -> None:
    base = config.mqtt.base_topic
    controls = {c.name: CameraControl(c.name) for c in config.cameras}
    published: list[tuple[str, bytes]] = []
    handler = CommandHandler(
        base, controls, lambda t, p, r: published.append((t, p)), lambda name: {"name": name}
    )
    fleet = FleetView(base, installation_of(config, "pi-1a2b3c", "pi", "1"), lambda _: None)
    send = lambda t, p, r: published.append((t, p))  # noqa: E731
    add_fleet_watch_actions(handler, FleetWatches(base, fleet, send, WatchBook(None, 10)))
    prefix = topics.command(base, "")
    with FramesArriving(controls.values()):  # a snapshot is answered once it is published
        for topic, _, payload in entities(config):
            for key in ("payload_press", "payload_on", "payload_off"):
                if key in payload:
                    result = handler.handle(
                        payload["command_topic"].removeprefix(prefix), payload[key].encode()
                    )
                    assert result.ok, f"{topic}: {key}: {result.error}"
    assert all(control.paused is False for control in controls.values())  # pause, then unpause


@needs_jinja
def test_count_and_presence_templates_read_the_camera_state() -> None:
    config = CONFIGS["farm"]
    state = CameraState(
        camera="barn",
        updated_at=datetime.now(UTC),
        counts={"cow": 3, "person": 1},
        zones={"gate": {"cow": 2}, "yard": {"cow": 1, "person": 1}},
    ).model_dump_json()
    expected = {
        "sensor.camera_barn_cow_count": "3",
        "sensor.camera_barn_person_count": "1",
        "sensor.camera_barn_sheep_count": "0",
        "sensor.camera_barn_gate_cow_count": "2",
        "sensor.camera_barn_gate_person_count": "0",
        "sensor.camera_barn_yard_person_count": "1",
        "binary_sensor.camera_barn_cow_present": "ON",
        "binary_sensor.camera_barn_dog_present": "OFF",
    }
    for entity_id, value in expected.items():
        component = entity_id.split(".")[0]
        payload = find(config, component, entity_id)
        assert render(payload["value_template"], state) == value, entity_id


@needs_jinja
def test_a_zone_missing_from_the_state_counts_zero() -> None:
    payload = find(CONFIGS["farm"], "sensor", "sensor.camera_barn_gate_cow_count")
    state = CameraState(camera="barn", updated_at=datetime.now(UTC), counts={}, zones={})
    assert render(payload["value_template"], state.model_dump_json()) == "0"


def make_event(title: str = "2 cows arrived at the gate") -> Event:
    return support_event(
        "zone_enter",
        [obj("cow", 2, ["gate"], track_ids=[1, 2])],
        rule="livestock_through_gate",
        title=title,
        summary="At 05:12, 2 cows arrived at the gate.",
    )


@needs_jinja
def test_event_template_gives_home_assistant_an_event_type_and_attributes() -> None:
    payload = find(CONFIGS["farm"], "event", "event.camera_barn_event")
    assert payload["event_types"] == list(EVENT_TYPES)
    assert set(EVENT_TYPES) == {
        "arrival",
        "departure",
        "zone_enter",
        "zone_exit",
        "dwell",
        "count_change",
    }
    event = make_event()
    # As HA's MQTT event does: the rendered text is a JSON object; event_type is popped.
    attributes = json.loads(render(payload["value_template"], event.model_dump_json()))
    assert attributes.pop("event_type") == "zone_enter"
    assert attributes == {
        "title": event.title,
        "summary": event.summary,
        "severity": "info",
        "objects": [o.model_dump() for o in event.objects],
        "id": event.id,
        "summary_source": "template",
    }


@needs_jinja
def test_last_event_sensor_shows_the_title_and_keeps_the_summary_in_attributes() -> None:
    payload = find(CONFIGS["farm"], "sensor", "sensor.camera_barn_last_event")
    event = make_event(title="x" * 255).model_copy(
        update={"summary": "Two cows came in through the gate.", "summary_source": "ollama:q"}
    )
    text = event.model_dump_json()
    assert len(render(payload["value_template"], text)) <= MAX_STATE_CHARS
    attributes = json.loads(render(payload["json_attributes_template"], text))
    assert attributes == {
        "summary": "Two cows came in through the gate.",
        "summary_source": "ollama:q",
        "kind": "zone_enter",
        "severity": "info",
        "objects": json.loads(text)["objects"],
        "id": event.id,
        "started_at": json.loads(text)["started_at"],
    }


@needs_jinja
def test_diagnostic_templates_read_the_diagnostics_payloads() -> None:
    config = CONFIGS["farm"]
    camera = CameraDiagnostics(
        fps=4.87, detector_ms=61.5, frames=100, events=3, paused=False, running=True
    ).model_dump_json()
    frame_rate = find(config, "sensor", "sensor.camera_barn_frame_rate")
    assert render(frame_rate["value_template"], camera) == "4.87"
    latency = find(config, "sensor", "sensor.camera_barn_detector_latency")
    assert render(latency["value_template"], camera) == "61.5"

    agent = AgentDiagnostics(
        model_seconds_p50=None,
        pending_summaries=2,
        outbox_depth=None,
        wording={},
        storage_free_mb=812.5,
        history_pending=3,
    ).model_dump_json()
    rendered = {
        entity_id: render(find(config, "sensor", entity_id)["value_template"], agent)
        for entity_id in (
            "sensor.edge_vision_agent_pi_farm_3fa9c2_model_latency",
            "sensor.edge_vision_agent_pi_farm_3fa9c2_pending_summaries",
            "sensor.edge_vision_agent_pi_farm_3fa9c2_outbox_depth",
            "sensor.edge_vision_agent_pi_farm_3fa9c2_storage_free",
            "sensor.edge_vision_agent_pi_farm_3fa9c2_history_pending",
        )
    }
    # "None" is what Home Assistant's MQTT sensor reads as unknown (its PAYLOAD_NONE).
    assert list(rendered.values()) == ["None", "2", "None", "812.5", "3"]


def test_switch_and_buttons_send_what_the_commands_expect() -> None:
    config = CONFIGS["farm"]
    switch = find(config, "switch", "switch.camera_barn_paused")
    assert switch["command_topic"] == "eva/cmd/pause"
    assert switch["payload_on"] == '{"camera": "barn", "paused": true}'
    assert switch["payload_off"] == '{"camera": "barn", "paused": false}'
    assert (switch["state_topic"], switch["state_on"], switch["state_off"]) == (
        "eva/barn/paused",
        "ON",
        "OFF",
    )
    assert switch["optimistic"] is False
    snapshot = find(config, "button", "button.camera_barn_snapshot_now")
    assert (snapshot["command_topic"], snapshot["payload_press"]) == (
        "eva/cmd/snapshot",
        '{"camera": "barn"}',
    )
    digest = find(config, "button", "button.edge_vision_fleet_digest_now")
    assert (digest["command_topic"], digest["payload_press"]) == ("eva/cmd/digest", "{}")
    image = find(config, "image", "image.camera_barn_snapshot")
    assert (image["image_topic"], image["content_type"]) == ("eva/barn/snapshot", "image/jpeg")


@needs_jinja
def test_ask_box_sends_a_question_and_the_answer_sensor_shows_it(tmp_path: Path) -> None:
    from support.ask_history import seeded_asker

    from agent.service.ask_action import add_ask_action

    config = CONFIGS["farm"]
    ask = find(config, "text", "text.edge_vision_fleet_ask")
    assert (ask["command_topic"], ask["max"], ask["mode"]) == ("eva/cmd/ask", 255, "text")
    # A command template gets only `value`, the text typed into the box.
    command = ImmutableSandboxedEnvironment().from_string(ask["command_template"])
    quoted = 'He said "hi" \\ twice'
    assert json.loads(command.render(value=quoted)) == {"question": quoted}
    question = "How many cows came to the gate today?"
    payload = command.render(value=question)

    asker, history, _ = seeded_asker(tmp_path)
    published: list[tuple[str, bytes, bool]] = []
    handler = CommandHandler("eva", {}, lambda t, p, r: None)
    add_ask_action(handler, asker, "eva", lambda t, p, r: published.append((t, p, r)))
    result = handler.handle("ask", payload.encode())
    history.close()
    assert result.ok and result.result is not None
    topic, answer, retain = published[-1]
    assert (topic, retain) == ("eva/answer", True)
    sensor = find(config, "sensor", "sensor.edge_vision_fleet_answer")
    long_answer = json.loads(answer) | {"text": "y" * 400}
    assert render(sensor["value_template"], json.dumps(long_answer)) == "y" * MAX_STATE_CHARS
    attributes = json.loads(render(sensor["json_attributes_template"], answer.decode()))
    assert attributes["text"] == result.result["text"]
    assert attributes["facts"]["count"] == 1 and attributes["read_by"] == "parser"
    assert render(ask["value_template"], answer.decode()) == question


def test_entity_labels_prefer_home_assistant_then_camera_then_rules() -> None:
    rules = [
        RuleConfig(name="a", labels=["fox", "person"]),
        RuleConfig(name="b", kind="departure", labels=["person", "hen"]),
    ]
    camera = CameraConfig(name="hens", rules=rules)
    assert entity_labels(camera, HomeAssistantConfig()) == ["fox", "person", "hen"]
    assert entity_labels(camera, HomeAssistantConfig(labels=["fox"])) == ["fox"]
    labelled = CameraConfig(name="hens", labels=["fox", "hen", "person"], rules=rules)
    assert entity_labels(labelled, HomeAssistantConfig()) == ["fox", "hen", "person"]
    assert entity_labels(CameraConfig(), HomeAssistantConfig()) == list(DEFAULT_LABELS)


@needs_jinja
def test_labels_with_spaces_get_valid_ids_and_working_templates() -> None:
    config = named(AppConfig(cameras=[CameraConfig(name="street", labels=["traffic light"])]))
    payload = find(config, "sensor", "sensor.camera_street_traffic_light_count")
    assert re.fullmatch(ID_PATTERN, payload["unique_id"])
    state = CameraState(
        camera="street", updated_at=datetime.now(UTC), counts={"traffic light": 2}, zones={}
    )
    assert render(payload["value_template"], state.model_dump_json()) == "2"


def test_removal_topics_picks_exactly_this_agents_stale_configs() -> None:
    config = AppConfig(
        mqtt=MqttConfig(client_id="farm"),
        cameras=[CameraConfig(name="barn", labels=["cow"])],
    )
    current = discovery_configs(config, VERSION)
    old = AppConfig(
        mqtt=MqttConfig(client_id="farm"),
        cameras=[
            CameraConfig(name="barn", labels=["cow", "sheep"]),
            CameraConfig(name="gate", labels=["cow"]),
        ],
    )
    previous = discovery_configs(old, VERSION)
    stale = sorted(set(previous) - set(current))
    assert stale and all("sheep" in t or "_gate_" in t for t in stale)

    neighbour = discovery_configs(
        AppConfig(mqtt=MqttConfig(client_id="farm-2"), cameras=[CameraConfig(name="barn")]), VERSION
    )
    retained = {t: json.dumps(p).encode() for t, p in {**previous, **neighbour}.items()}
    retained |= {
        "homeassistant/sensor/other_thing/config": b'{"unique_id": "zigbee_1"}',
        "homeassistant/sensor/eva_farm_broken/config": b"{not json",
        "homeassistant/sensor/eva_farm_list/config": b"[1, 2]",
        # Without a device the unique id decides.
        "homeassistant/sensor/eva_farm_old_thing/config": b'{"unique_id": "eva_farm_old_thing"}',
    }
    found = removal_topics(retained, current, "farm")
    assert found == sorted([*stale, "homeassistant/sensor/eva_farm_old_thing/config"])
    # Node "farm_2" ids also start with "eva_farm_", but its device says it is not ours.
    assert not any("farm_2" in t for t in found)
    assert removal_topics(retained, current, node_id(config)) == found


def test_agent_topics_carry_the_agent_id() -> None:
    assert topics.agent_diagnostics("eva", AGENT) == f"eva/agents/{AGENT}/diagnostics"
    assert topics.status("eva", AGENT) == f"eva/agents/{AGENT}/status"


def test_two_agents_have_their_own_devices_and_share_one_fleet_ask() -> None:
    barn = named(AppConfig(cameras=[CameraConfig(name="barn")]), "pi-barn-1a2b3c")
    gate = named(AppConfig(cameras=[CameraConfig(name="gate")]), "pi-gate-4d5e6f")
    a, b = discovery_configs(barn, VERSION), discovery_configs(gate, VERSION)
    shared = set(a) & set(b)
    # Only the fleet's entities are shared, and both agents send exactly the same for them.
    assert {json.loads(json.dumps(a[t]))["device"]["name"] for t in shared} == {"Edge vision fleet"}
    assert all(a[t] == b[t] for t in shared)
    assert {a[t]["default_entity_id"] for t in shared} == {
        "text.edge_vision_fleet_ask",
        "sensor.edge_vision_fleet_answer",
        "button.edge_vision_fleet_digest_now",
        "sensor.edge_vision_fleet_watches",
        "button.edge_vision_fleet_cancel_watches",
    }
    ids_a = {p["default_entity_id"] for t, p in a.items() if t not in shared}
    ids_b = {p["default_entity_id"] for t, p in b.items() if t not in shared}
    assert not ids_a & ids_b
    status_a = {i["topic"] for p in a.values() for i in p.get("availability", [])}
    assert "eva/agents/pi-barn-1a2b3c/status" in status_a
    assert not any("pi-gate" in t for t in status_a)
    # A fleet entity is no agent's: neither sweeps it away as stale.
    retained = {t: json.dumps(p).encode() for t, p in b.items()}
    assert not set(removal_topics(retained, a, node_id(barn))) & shared


def test_entity_ids_in_the_documentation_exist() -> None:
    doc = (ROOT / "docs" / "home-assistant.md").read_text()
    components = "|".join(COMPONENTS)
    mentioned = set(re.findall(rf"\b(?:{components})\.[a-z0-9_]+\b(?!<)", doc))
    # The cameras of the examples: config/farm.yaml's barn, config/home.yaml's front door,
    # the hens camera the fox example configures, and a porch camera with default labels.
    examples = named(
        AppConfig(
            cameras=[
                CameraConfig(name="hens", labels=["fox", "chicken", "person"]),
                CameraConfig(name="porch"),
            ]
        )
    )
    known = {
        p["default_entity_id"]
        for config in (CONFIGS["farm"], CONFIGS["home"], examples)
        for _, _, p in entities(config)
    }
    assert mentioned and mentioned <= known, sorted(mentioned - known)
