"""Load the notification blueprint in a real Home Assistant and validate an automation made
from it, as Settings -> Automations does.

Home Assistant 2024.3 is the last release that installs on Python 3.11; it needs its own
environment (it pins its own versions of many libraries):

    python3.11 -m venv /tmp/ha && /tmp/ha/bin/pip install homeassistant==2024.3.3 paho-mqtt==1.6.1
    /tmp/ha/bin/python scripts/check-blueprint.py

Exit 0 and one line when it loads and validates, else the error Home Assistant gives.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.components.blueprint.models import Blueprint, BlueprintInputs
from homeassistant.const import __version__
from homeassistant.core import HomeAssistant
from homeassistant.util.yaml import load_yaml

ROOT = Path(__file__).resolve().parent.parent
RELATIVE = "edge-vision-agent/event_notification.yaml"
BLUEPRINT = ROOT / "config/home-assistant/blueprints/automation" / RELATIVE


async def check() -> str:
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
        finally:
            await hass.async_stop(force=True)
    if validated is None or getattr(validated, "validation_failed", False):
        error = getattr(validated, "validation_error", "no configuration")
        raise SystemExit(f"blueprint does not validate in Home Assistant {__version__}: {error}")
    trigger = validated["trigger"][0]
    return (
        f"Home Assistant {__version__}: blueprint {blueprint.name!r} loads; an automation "
        f"from it validates (trigger {trigger['platform']} on {trigger['topic']!r}, "
        f"{len(validated['action'])} action)"
    )


if __name__ == "__main__":
    print(asyncio.run(check()))
    sys.exit(0)
