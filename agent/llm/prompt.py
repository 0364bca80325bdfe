"""Prompts: the event's facts in a few compact lines, a domain profile and short examples.

Only facts computed by code go in; the model's job is wording. Prompts stay under about
200 tokens so a Pi 5 CPU prefills them in well under a second.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.config import Domain, EventKind, Language, ZoneConfig
from agent.core.events import Event, EventObject
from agent.digest import DigestFacts
from agent.llm.base import Message
from agent.templates import en, uk


class ModelSummary(BaseModel):
    """The JSON a model must answer with; its schema is sent as the structured-output format."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=3, max_length=200, description="One short sentence.")


SUMMARY_SCHEMA: dict[str, Any] = ModelSummary.model_json_schema()

_READER = {
    "en": {"farm": "a farmer", "home": "a home owner", "general": "a user"},
    "uk": {"farm": "фермера", "home": "власника дому", "general": "користувача"},
}

_SYSTEM = {
    "en": "You write one short, friendly sentence for {reader} about what a camera saw. "
    "Use only the facts: name every object with its exact count, say what it did, where, "
    "and when. Never add other objects, numbers, places or guesses. "
    'Answer in English as JSON: {{"summary": "..."}}',
    "uk": "Ти пишеш одне коротке речення українською для {reader} про те, що побачила камера. "
    "Лише факти: кожен об'єкт з точною кількістю, що він зробив, де і коли. "
    "Нічого не додавай. "
    'Відповідай JSON: {{"summary": "..."}}',
}

_DID_EN: dict[EventKind, str] = {
    "arrival": "appeared",
    "departure": "left",
    "zone_enter": "entered",
    "zone_exit": "left",
    "dwell": "still there",
    "count_change": "number changed",
}
_DID_UK: dict[EventKind, str] = {
    "arrival": "з'явилися",
    "departure": "зникли",
    "zone_enter": "увійшли",
    "zone_exit": "вийшли",
    "dwell": "досі там",
    "count_change": "кількість змінилася",
}

# (facts, answer) pairs per domain; short, so they cost few tokens but fix the style.
_EXAMPLES: dict[Language, dict[Domain, list[tuple[str, str]]]] = {
    "en": {
        "farm": [
            (
                "at 06:40; entered; 3 sheep at the paddock",
                "Three sheep entered the paddock at 06:40.",
            ),
            (
                "at 21:02; left; a horse last seen at the stable",
                "At 21:02 a horse left the stable.",
            ),
        ],
        "home": [
            (
                "at 18:05; appeared; a person at the front door",
                "A person came to the front door at 18:05.",
            ),
            (
                "at 09:12; left; a car last seen in the driveway",
                "The car left the driveway at 09:12.",
            ),
        ],
        "general": [
            (
                "at 18:05; appeared; a person at the front door",
                "A person appeared at the front door at 18:05.",
            ),
            (
                "at 06:40; entered; 3 sheep at the paddock",
                "Three sheep entered the paddock at 06:40.",
            ),
        ],
    },
    "uk": {
        "farm": [
            ("о 06:40; увійшли; 3 вівці у «загін»", "О 06:40 три вівці увійшли до загону."),
            ("о 21:02; зникли; кінь востаннє у «стайня»", "О 21:02 кінь зник зі стайні."),
        ],
        "home": [
            ("о 18:05; з'явилися; людина у «ґанок»", "О 18:05 біля ґанку з'явилася людина."),
            (
                "о 09:12; зникли; автомобіль востаннє у «під'їзд»",
                "О 09:12 автомобіль поїхав з під'їзду.",
            ),
        ],
        "general": [
            ("о 18:05; з'явилися; людина у «ґанок»", "О 18:05 біля ґанку з'явилася людина."),
            ("о 06:40; увійшли; 3 вівці у «загін»", "О 06:40 три вівці увійшли до загону."),
        ],
    },
}


def facts_line(event: Event, zones: dict[str, ZoneConfig], dwell_seconds: float = 0) -> str:
    """'at 05:12; left; 2 cows last seen at the gate' in the event's language."""
    lang = event.language
    clock = event.started_at.strftime("%H:%M")
    did = (_DID_UK if lang == "uk" else _DID_EN)[event.kind]
    if event.kind == "dwell":
        minutes = max(1, round(dwell_seconds / 60))
        did += f" {minutes} min" if lang == "en" else f" {minutes} хв"
    parts = [f"{'о' if lang == 'uk' else 'at'} {clock}", did]
    parts += [_object_fact(o, event.kind, zones, lang) for o in event.objects]
    return "; ".join(parts)


def _object_fact(o: EventObject, kind: EventKind, zones: dict[str, ZoneConfig], lang: str) -> str:
    text = uk.noun_phrase(o.label, o.count) if lang == "uk" else en.noun_phrase(o.label, o.count)
    if kind == "count_change":
        text += f" ({'було' if lang == 'uk' else 'was'} {o.previous_count or 0})"
    if o.zones:
        titles = [zones[z].display if z in zones else z for z in o.zones]
        if lang == "uk":
            where = " і ".join(f"«{t}»" for t in titles)
            text += f" {'востаннє у' if kind in ('departure',) else 'у'} {where}"
        else:
            where = en.join([f"the {t}" for t in titles])
            prep = zones[o.zones[0]].preposition if o.zones[0] in zones else "in"
            text += f" {'last seen ' if kind == 'departure' else ''}{prep} {where}"
    return text


def digest_facts_line(facts: DigestFacts, language: Language) -> str:
    """'from 06:00 to 07:00; events 5; arrived: 3 cows (2 at gate), a person; busiest 06:00 (4)'."""
    uk_ = language == "uk"
    start, end = (f"{t.astimezone():%H:%M}" for t in (facts.period_start, facts.period_end))
    seen = []
    for label, n in facts.sightings.items():
        phrase = uk.noun_phrase(label, n) if uk_ else en.noun_phrase(label, n)
        where = [
            f"{k} {'у' if uk_ else 'at'} {facts.zones[z].title if z in facts.zones else z}"
            for z, k in facts.sightings_by_zone.get(label, {}).items()
        ]
        seen.append(phrase + (f" ({', '.join(where)})" if where else ""))
    parts = [
        f"{'з' if uk_ else 'from'} {start} {'до' if uk_ else 'to'} {end}",
        f"{'подій' if uk_ else 'events'} {facts.total_events}",
        f"{'з' + chr(39) + 'явилися' if uk_ else 'arrived'}: {', '.join(seen) or '-'}",
    ]
    if facts.busiest_hour:
        parts.append(
            f"{'найжвавіше' if uk_ else 'busiest'} {facts.busiest_hour} "
            f"({facts.busiest_hour_events})"
        )
    if facts.alerts:
        parts.append(f"{'тривог' if uk_ else 'alerts'} {facts.alerts}")
    return "; ".join(parts)


def summary_messages(
    event: Event,
    zones: dict[str, ZoneConfig],
    domain: Domain,
    dwell_seconds: float = 0,
    problems: list[str] | None = None,
    previous: str | None = None,
) -> list[Message]:
    """The chat for one event; with `problems`, a retry that names what was wrong."""
    return facts_messages(
        facts_line(event, zones, dwell_seconds), event.language, domain, problems, previous
    )


def facts_messages(
    facts: str,
    language: Language,
    domain: Domain,
    problems: list[str] | None = None,
    previous: str | None = None,
) -> list[Message]:
    """System profile, few-shot examples, then the facts (events and digests alike)."""
    reader = _READER[language][domain]
    messages = [Message("system", _SYSTEM[language].format(reader=reader))]
    label = "Факти" if language == "uk" else "Facts"
    for example_facts, answer in _EXAMPLES[language][domain]:
        messages.append(Message("user", f"{label}: {example_facts}"))
        messages.append(Message("assistant", json.dumps({"summary": answer}, ensure_ascii=False)))
    messages.append(Message("user", f"{label}: {facts}"))
    if problems and previous is not None:
        messages.append(Message("assistant", json.dumps({"summary": previous}, ensure_ascii=False)))
        fix = "; ".join(problems)
        messages.append(
            Message("user", f"Wrong: {fix}. Write it again using only the facts: {facts}")
        )
    return messages
