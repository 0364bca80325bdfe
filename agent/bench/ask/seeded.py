"""A seeded history with known answers, for the question suite, its tests and `eva bench --ask`.

A farm and a house over one week; the clock stands at Thursday 3 December 2026, 14:00 UTC.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.adapters.history import EventHistory
from agent.config.schema import AppConfig
from agent.core.events import CameraState, Event, EventObject, new_event_id
from agent.core.kinds import EventKind
from agent.core.text import describe

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seed:
    """One stored event: when, where, what."""

    at: datetime
    camera: str
    kind: EventKind
    label: str
    count: int
    zones: tuple[str, ...] = ()


def _at(day: int, hh: int, mm: int) -> datetime:
    return datetime(2026, 11 if day > 3 else 12, day, hh, mm, tzinfo=UTC)


SEEDS: tuple[Seed, ...] = (
    Seed(_at(26, 8, 0), "barn", "arrival", "cow", 3),
    Seed(_at(1, 9, 0), "house", "arrival", "person", 1, ("porch",)),
    Seed(_at(1, 15, 0), "house", "arrival", "car", 1),
    Seed(_at(2, 7, 0), "barn", "zone_exit", "cow", 2, ("gate",)),
    Seed(_at(2, 10, 30), "house", "arrival", "person", 2, ("porch",)),
    Seed(_at(2, 11, 15), "house", "arrival", "dog", 1, ("porch",)),
    Seed(_at(2, 19, 40), "barn", "arrival", "cat", 1, ("coop",)),
    Seed(_at(2, 20, 5), "barn", "departure", "cat", 1, ("coop",)),
    Seed(_at(2, 23, 10), "barn", "zone_enter", "bird", 1, ("coop",)),
    Seed(_at(3, 2, 30), "barn", "zone_enter", "bird", 2, ("coop",)),
    Seed(_at(3, 3, 0), "barn", "zone_exit", "bird", 2, ("coop",)),
    Seed(_at(3, 5, 12), "barn", "departure", "cow", 2),
    Seed(_at(3, 6, 30), "house", "arrival", "person", 1, ("porch",)),
    Seed(_at(3, 8, 0), "barn", "zone_enter", "cow", 2, ("gate",)),
    Seed(_at(3, 9, 20), "barn", "zone_exit", "cow", 2, ("gate",)),
    Seed(_at(3, 12, 40), "house", "arrival", "person", 1, ("porch",)),
    Seed(_at(3, 13, 5), "house", "arrival", "person", 2, ("porch",)),
    Seed(_at(3, 13, 30), "house", "arrival", "car", 1),
    Seed(_at(3, 13, 50), "house", "dwell", "person", 1, ("porch",)),
)

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
                {"name": "stay", "kind": "dwell", "dwell_seconds": 120},
            ],
        },
    ],
    "llm": {"type": "template"},
    "ask": {
        "vocabulary": {
            "hens": {"labels": ["bird"], "zones": ["coop"]},
            "chickens": {"labels": ["bird"], "zones": ["coop"]},
            "кури": {"labels": ["bird"], "zones": ["coop"]},
            "курей": {"labels": ["bird"], "zones": ["coop"]},
            "курник": {"zones": ["coop"]},
            "ворота": {"zones": ["gate"]},
            "воріт": {"zones": ["gate"]},
            "ганок": {"zones": ["porch"]},
            "двері": {"zones": ["porch"]},
            "дверей": {"zones": ["porch"]},
            "хлів": {"cameras": ["barn"]},
            "хліва": {"cameras": ["barn"]},
            "будинок": {"cameras": ["house"]},
            "будинку": {"cameras": ["house"]},
        }
    },
}


def seeded_config(storage: Path) -> AppConfig:
    data = {**CONFIG, "storage": {"path": str(storage), "retention_days": 365}}
    return AppConfig.model_validate(data)


def seed_event(seed: Seed) -> Event:
    """The event the core would have stored for a seed (English template text)."""
    objects = [
        EventObject(label=seed.label, count=seed.count, zones=list(seed.zones), max_score=0.9)
    ]
    title, summary = describe(seed.kind, objects, {}, "en", 120.0, seed.at)
    return Event(
        id=new_event_id(seed.at),
        camera=seed.camera,
        rule=seed.kind,
        kind=seed.kind,
        started_at=seed.at,
        ended_at=seed.at,
        objects=objects,
        severity="info",
        title=title,
        summary=summary,
        summary_source="template",
        language="en",
    )


def seed_history(history: EventHistory, seeds: tuple[Seed, ...] = SEEDS) -> None:
    history.add_many([seed_event(seed) for seed in seeds])


def live_state() -> dict[str, CameraState]:
    """What the cameras see at NOW: a person at the front door, two cows in the barn."""
    return {
        "house": CameraState(
            camera="house", updated_at=NOW, counts={"person": 1}, zones={"porch": {"person": 1}}
        ),
        "barn": CameraState(
            camera="barn", updated_at=NOW, counts={"cow": 2}, zones={"coop": {}, "gate": {}}
        ),
    }


def year_of_events(history: EventHistory, rows: int = 200_000, seed: int = 7) -> None:
    """About `rows` events spread over the year before NOW, for latency figures."""
    rng = random.Random(seed)
    start = NOW - timedelta(days=365)
    step = 365 * 86400 / rows
    labels = ("person", "car", "cow", "dog", "cat", "bird")
    kinds: tuple[EventKind, ...] = ("arrival", "departure", "zone_enter", "zone_exit")
    zones = {"barn": ("coop", "gate"), "house": ("porch",)}
    batch: list[Event] = []
    for i in range(rows):
        camera = "barn" if i % 3 else "house"
        zone = rng.choice(zones[camera])
        s = Seed(
            start + timedelta(seconds=i * step + rng.random()),
            camera,
            rng.choice(kinds),
            rng.choice(labels),
            rng.randint(1, 4),
            (zone,) if rng.random() < 0.6 else (),
        )
        batch.append(seed_event(s))
        if len(batch) >= 5000:
            history.add_many(batch)
            batch = []
    history.add_many(batch)
