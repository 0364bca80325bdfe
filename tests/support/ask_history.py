"""The seeded history of the question suite, opened in a test's folder."""

from __future__ import annotations

from pathlib import Path

from agent.adapters.history import EventHistory
from agent.ask.installation import Installation
from agent.ask.service import Asker, ModelReader
from agent.bench.ask.seeded import NOW, live_state, seed_history, seeded_config
from agent.config.schema import AppConfig


def seeded_asker(
    folder: Path, model_reader: ModelReader | None = None, **ask: object
) -> tuple[Asker, EventHistory, AppConfig]:
    """An Asker over the seeded history, its clock at NOW, the live state of NOW."""
    config = seeded_config(folder)
    config = config.model_copy(
        update={"ask": config.ask.model_copy(update={"max_per_minute": 600, **ask})}
    )
    history = EventHistory(folder / "events.db")
    seed_history(history)
    asker = Asker(
        history,
        Installation.from_config(config),
        config.ask,
        model_reader=model_reader,
        live=live_state,
        clock=lambda: NOW,
    )
    return asker, history, config
