"""The package layout keeps the per-camera core pure: no MQTT, history or language models."""

from __future__ import annotations

import ast
from pathlib import Path

import agent.core

FORBIDDEN = ("agent.mqtt", "agent.history", "agent.llm", "agent.ha", "paho", "ollama", "sqlite3")
CORE = Path(agent.core.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_core_package_holds_the_camera_modules() -> None:
    found = {p.stem for p in CORE.glob("*.py")}
    assert {"camera", "tracking", "zones", "rules", "coalesce", "frame_clock", "events"} <= found


def test_the_core_imports_nothing_from_mqtt_history_or_language_models() -> None:
    offenders = {
        f"{path.name}: {name}"
        for path in CORE.rglob("*.py")
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN)
    }
    assert not offenders, offenders


def test_a_forbidden_import_would_be_caught(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from agent.mqtt.publisher import MqttPublisher\nimport ollama\n")
    assert {n for n in imported_modules(bad) if n.startswith(FORBIDDEN)} == {
        "agent.mqtt.publisher",
        "ollama",
    }
