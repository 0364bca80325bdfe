"""Home Assistant MQTT discovery payloads, built from the configuration: pure, no MQTT.

One retained config per entity on ``<prefix>/<component>/<object_id>/config``, with full key
names. The agent is one device; each camera is a device connected through it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from agent.adapters.mqtt import topics
from agent.adapters.mqtt.identity import agent_id_for
from agent.config.schema import AppConfig, CameraConfig, HomeAssistantConfig
from agent.core.kinds import EventKind
from agent.core.settings import ZoneConfig

log = logging.getLogger(__name__)

Payload = dict[str, Any]

DEFAULT_LABELS: tuple[str, ...] = ("person", "car", "dog", "cat")
EVENT_TYPES: tuple[str, ...] = get_args(EventKind)
ORIGIN_NAME = "edge-vision-agent"
AGENT_DEVICE_NAME = "Edge vision agent"
FLEET_DEVICE_NAME = "Edge vision fleet"
STATE_MAX_CHARS = 255  # Home Assistant turns a longer state into "unknown"


def slug(text: str) -> str:
    """Lower-case letters, digits and single underscores, as Home Assistant slugifies ASCII."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


def agent_id(config: AppConfig) -> str:
    """This agent's id in its own topics; the app fills mqtt.client_id in before this."""
    if config.mqtt.client_id is None:
        raise ValueError("mqtt.client_id is not resolved yet (agent.adapters.mqtt.identity)")
    return agent_id_for(config.mqtt.client_id)


def node_id(config: AppConfig) -> str:
    """This agent's id in unique ids and device identifiers: a slug of the MQTT client id."""
    return slug(agent_id(config))


def fleet_node_id(base_topic: str) -> str:
    """The fleet's id in unique ids: every agent on one base topic makes the same."""
    return f"fleet_{slug(base_topic)}"


def entity_labels(camera: CameraConfig, ha: HomeAssistantConfig) -> list[str]:
    """Labels that get count and presence entities on a camera."""
    if ha.labels:
        return list(ha.labels)
    if camera.labels:
        return list(camera.labels)
    named = [label for rule in camera.rules for label in rule.labels]
    return list(dict.fromkeys(named)) or list(DEFAULT_LABELS)


@dataclass(frozen=True)
class _Entity:
    component: str
    what: str  # part of the unique id, unique per device
    name: str
    options: Payload = field(default_factory=dict)


def discovery_configs(config: AppConfig, version: str) -> dict[str, Payload]:
    """Every discovery topic of this agent mapped to its config payload, agent device last."""
    node = node_id(config)
    base = config.mqtt.base_topic
    fleet_id = fleet_node_id(base)
    agent_device: Payload = {
        "identifiers": [f"eva_{node}"],
        # The id in the name: several agents' devices and entity ids must not collide.
        "name": f"{AGENT_DEVICE_NAME} {agent_id(config)}",
        "manufacturer": ORIGIN_NAME,
        "model": "Vision agent",
        "sw_version": version,
    }
    common: Payload = {
        "availability": [
            {
                "topic": topics.status(base, agent_id(config)),
                "payload_available": "online",
                "payload_not_available": "offline",
            }
        ],
        "origin": {"name": ORIGIN_NAME, "sw_version": version},
        "qos": 1,
    }
    configs: dict[str, Payload] = {}
    seen: set[str] = set()

    def add(
        owner: str,
        device: Payload,
        entities: Iterable[_Entity],
        camera: str | None = None,
        *,
        fleet: bool = False,
    ) -> None:
        # A camera's entities are unavailable when the agent or that camera is offline.
        available = common
        if fleet:  # every agent sends the same; none of them alone decides availability
            available = {k: v for k, v in common.items() if k != "availability"}
        elif camera is not None:
            available = {
                **common,
                "availability": [
                    *common["availability"],
                    {
                        "topic": topics.camera_status(base, camera),
                        "payload_available": "online",
                        "payload_not_available": "offline",
                    },
                ],
                "availability_mode": "all",
            }
        for entity in entities:
            unique_id = (
                f"eva_{fleet_id}_{entity.what}" if fleet else f"eva_{node}_{owner}_{entity.what}"
            )
            if unique_id in seen:  # only if a label and a zone+label slug to the same id
                log.warning("Home Assistant discovery: skipping duplicate entity %s", unique_id)
                continue
            seen.add(unique_id)
            topic = (
                f"{config.home_assistant.discovery_prefix}/{entity.component}/{unique_id}/config"
            )
            configs[topic] = {
                "name": entity.name,
                "unique_id": unique_id,
                "default_entity_id": default_entity_id(entity.component, device, entity.name),
                **entity.options,
                **available,
                "device": device,
            }

    for camera in config.cameras:
        device = {
            "identifiers": [f"eva_{node}_{camera.name}"],
            "name": f"Camera {camera.name}",
            "manufacturer": ORIGIN_NAME,
            "model": "Camera",
            "via_device": f"eva_{node}",
        }
        add(camera.name, device, _camera_entities(camera, config.home_assistant, base), camera.name)
    add("agent", agent_device, _agent_entities(base, agent_id(config)))
    fleet_device: Payload = {
        "identifiers": [f"eva_{fleet_id}"],
        "name": FLEET_DEVICE_NAME,
        "manufacturer": ORIGIN_NAME,
        "model": "Fleet of vision agents",
    }
    add("fleet", fleet_device, _fleet_entities(base), fleet=True)
    return configs


def default_entity_id(component: str, device: Mapping[str, Any], name: str) -> str:
    """The entity id Home Assistant derives from device and entity names anyway.

    `default_entity_id` replaced `object_id` in Home Assistant 2025.10; older versions drop
    the unknown key, and then name the entity the same way, so both agree.
    """
    device_name = str(device["name"])
    return f"{component}.{slug(device_name + ' ' + name)}"


def removal_topics(
    retained_configs: Mapping[str, bytes], current: Mapping[str, Payload], node: str
) -> list[str]:
    """Retained discovery topics of this agent that `current` no longer has (to be emptied)."""
    stale = []
    for topic, payload in retained_configs.items():
        if topic in current:
            continue
        try:
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and _belongs_to(data, node):
            stale.append(topic)
    return sorted(stale)


def _belongs_to(data: Mapping[str, Any], node: str) -> bool:
    agent_id = f"eva_{node}"
    device = data.get("device")
    if isinstance(device, dict):
        # Decided by the device where there is one: a unique-id prefix alone cannot tell
        # node "farm" from node "farm_2", whose ids also start with "eva_farm_".
        identifiers = device.get("identifiers")
        ids = [identifiers] if isinstance(identifiers, str) else identifiers
        return device.get("via_device") == agent_id or (isinstance(ids, list) and agent_id in ids)
    unique_id = data.get("unique_id")
    return isinstance(unique_id, str) and unique_id.startswith(f"{agent_id}_")


def _camera_entities(camera: CameraConfig, ha: HomeAssistantConfig, base: str) -> list[_Entity]:
    state = topics.state(base, camera.name)
    labels = entity_labels(camera, ha)
    entities = [_count(state, label) for label in labels]
    entities += [_count(state, label, zone) for zone in camera.zones for label in labels]
    entities += [
        _Entity(
            "binary_sensor",
            f"{slug(label)}_present",
            f"{_title(label)} present",
            {
                "state_topic": state,
                "value_template": (
                    f"{{{{ 'ON' if value_json.counts.get({_lit(label)}, 0) > 0 else 'OFF' }}}}"
                ),
                "device_class": "occupancy",
            },
        )
        for label in labels
    ]
    last_event = topics.last_event(base, camera.name)
    camera_json = json.dumps({"camera": camera.name})
    entities += [
        _Entity(
            "event",
            "event",
            "Event",
            {
                "state_topic": topics.events(base, camera.name),
                "event_types": list(EVENT_TYPES),
                # HA's MQTT event wants a JSON object with event_type; other keys are attributes.
                "value_template": _json_template(
                    {"event_type": "kind"}
                    | {k: k for k in ("title", "summary", "severity", "objects", "id")}
                    | {"summary_source": "summary_source"}
                ),
                "icon": "mdi:cctv",
            },
        ),
        _Entity(
            "sensor",
            "last_event",
            "Last event",
            {
                "state_topic": last_event,
                "value_template": f"{{{{ value_json.title[:{STATE_MAX_CHARS}] }}}}",
                "json_attributes_topic": last_event,
                "json_attributes_template": _json_template(
                    {
                        k: k
                        for k in (
                            "summary",
                            "summary_source",
                            "kind",
                            "severity",
                            "objects",
                            "id",
                            "started_at",
                        )
                    }
                ),
                "icon": "mdi:message-text-outline",
            },
        ),
        _Entity(
            "image",
            "snapshot",
            "Snapshot",
            {"image_topic": topics.snapshot(base, camera.name), "content_type": "image/jpeg"},
        ),
        _Entity(
            "switch",
            "paused",
            "Paused",
            {
                "command_topic": topics.command(base, "pause"),
                "payload_on": json.dumps({"camera": camera.name, "paused": True}),
                "payload_off": json.dumps({"camera": camera.name, "paused": False}),
                "state_topic": topics.paused(base, camera.name),
                "state_on": "ON",
                "state_off": "OFF",
                "optimistic": False,
                "icon": "mdi:pause-circle-outline",
            },
        ),
        _Entity(
            "button",
            "snapshot_now",
            "Snapshot now",
            {
                "command_topic": topics.command(base, "snapshot"),
                "payload_press": camera_json,
                "icon": "mdi:camera",
            },
        ),
    ]
    diagnostics = topics.diagnostics(base, camera.name)
    entities += [
        _diagnostic(diagnostics, "frame_rate", "Frame rate", "fps", unit="fps", precision=1),
        _diagnostic(diagnostics, "detector_latency", "Detector latency", "detector_ms", unit="ms"),
    ]
    return entities


def _fleet_entities(base: str) -> list[_Entity]:
    """What the fleet answers once, whichever agent (or the hub) answers it."""
    return [
        _Entity(
            "button",
            "digest_now",
            "Digest now",
            {
                "command_topic": topics.command(base, "digest"),
                "payload_press": "{}",
                "icon": "mdi:text-box-outline",
            },
        ),
        *_ask_entities(base),
        *_watch_entities(base),
    ]


def _agent_entities(base: str, agent: str) -> list[_Entity]:
    diagnostics = topics.agent_diagnostics(base, agent)
    return [
        # A null figure renders as "None", which Home Assistant's MQTT sensor reads as unknown.
        _diagnostic(
            diagnostics,
            "model_latency",
            "Model latency",
            "model_seconds_p50",
            unit="s",
            precision=1,
        ),
        _diagnostic(diagnostics, "pending_summaries", "Pending summaries", "pending_summaries"),
        _diagnostic(diagnostics, "outbox_depth", "Outbox depth", "outbox_depth"),
        _diagnostic(diagnostics, "storage_free", "Storage free", "storage_free_mb", unit="MB"),
        _diagnostic(diagnostics, "history_pending", "History pending", "history_pending"),
    ]


def _ask_entities(base: str) -> list[_Entity]:
    """A text box that sends a question, and a sensor with the latest answer."""
    answer = topics.answer(base)
    return [
        _Entity(
            "text",
            "ask",
            "Ask",
            {
                "command_topic": topics.command(base, "ask"),
                "command_template": '{{ {"question": value} | tojson }}',
                "state_topic": answer,
                "value_template": f"{{{{ value_json.question[:{STATE_MAX_CHARS}] }}}}",
                "max": STATE_MAX_CHARS,
                "mode": "text",
                "icon": "mdi:chat-question-outline",
            },
        ),
        _Entity(
            "sensor",
            "answer",
            "Answer",
            {
                "state_topic": answer,
                "value_template": f"{{{{ value_json.text[:{STATE_MAX_CHARS}] }}}}",
                "json_attributes_topic": answer,
                "json_attributes_template": _json_template(
                    {
                        k: k
                        for k in (
                            "text",
                            "question",
                            "understood",
                            "read_by",
                            "answered",
                            "facts",
                            "at",
                        )
                    }
                ),
                "icon": "mdi:chat-outline",
            },
        ),
    ]


def _watch_entities(base: str) -> list[_Entity]:
    """The standing questions waiting ('tell me when…', asked in the Ask box), and a button
    that cancels them all."""
    waiting = topics.watches(base)
    return [
        _Entity(
            "sensor",
            "watches",
            "Watches",
            {
                "state_topic": waiting,
                "value_template": "{{ value_json.count }}",
                "json_attributes_topic": waiting,
                "json_attributes_template": _json_template({"watches": "watches"}),
                "icon": "mdi:eye-outline",
            },
        ),
        _Entity(
            "button",
            "cancel_watches",
            "Cancel watches",
            {
                "command_topic": topics.command(base, "unwatch"),
                "payload_press": "{}",
                "icon": "mdi:eye-off-outline",
            },
        ),
    ]


def _count(state_topic: str, label: str, zone: ZoneConfig | None = None) -> _Entity:
    """Objects of a label in view, or in one zone; a label or zone absent from the state is 0."""
    if zone is None:
        expression = f"value_json.counts.get({_lit(label)}, 0)"
        what, name = f"{slug(label)}_count", f"{_title(label)} count"
    else:
        expression = f"value_json.zones.get({_lit(zone.name)}, {{}}).get({_lit(label)}, 0)"
        what = f"{slug(zone.name)}_{slug(label)}_count"
        name = f"{_title(zone.display)} {label} count"
    return _Entity(
        "sensor",
        what,
        name,
        {
            "state_topic": state_topic,
            "value_template": f"{{{{ {expression} }}}}",
            "state_class": "measurement",
            "unit_of_measurement": "objects",
            "icon": "mdi:counter",
        },
    )


def _diagnostic(
    topic: str, what: str, name: str, key: str, *, unit: str | None = None, precision: int = 0
) -> _Entity:
    options: Payload = {
        "state_topic": topic,
        "value_template": f"{{{{ value_json.{key} }}}}",
        "state_class": "measurement",
        "entity_category": "diagnostic",
        "suggested_display_precision": precision,
    }
    if unit in ("s", "ms"):
        options["device_class"] = "duration"
    elif unit == "MB":
        options["device_class"] = "data_size"
    if unit is not None:
        options["unit_of_measurement"] = unit
    return _Entity("sensor", what, name, options)


def _json_template(fields: Mapping[str, str]) -> str:
    """A template rendering a JSON object: output key -> key of the payload's JSON."""
    items = ", ".join(f"{_lit(out)}: value_json.{key}" for out, key in fields.items())
    return f"{{{{ {{{items}}} | tojson }}}}"


def _lit(text: str) -> str:
    """A Jinja string literal (JSON's double-quoted form is one)."""
    return json.dumps(text)


def _title(text: str) -> str:
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]
