"""The history the held-out questions are asked over: three cameras, eight days.

The clock stands at Thursday 3 December 2026, 14:00 UTC (the suite's NOW). The events are
placed so that everyday phrasings have answers that differ when read wrongly: the hens went
in yesterday evening (not this evening), the cows were let out through the gate and came
back, short visits last seconds, a car is still in the yard.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from agent.adapters.history import EventHistory
from agent.bench.ask.seeded import NOW, Seed, seed_history
from agent.config.schema import AppConfig
from agent.core.events import CameraState


def _at(month: int, day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, month, day, hh, mm, ss, tzinfo=UTC)


SEEDS: tuple[Seed, ...] = (
    Seed(_at(11, 25, 9, 0), "barn", "arrival", "cow", 3),
    Seed(_at(11, 28, 10, 0), "yard", "arrival", "horse", 1, ("yard",)),
    Seed(_at(11, 28, 10, 40), "yard", "departure", "horse", 1, ("yard",)),
    Seed(_at(11, 29, 16, 0), "house", "arrival", "person", 2, ("porch",)),
    # Monday 30.11
    Seed(_at(11, 30, 7, 10), "barn", "zone_exit", "cow", 4, ("gate",)),
    Seed(_at(11, 30, 8, 45, 0), "house", "arrival", "person", 1, ("porch",)),
    Seed(_at(11, 30, 8, 45, 40), "house", "departure", "person", 1, ("porch",)),
    Seed(_at(11, 30, 18, 20), "barn", "zone_enter", "cow", 4, ("gate",)),
    # Tuesday 01.12
    Seed(_at(12, 1, 9, 0), "house", "arrival", "person", 1, ("porch",)),
    Seed(_at(12, 1, 9, 25), "house", "departure", "person", 1, ("porch",)),
    Seed(_at(12, 1, 15, 0), "yard", "arrival", "car", 1, ("yard",)),
    Seed(_at(12, 1, 15, 40), "yard", "departure", "car", 1, ("yard",)),
    # Wednesday 02.12 (yesterday)
    Seed(_at(12, 2, 7, 0), "barn", "zone_exit", "cow", 2, ("gate",)),
    Seed(_at(12, 2, 10, 30, 0), "house", "arrival", "person", 2, ("porch",)),
    Seed(_at(12, 2, 10, 31, 15), "house", "departure", "person", 2, ("porch",)),
    Seed(_at(12, 2, 11, 15), "yard", "arrival", "dog", 1, ("yard",)),
    Seed(_at(12, 2, 11, 50), "yard", "departure", "dog", 1, ("yard",)),
    Seed(_at(12, 2, 17, 34), "barn", "zone_enter", "bird", 7, ("coop",)),
    Seed(_at(12, 2, 18, 10), "barn", "zone_enter", "cow", 2, ("gate",)),
    Seed(_at(12, 2, 19, 40), "barn", "arrival", "cat", 1, ("coop",)),
    Seed(_at(12, 2, 20, 5), "barn", "departure", "cat", 1, ("coop",)),
    Seed(_at(12, 2, 21, 0), "yard", "arrival", "car", 1, ("yard",)),
    # Thursday 03.12 (today, until 14:00)
    Seed(_at(12, 3, 2, 30), "yard", "arrival", "cat", 1, ("yard",)),
    Seed(_at(12, 3, 5, 12), "yard", "departure", "car", 1, ("yard",)),
    Seed(_at(12, 3, 6, 30, 0), "house", "arrival", "person", 1, ("porch",)),
    Seed(_at(12, 3, 6, 30, 30), "house", "departure", "person", 1, ("porch",)),
    Seed(_at(12, 3, 7, 5), "barn", "zone_exit", "bird", 7, ("coop",)),
    Seed(_at(12, 3, 8, 0), "barn", "zone_exit", "cow", 2, ("gate",)),
    Seed(_at(12, 3, 9, 20, 0), "house", "arrival", "person", 1, ("porch",)),
    Seed(_at(12, 3, 9, 20, 50), "house", "departure", "person", 1, ("porch",)),
    Seed(_at(12, 3, 12, 40), "house", "arrival", "person", 1, ("porch",)),
    Seed(_at(12, 3, 12, 43), "house", "dwell", "person", 1, ("porch",)),
    Seed(_at(12, 3, 13, 5), "house", "departure", "person", 1, ("porch",)),
    Seed(_at(12, 3, 13, 30), "yard", "arrival", "car", 1, ("yard",)),
)

# The vocabulary of docs/ask.md, base forms only: case forms are the reader's job.
CONFIG = {
    "language": "en",
    "cameras": [
        {
            "name": "barn",
            "source": {"type": "demo"},
            "zones": [
                {"name": "coop", "preposition": "in"},
                {"name": "gate", "preposition": "at"},
            ],
            "rules": [
                {"name": "arrivals", "kind": "arrival"},
                {"name": "departures", "kind": "departure"},
                {"name": "enter", "kind": "zone_enter"},
                {"name": "exit", "kind": "zone_exit"},
            ],
        },
        {
            "name": "house",
            "source": {"type": "demo"},
            "zones": [{"name": "porch", "title": "front door", "preposition": "at"}],
            "rules": [
                {"name": "arrivals", "kind": "arrival"},
                {"name": "departures", "kind": "departure"},
                {"name": "stay", "kind": "dwell", "dwell_seconds": 120},
            ],
        },
        {
            "name": "yard",
            "source": {"type": "demo"},
            "zones": [{"name": "yard", "preposition": "in"}],
            "rules": [
                {"name": "arrivals", "kind": "arrival"},
                {"name": "departures", "kind": "departure"},
            ],
        },
    ],
    "llm": {"type": "template"},
    "ask": {
        "vocabulary": {
            "hens": {"labels": ["bird"], "zones": ["coop"]},
            "кури": {"labels": ["bird"], "zones": ["coop"]},
            "курник": {"zones": ["coop"]},
            "ворота": {"zones": ["gate"]},
            "двері": {"zones": ["porch"]},
            "двір": {"zones": ["yard"]},
            "хлів": {"cameras": ["barn"]},
        }
    },
}


def heldout_config(storage: Path) -> AppConfig:
    data = {**CONFIG, "storage": {"path": str(storage), "retention_days": 365}}
    return AppConfig.model_validate(data)


def heldout_history(path: Path) -> EventHistory:
    history = EventHistory(path)
    seed_history(history, SEEDS)
    return history


def live_state() -> dict[str, CameraState]:
    """At NOW: the car that came at 13:30 is still in the yard; nobody else is in view."""
    return {
        "yard": CameraState(
            camera="yard", updated_at=NOW, counts={"car": 1}, zones={"yard": {"car": 1}}
        ),
        "house": CameraState(camera="house", updated_at=NOW, counts={}, zones={"porch": {}}),
        "barn": CameraState(
            camera="barn", updated_at=NOW, counts={}, zones={"coop": {}, "gate": {}}
        ),
    }
