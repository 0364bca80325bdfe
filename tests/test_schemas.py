"""The schemas in docs/ are the ones the code publishes, and events validate against them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from agent.cli.schemas import PAYLOADS, render

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_docs_schema_is_current(name: str) -> None:
    committed = (DOCS / name).read_text(encoding="utf-8")
    assert committed == render(PAYLOADS[name]), f"run `eva schema` to refresh docs/{name}"


def test_an_event_validates_against_the_published_schema() -> None:
    from support.scenes import T0, box_at, dets

    from agent.config.schema import CameraConfig
    from agent.core.camera import CameraCore

    core = CameraCore(CameraConfig(name="c"), "en")
    events = []
    for i in range(4):
        events += core.step(dets(("person", box_at(0.5, 0.9), 0.8)), T0 + i).events
    events += core.finish()
    assert events
    schema = json.loads((DOCS / "event.schema.json").read_text())
    for e in events:
        jsonschema.validate(json.loads(e.model_dump_json()), schema)
