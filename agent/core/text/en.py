"""English wording of events."""

from __future__ import annotations

from datetime import datetime

from agent.core.events import EventObject
from agent.core.kinds import EventKind
from agent.core.settings import ZoneConfig
from agent.core.text.common import groups_by_place, label_totals

_IRREGULAR = {
    "person": "people",
    "sheep": "sheep",
    "mouse": "mice",
    "knife": "knives",
    "skis": "skis",
    "scissors": "scissors",
    "deer": "deer",
    "fish": "fish",
    "goose": "geese",
    "ox": "oxen",
    "calf": "calves",
    "wolf": "wolves",
}


def plural(label: str) -> str:
    """English plural of a label; the last word of multi-word labels is inflected."""
    head, _, last = label.rpartition(" ")
    if last in _IRREGULAR:
        word = _IRREGULAR[last]
    elif last.endswith(("s", "x", "ch", "sh", "z")):
        word = last + "es"
    elif last.endswith("y") and last[-2:-1] not in tuple("aeiou"):
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def noun_phrase(label: str, count: int) -> str:
    """'a cow', 'an umbrella', '2 cows'."""
    if count == 1:
        article = "an" if label[:1] in tuple("aeiou") else "a"
        return f"{article} {label}"
    return f"{count} {plural(label)}"


def join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _place(zone_names: list[str], zones: dict[str, ZoneConfig]) -> str:
    """'at the gate', 'in the yard and at the gate'."""
    parts = []
    for name in zone_names:
        z = zones.get(name)
        parts.append(f"{z.preposition} the {z.display}" if z else f"in the {name}")
    return join(parts)


def _zone_names(zone_names: list[str], zones: dict[str, ZoneConfig]) -> str:
    return join([f"the {zones[n].display}" if n in zones else f"the {n}" for n in zone_names])


def _duration(seconds: float) -> str:
    if seconds < 90:
        n = round(seconds)
        return f"{n} second" + ("" if n == 1 else "s")
    n = round(seconds / 60)
    return f"{n} minute" + ("" if n == 1 else "s")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def describe(
    kind: EventKind,
    objects: list[EventObject],
    zones: dict[str, ZoneConfig],
    dwell_seconds: float,
    at: datetime,
) -> tuple[str, str]:
    """(title, summary) in English."""
    clock = at.strftime("%H:%M")
    if kind == "count_change":
        return _count_change(objects, zones, clock)
    many = len(objects) > 1 or objects[0].count > 1
    verb = {
        "arrival": "appeared",
        "departure": "left",
        "zone_enter": "arrived",
        "zone_exit": "left",
        "dwell": "have been" if many else "has been",
    }[kind]
    groups = groups_by_place(objects)
    clauses = [
        _clause(
            kind,
            join([noun_phrase(o.label, o.count) for o in g]),
            _dwell_verb(g) if kind == "dwell" else verb,
            g[0].zones,
            zones,
            dwell_seconds,
        )
        + (" elsewhere" if len(groups) > 1 and not g[0].zones and kind != "dwell" else "")
        for g in groups
    ]
    subject = join([noun_phrase(label, n) for label, n in label_totals(objects)])
    title = _capital(clauses[0] if len(clauses) == 1 else f"{subject} {verb}")
    when = "As of" if kind == "dwell" else "At"
    return title, f"{when} {clock}, " + "; ".join(clauses) + "."


def _dwell_verb(group: list[EventObject]) -> str:
    """'has been' for one object, 'have been' for more, per clause."""
    return "have been" if len(group) > 1 or group[0].count > 1 else "has been"


def _clause(
    kind: EventKind,
    who: str,
    verb: str,
    zone_names: list[str],
    zones: dict[str, ZoneConfig],
    dwell_seconds: float,
) -> str:
    if kind == "arrival":
        return f"{who} {verb}" + (f" {_place(zone_names, zones)}" if zone_names else "")
    if kind == "departure":
        where = f", last seen {_place(zone_names, zones)}" if zone_names else ""
        return f"{who} left{where}"
    if kind == "zone_enter":
        return f"{who} arrived {_place(zone_names, zones)}"
    if kind == "zone_exit":
        return f"{who} left {_zone_names(zone_names, zones)}"
    # dwell
    return f"{who} {verb} {_place(zone_names, zones)} for over {_duration(dwell_seconds)}"


def _count_change(
    objects: list[EventObject], zones: dict[str, ZoneConfig], clock: str
) -> tuple[str, str]:
    title_parts, sentences = [], []
    for o in objects:
        name = plural(o.label)
        before = o.previous_count or 0
        title_parts.append(f"{name}: {before} → {o.count}")
        where = f" {_place(o.zones, zones)}" if o.zones else ""
        sentences.append(f"the number of {name}{where} went from {before} to {o.count}")
    return _capital(", ".join(title_parts)), f"At {clock}, " + "; ".join(sentences) + "."
