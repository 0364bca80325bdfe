"""Home Assistant's rules for MQTT discovery configs, as data, for the discovery tests.

Taken from home-assistant/core, homeassistant/components/mqtt/ (read, not copied):
- schemas.py: MQTT_ENTITY_COMMON_SCHEMA (device, origin, availability, entity options;
  `default_entity_id` replaced the deprecated `object_id` in 2025.10, which warns until it is
  removed in 2026.4), MQTT_ENTITY_DEVICE_INFO_SCHEMA, MQTT_ORIGIN_INFO_SCHEMA and the
  availability schemas.
- config.py: MQTT_BASE_SCHEMA (qos, encoding), MQTT_RO_SCHEMA (state_topic required,
  value_template), MQTT_RW_SCHEMA (command_topic required, optimistic, retain, state_topic).
- text.py (2025): MQTT_RW_SCHEMA plus command_template, value_template, min, max (at most
  255, MAX_LENGTH_STATE_STATE), mode (text or password) and pattern.
- sensor.py, binary_sensor.py, event.py (event_types required; the rendered payload must be
  a JSON object with `event_type`), image.py (exactly one of image_topic / url_topic;
  content_type not with url_topic), switch.py, button.py: each platform's own keys.
- const.py / abbreviations.py: the full key names.
- homeassistant/components/sensor/const.py: state classes, and the units the duration
  device class accepts; binary_sensor/__init__.py: binary sensor device classes;
  event/__init__.py: event device classes; sensor and binary_sensor refuse the `config`
  entity category.
Every discovery schema drops unknown keys silently (REMOVE_EXTRA), so a misspelt key would
go unnoticed in Home Assistant: the tests reject it here instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BASE_KEYS = frozenset({"qos", "encoding"})

ENTITY_COMMON_KEYS = frozenset(
    {
        "availability",
        "availability_mode",
        "availability_template",
        "availability_topic",
        "payload_available",
        "payload_not_available",
        "device",
        "origin",
        "enabled_by_default",
        "entity_category",
        "entity_picture",
        "icon",
        "json_attributes_topic",
        "json_attributes_template",
        "default_entity_id",
        "unique_id",
        "name",
    }
)

# Accepted by some versions, but deprecated: Home Assistant logs a warning for each entity.
DEPRECATED_KEYS = frozenset({"object_id"})

RO_KEYS = BASE_KEYS | {"state_topic", "value_template"}
RW_KEYS = BASE_KEYS | {"command_topic", "optimistic", "retain", "state_topic"}

DEVICE_KEYS = frozenset(
    {
        "identifiers",
        "connections",
        "manufacturer",
        "model",
        "model_id",
        "name",
        "hw_version",
        "serial_number",
        "sw_version",
        "via_device",
        "suggested_area",
        "configuration_url",
    }
)
ORIGIN_KEYS = frozenset({"name", "sw_version", "support_url"})
ORIGIN_REQUIRED = frozenset({"name"})
AVAILABILITY_ITEM_KEYS = frozenset(
    {"topic", "payload_available", "payload_not_available", "value_template"}
)
AVAILABILITY_MODES = frozenset({"all", "any", "latest"})

ENTITY_CATEGORIES = frozenset({"config", "diagnostic"})
STATE_CLASSES = frozenset({"measurement", "measurement_angle", "total", "total_increasing"})
BINARY_SENSOR_DEVICE_CLASSES = frozenset(
    {
        "battery",
        "battery_charging",
        "carbon_monoxide",
        "cold",
        "connectivity",
        "door",
        "garage_door",
        "gas",
        "heat",
        "light",
        "lock",
        "moisture",
        "motion",
        "moving",
        "occupancy",
        "opening",
        "plug",
        "power",
        "presence",
        "problem",
        "running",
        "safety",
        "smoke",
        "sound",
        "tamper",
        "update",
        "vibration",
        "window",
    }
)
# Only the sensor device classes this agent uses, with the units Home Assistant accepts.
SENSOR_DEVICE_CLASS_UNITS: dict[str, frozenset[str]] = {
    "duration": frozenset({"d", "h", "min", "s", "ms", "µs"}),
    # homeassistant/const.py UnitOfInformation (DATA_SIZE accepts every member).
    "data_size": frozenset(
        {"bit", "kbit", "Mbit", "Gbit", "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
        | {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
    ),
}
EVENT_DEVICE_CLASSES = frozenset({"button", "doorbell", "motion"})
BUTTON_DEVICE_CLASSES = frozenset({"identify", "restart", "update"})
SWITCH_DEVICE_CLASSES = frozenset({"outlet", "switch"})

# Keys whose values are Jinja templates.
TEMPLATE_KEYS = frozenset(
    {
        "value_template",
        "json_attributes_template",
        "command_template",
        "availability_template",
        "url_template",
        "last_reset_value_template",
    }
)
# Keys whose values are topics Home Assistant subscribes to or publishes on.
SUBSCRIBE_TOPIC_KEYS = frozenset(
    {"state_topic", "json_attributes_topic", "image_topic", "url_topic", "availability_topic"}
)
PUBLISH_TOPIC_KEYS = frozenset({"command_topic"})


@dataclass(frozen=True)
class ComponentRules:
    """What one platform's discovery schema requires and accepts."""

    required: frozenset[str]
    allowed: frozenset[str]
    values: dict[str, frozenset[str]] = field(default_factory=dict)
    # Exactly one of these keys must be present (image: image_topic or url_topic).
    one_of: frozenset[str] = frozenset()


COMPONENTS: dict[str, ComponentRules] = {
    "sensor": ComponentRules(
        required=frozenset({"state_topic"}),
        allowed=RO_KEYS
        | ENTITY_COMMON_KEYS
        | {
            "device_class",
            "expire_after",
            "force_update",
            "last_reset_value_template",
            "options",
            "suggested_display_precision",
            "state_class",
            "unit_of_measurement",
        },
        values={
            "state_class": STATE_CLASSES,
            "entity_category": frozenset({"diagnostic"}),
            "device_class": frozenset(SENSOR_DEVICE_CLASS_UNITS),
        },
    ),
    "binary_sensor": ComponentRules(
        required=frozenset({"state_topic"}),
        allowed=RO_KEYS
        | ENTITY_COMMON_KEYS
        | {
            "device_class",
            "expire_after",
            "force_update",
            "off_delay",
            "payload_on",
            "payload_off",
        },
        values={
            "device_class": BINARY_SENSOR_DEVICE_CLASSES,
            "entity_category": frozenset({"diagnostic"}),
        },
    ),
    "event": ComponentRules(
        required=frozenset({"state_topic", "event_types"}),
        allowed=RO_KEYS | ENTITY_COMMON_KEYS | {"device_class", "event_types"},
        values={"device_class": EVENT_DEVICE_CLASSES, "entity_category": ENTITY_CATEGORIES},
    ),
    "image": ComponentRules(
        required=frozenset(),
        allowed=BASE_KEYS
        | ENTITY_COMMON_KEYS
        | {"content_type", "image_topic", "url_topic", "image_encoding", "url_template"},
        values={
            "content_type": frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
            "image_encoding": frozenset({"b64"}),
            "entity_category": ENTITY_CATEGORIES,
        },
        one_of=frozenset({"image_topic", "url_topic"}),
    ),
    "switch": ComponentRules(
        required=frozenset({"command_topic"}),
        allowed=RW_KEYS
        | ENTITY_COMMON_KEYS
        | {
            "command_template",
            "payload_on",
            "payload_off",
            "state_on",
            "state_off",
            "value_template",
            "device_class",
        },
        values={"device_class": SWITCH_DEVICE_CLASSES, "entity_category": ENTITY_CATEGORIES},
    ),
    "text": ComponentRules(
        required=frozenset({"command_topic"}),
        allowed=RW_KEYS
        | ENTITY_COMMON_KEYS
        | {"command_template", "value_template", "min", "max", "mode", "pattern"},
        values={"mode": frozenset({"text", "password"}), "entity_category": ENTITY_CATEGORIES},
    ),
    "button": ComponentRules(
        required=frozenset({"command_topic"}),
        allowed=BASE_KEYS
        | ENTITY_COMMON_KEYS
        | {"command_template", "command_topic", "device_class", "payload_press", "retain"},
        values={"device_class": BUTTON_DEVICE_CLASSES, "entity_category": ENTITY_CATEGORIES},
    ),
}

# Longest state Home Assistant keeps; a longer one becomes "unknown" (mqtt/util.py).
MAX_STATE_CHARS = 255
# <prefix>/<component>/[<node_id>/]<object_id>/config: ids of [a-zA-Z0-9_-].
ID_PATTERN = r"[a-zA-Z0-9_-]+"
