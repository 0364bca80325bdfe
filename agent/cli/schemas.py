"""JSON Schemas of every payload the agent publishes, written to docs/ for consumers."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from agent.ask.answer import Answer
from agent.core.digest import Digest
from agent.core.events import CameraState, Event, EventUpdate
from agent.service.commands import CommandResult
from agent.service.diagnostics import AgentDiagnostics, CameraDiagnostics

PAYLOADS: dict[str, type[BaseModel]] = {
    "event.schema.json": Event,
    "event-update.schema.json": EventUpdate,
    "state.schema.json": CameraState,
    "digest.schema.json": Digest,
    "command-result.schema.json": CommandResult,
    "camera-diagnostics.schema.json": CameraDiagnostics,
    "agent-diagnostics.schema.json": AgentDiagnostics,
    "answer.schema.json": Answer,
}


def render(model: type[BaseModel]) -> str:
    """The schema as stable, pretty JSON text."""
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """Write every payload schema into `folder`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in PAYLOADS.items():
        path = folder / name
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written
