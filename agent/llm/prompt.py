"""Prompts: the event's facts in a few compact lines, a domain profile and short examples.

Only facts computed by code go in; the model's job is wording. Prompts stay under about
200 tokens so a Pi 5 CPU prefills them in well under a second.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.config.schema import Domain
from agent.core.digest import DigestFacts
from agent.core.events import Event, EventObject
from agent.core.kinds import EventKind, Language
from agent.core.settings import ZoneConfig
from agent.core.text import en, uk
from agent.core.text import vocabulary as lx
from agent.core.text.common import groups_by_place
from agent.llm.base import Message


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
# Ukrainian verbs agree with the subject: masculine, feminine, neuter, plural.
_DID_UK: dict[EventKind, tuple[str, str, str, str]] = {
    "arrival": ("з'явився", "з'явилася", "з'явилося", "з'явилися"),
    "departure": ("зник", "зникла", "зникло", "зникли"),
    "zone_enter": ("увійшов", "увійшла", "увійшло", "увійшли"),
    "zone_exit": ("вийшов", "вийшла", "вийшло", "вийшли"),
    "dwell": ("досі там", "досі там", "досі там", "досі там"),
    "count_change": (
        "кількість змінилася",
        "кількість змінилася",
        "кількість змінилася",
        "кількість змінилася",
    ),
}
# Where, per kind, in the case the verb takes: 'до зони «двір»', 'із зони «двір»'.
_WHERE_UK: dict[EventKind, tuple[str, str]] = {
    "arrival": ("у зоні", "у зонах"),
    "departure": ("востаннє у зоні", "востаннє у зонах"),
    "zone_enter": ("до зони", "до зон"),
    "zone_exit": ("із зони", "із зон"),
    "dwell": ("у зоні", "у зонах"),
    "count_change": ("у зоні", "у зонах"),
}

# Labels the examples are about, per domain; the event's own labels are skipped, so an
# example copied by the model names an object the verifier rejects.
_EXAMPLE_LABELS: dict[Domain, tuple[str, ...]] = {
    "farm": ("horse", "bird", "cat", "dog"),
    "home": ("cat", "bicycle", "dog", "car"),
    "general": ("cat", "bird", "bicycle", "dog"),
}
_EXAMPLE_TIMES = ("06:40", "21:02")
# Fallback examples for facts that are not one event (digests): (facts, answer).
_EXAMPLES: dict[Language, list[tuple[str, str]]] = {
    "en": [
        (
            "from 06:00 to 07:00; 3 events; sightings over the period: horse 2 times "
            "(2 in the yard); most seen at once: a horse; busiest hour 06:00 with 3 events",
            "Between 06:00 and 07:00 a horse was seen 2 times in the yard.",
        ),
    ],
    "uk": [
        (
            "з 06:00 до 07:00; 3 події; помічено за період: кінь 2 рази (2 у зоні «двір»); "
            "найбільше одночасно: кінь; найжвавіша година 06:00 — 3 події",
            "З 06:00 до 07:00 коня помітили 2 рази у зоні «двір».",
        ),
    ],
}


def facts_line(event: Event, zones: dict[str, ZoneConfig], dwell_seconds: float = 0) -> str:
    """'at 05:12; left; two cows last seen at the gate' in the event's language.

    Counts are words: a small model copies 'two cows' but often turns '2 cows' into 'a cow'.
    """
    lang = event.language
    clock = event.started_at.strftime("%H:%M")
    if lang == "uk":
        groups = groups_by_place(event.objects)
        did = _DID_UK[event.kind][_uk_agreement(groups[0]) if len(groups) == 1 else 3]
    else:
        did = _DID_EN[event.kind]
    if event.kind == "dwell":
        minutes = max(1, round(dwell_seconds / 60))
        did += f" {minutes} min" if lang == "en" else f", понад {minutes} хв"
    parts = [f"{'о' if lang == 'uk' else 'at'} {clock}", did]
    parts += [_group_fact(g, event.kind, zones, lang) for g in groups_by_place(event.objects)]
    return "; ".join(parts)


def _uk_agreement(objects: list[EventObject]) -> int:
    """Index into a verb's forms: the noun's gender for one object (or 21, 31...), else plural."""
    if len(objects) > 1 or uk.plural_form(objects[0].count) != "one":
        return 3
    return "mfn".index(uk.noun(objects[0].label).gender)


def count_phrase(label: str, count: int, language: Language) -> str:
    """'two cows', 'a person', 'дві корови', 'людина': the count in words."""
    if language == "uk":
        noun = uk.noun(label)
        if count == 1:
            return noun.one
        form = getattr(noun, uk.plural_form(count))
        return f"{lx.uk_number(count, noun.gender)} {form}"
    if count == 1:
        return en.noun_phrase(label, 1)
    return f"{lx.en_number(count)} {en.plural(label)}"


def _group_fact(
    group: list[EventObject], kind: EventKind, zones: dict[str, ZoneConfig], lang: Language
) -> str:
    who = []
    for o in group:
        text = count_phrase(o.label, o.count, lang)
        if kind == "count_change":
            before = o.previous_count or 0
            was = lx.uk_number(before) if lang == "uk" else lx.en_number(before)
            text += f" ({'було' if lang == 'uk' else 'was'} {was})"
        who.append(text)
    text = (uk.join if lang == "uk" else en.join)(who)
    names = group[0].zones
    if not names:
        return text
    titles = [zones[z].display if z in zones else z for z in names]
    if lang == "uk":
        one, many = _WHERE_UK[kind]
        where = uk.join([f"«{t}»" for t in titles])
        return f"{text} {one if len(titles) == 1 else many} {where}"
    prep = zones[names[0]].preposition if names[0] in zones else "in"
    last = "last seen " if kind == "departure" else ""
    return f"{text} {last}{prep} {en.join([f'the {t}' for t in titles])}"


def event_examples(
    event: Event, zones: dict[str, ZoneConfig], domain: Domain, dwell_seconds: float = 0
) -> list[tuple[str, str]]:
    """Two (facts, answer) pairs of the event's own kind and places: one object, then two.

    Their labels and times differ from the event's, so a copied example fails the verifier;
    their places are the event's, so a copied place is a true one.
    """
    minutes = max(1, round(dwell_seconds / 60))
    return [
        (facts_line(example, zones, dwell_seconds), example_answer(example, zones, minutes))
        for example in example_events(event, domain)
    ]


def example_events(event: Event, domain: Domain) -> list[Event]:
    """The made-up events the examples are about (see `event_examples`)."""
    own = {o.label for o in event.objects}
    labels = [label for label in _EXAMPLE_LABELS[domain] if label not in own][:2]
    places = event.objects[0].zones
    before = event.kind == "count_change"
    # A two-label example only for a multi-object event: shown one, a small model tends to
    # add a second object to a single-object event.
    two = len(event.objects) > 1 and not before
    shapes = [
        [(labels[0], 3, 1 if before else None)],
        [(labels[0], 2, None), (labels[1], 1, None)]
        if two
        else [(labels[1], 2, 4 if before else None)],
    ]
    examples = []
    for shape, clock in zip(shapes, _EXAMPLE_TIMES, strict=True):
        objects = [
            EventObject(label=label, count=n, previous_count=prev, zones=places, max_score=0.9)
            for label, n, prev in shape
        ]
        hour, minute = (int(x) for x in clock.split(":"))
        at = event.started_at.replace(hour=hour, minute=minute)
        examples.append(
            event.model_copy(update={"objects": objects, "started_at": at, "ended_at": at})
        )
    return examples


def example_answer(event: Event, zones: dict[str, ZoneConfig], minutes: int) -> str:
    """A plain sentence for an example: the shape a good answer has."""
    lang = event.language
    clock = event.started_at.strftime("%H:%M")
    kind = event.kind
    objects = event.objects
    names = objects[0].zones
    titles = [zones[z].display if z in zones else z for z in names]
    if kind == "count_change":
        o = objects[0]
        before, after = o.previous_count or 0, o.count
        if lang == "uk":
            where = f" {_WHERE_UK[kind][0]} «{titles[0]}»" if titles else ""
            return (
                f"О {clock} кількість {uk.noun(o.label).many}{where} змінилася "
                f"з {lx.uk_number(before)} до {lx.uk_number(after)}."
            )
        where = f" {_en_place(names[0], zones)}" if names else ""
        return (
            f"At {clock} the number of {en.plural(o.label)}{where} went from "
            f"{lx.en_number(before)} to {lx.en_number(after)}."
        )
    if lang == "uk":
        who = uk.join([count_phrase(o.label, o.count, lang) for o in objects])
        verb = _DID_UK[kind][_uk_agreement(objects)]
        where = f" {_WHERE_UK[kind][0]} «{titles[0]}»" if titles else ""
        if kind == "dwell":
            return f"{who[:1].upper()}{who[1:]} досі{where}, вже понад {minutes} хв."
        if kind == "departure" and titles:
            where = f" із зони «{titles[0]}»"
        return f"О {clock} {who} {verb}{where}."
    who = en.join([count_phrase(o.label, o.count, lang) for o in objects])
    who = who[:1].upper() + who[1:]
    many = len(objects) > 1 or objects[0].count > 1
    the = f"the {titles[0]}" if titles else ""
    if kind == "dwell":
        where = f" {_en_place(names[0], zones)}" if names else ""
        return f"{who} {'have' if many else 'has'} stayed{where} for over {minutes} minutes."
    if kind in ("zone_enter", "zone_exit", "departure") and the:
        verb = "entered" if kind == "zone_enter" else "left"
        return f"{who} {verb} {the} at {clock}."
    where = f" {_en_place(names[0], zones)}" if names else ""
    return f"{who} {_DID_EN[kind]}{where} at {clock}."


def _en_place(name: str, zones: dict[str, ZoneConfig]) -> str:
    z = zones.get(name)
    return f"{z.preposition} the {z.display}" if z else f"in the {name}"


def digest_facts_line(facts: DigestFacts, language: Language) -> str:
    """'from 06:00 to 08:00; 5 events; sightings over the period: cow 3 times (2 at the gate);
    most seen at once: two cows; busiest hour 07:00 with 4 events'.

    Sightings add up over the period; 'at once' is the most in one event. Keeping the two
    apart stops '29 sightings of a person' from becoming '29 people'.
    """
    uk_ = language == "uk"
    start, end = (f"{t.astimezone():%H:%M}" for t in (facts.period_start, facts.period_end))
    seen = []
    for label, n in facts.sightings.items():
        if uk_:
            phrase = f"{uk.noun(label).one} {n} {_uk_form(n, ('раз', 'рази', 'разів'))}"
        else:
            phrase = f"{label} {n} {'time' if n == 1 else 'times'}"
        where = []
        for z, k in facts.sightings_by_zone.get(label, {}).items():
            title = facts.zones[z].title if z in facts.zones else z
            prep = facts.zones[z].preposition if z in facts.zones else "in"
            where.append(f"{k} у зоні «{title}»" if uk_ else f"{k} {prep} the {title}")
        seen.append(phrase + (f" ({', '.join(where)})" if where else ""))
    at_once = [count_phrase(label, n, language) for label, n in facts.most_at_once.items()]
    if uk_:
        events = f"{facts.total_events} {_uk_events(facts.total_events)}"
        parts = [f"з {start} до {end}", events, f"помічено за період: {', '.join(seen) or '-'}"]
        if at_once:
            parts.append(f"найбільше одночасно: {', '.join(at_once)}")
        if facts.busiest_hour:
            busiest = facts.busiest_hour_events
            events = f"{busiest} {_uk_events(busiest)}"
            parts.append(f"найжвавіша година {facts.busiest_hour} — {events}")
        if facts.alerts:
            parts.append(f"тривог: {facts.alerts}")
        return "; ".join(parts)
    parts = [
        f"from {start} to {end}",
        f"{facts.total_events} event{'' if facts.total_events == 1 else 's'}",
        f"sightings over the period: {', '.join(seen) or '-'}",
    ]
    if at_once:
        parts.append(f"most seen at once: {', '.join(at_once)}")
    if facts.busiest_hour:
        busiest = facts.busiest_hour_events
        parts.append(
            f"busiest hour {facts.busiest_hour} with {busiest} event{'' if busiest == 1 else 's'}"
        )
    if facts.alerts:
        parts.append(f"alerts: {facts.alerts}")
    return "; ".join(parts)


def _uk_events(n: int) -> str:
    return _uk_form(n, ("подія", "події", "подій"))


def _uk_form(n: int, forms: tuple[str, str, str]) -> str:
    return forms[("one", "few", "many").index(uk.plural_form(n))]


def summary_schema(language: Language, max_chars: int = 200) -> dict[str, Any]:
    """The answer's JSON schema for constrained decoding (llama.cpp grammar, Ollama `format`).

    For Ukrainian, a pattern keeps out what is never right: the letters only Russian has
    (SmolLM2 drifts into Russian), line breaks, markup, `key=value` echoes and quotes that
    would break the JSON.
    """
    schema = ModelSummary.model_json_schema()
    if language != "uk":  # English fails little that a pattern prevents; grammars cost time
        return schema
    banned = '\\n\\r\\t{}\\[\\]*#`=_"\\\\ыэъёЫЭЪЁ'
    field = schema["properties"]["summary"]
    field.pop("minLength", None)
    field.pop("maxLength", None)
    field["pattern"] = f"^[^{banned}]{{3,{max_chars}}}$"
    return schema


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
        facts_line(event, zones, dwell_seconds),
        event.language,
        domain,
        problems,
        previous,
        event_examples(event, zones, domain, dwell_seconds),
    )


def facts_messages(
    facts: str,
    language: Language,
    domain: Domain,
    problems: list[str] | None = None,
    previous: str | None = None,
    examples: list[tuple[str, str]] | None = None,
) -> list[Message]:
    """System profile, few-shot examples, then the facts (events and digests alike).

    `examples` are (facts, answer) pairs; without them, general ones of the language.
    """
    reader = _READER[language][domain]
    messages = [Message("system", _SYSTEM[language].format(reader=reader))]
    label = "Факти" if language == "uk" else "Facts"
    for example_facts, answer in _EXAMPLES[language] if examples is None else examples:
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
