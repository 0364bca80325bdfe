"""Load the notification blueprint in a real Home Assistant and validate an automation made
from it, as Settings -> Automations does.

Home Assistant 2024.3 is the last release that installs on Python 3.11; it needs its own
environment (it pins its own versions of many libraries):

    python3.11 -m venv /tmp/ha && /tmp/ha/bin/pip install homeassistant==2024.3.3 paho-mqtt==1.6.1
    /tmp/ha/bin/python scripts/check-blueprint.py

Exit 0 and one line when it loads and validates, else the error Home Assistant gives.

    /tmp/ha/bin/python scripts/check-blueprint.py --render messages.json

also runs the automation's templates in Home Assistant's own template engine for each MQTT
message of messages.json (a list of {"topic", "payload"}, e.g. the agent's real payloads,
written by tests/test_ha_blueprint.py) and prints, as JSON, whether each one passes the
condition and the service call it makes.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.components.blueprint.models import Blueprint, BlueprintInputs
from homeassistant.const import __version__
from homeassistant.core import HomeAssistant
from homeassistant.util.yaml import load_yaml

ROOT = Path(__file__).resolve().parent.parent
RELATIVE = "edge-vision-agent/event_notification.yaml"
BLUEPRINT = ROOT / "config/home-assistant/blueprints/automation" / RELATIVE


def _render(hass: HomeAssistant, raw: object, variables: dict[str, Any], native: bool) -> Any:
    from homeassistant.helpers.template import Template

    if isinstance(raw, dict):
        return {k: _render(hass, v, variables, native) for k, v in raw.items()}
    if not isinstance(raw, str):
        return raw
    return Template(raw, hass).async_render(variables, parse_result=native)


def _run(hass: HomeAssistant, automation: dict[str, Any], topic: str, payload: str) -> Any:
    """What the automation does with one MQTT message, as Home Assistant renders it."""
    from paho.mqtt.client import topic_matches_sub

    variables: dict[str, Any] = {
        k: _render(hass, v, {}, True) for k, v in automation["trigger_variables"].items()
    }
    (trigger,) = [
        t
        for t in automation["trigger"]
        if topic_matches_sub(_render(hass, t["topic"], variables, False), topic)
    ]
    try:
        payload_json = json.loads(payload)
    except ValueError:
        payload_json = None
    variables["trigger"] = {
        "platform": "mqtt",
        "id": trigger.get("id", "0"),
        "topic": topic,
        "payload": payload,
        "payload_json": payload_json,
    }
    for name, value in automation["variables"].items():
        variables[name] = _render(hass, value, variables, True)
    passed = all(
        _render(hass, c["value_template"], variables, True) is True for c in automation["condition"]
    )
    action = automation["action"][0]
    call = {"service": _render(hass, action["service"], variables, False)}
    call |= _render(hass, action["data"], variables, False) if passed else {}
    return {"trigger": trigger.get("id"), "passed": passed, "call": call}


async def check(messages: list[dict[str, str]] | None = None) -> str:
    blueprint = Blueprint(load_yaml(BLUEPRINT), expected_domain="automation")
    use = {
        "use_blueprint": {
            "path": RELATIVE,
            "input": {"notify_service": "notify.mobile_app_pixel_7", "cameras": ["barn"]},
        }
    }
    inputs = BlueprintInputs(blueprint, use)
    inputs.validate()
    automation = {"id": "eva_notify", "alias": "Edge vision to phone", **inputs.async_substitute()}
    from homeassistant import loader  # after core: importing it first is circular in 2024.3

    with tempfile.TemporaryDirectory() as config_dir:
        hass = HomeAssistant(config_dir)
        loader.async_setup(hass)
        try:
            validated = await async_validate_config_item(hass, "eva_notify", automation)
            rendered = [_run(hass, automation, m["topic"], m["payload"]) for m in messages or []]
        finally:
            await hass.async_stop(force=True)
    if validated is None or getattr(validated, "validation_failed", False):
        error = getattr(validated, "validation_error", "no configuration")
        raise SystemExit(f"blueprint does not validate in Home Assistant {__version__}: {error}")
    if messages is not None:
        return json.dumps(rendered, ensure_ascii=False)
    triggers = ", ".join(
        f"{t['platform']} on {t['topic'].template!r}" for t in validated["trigger"]
    )
    return (
        f"Home Assistant {__version__}: blueprint {blueprint.name!r} loads; an automation "
        f"from it validates (triggers: {triggers}; {len(validated['action'])} action)"
    )


if __name__ == "__main__":
    given = None
    if sys.argv[1:2] == ["--render"]:
        given = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    print(asyncio.run(check(given)))
    sys.exit(0)
