"""Ukrainian wording of events, with the three plural forms and verb gender."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple

from agent.core.events import EventObject
from agent.core.kinds import EventKind
from agent.core.settings import ZoneConfig
from agent.core.text.common import groups_by_place, label_totals

Gender = Literal["m", "f", "n"]


class Noun(NamedTuple):
    """Forms after 1 (and 21, 31...), after 2-4, after 5+ (and 11-14), and the gender."""

    one: str
    few: str
    many: str
    gender: Gender


_NOUNS: dict[str, Noun] = {
    "person": Noun("людина", "людини", "людей", "f"),
    "bicycle": Noun("велосипед", "велосипеди", "велосипедів", "m"),
    "car": Noun("автомобіль", "автомобілі", "автомобілів", "m"),
    "motorcycle": Noun("мотоцикл", "мотоцикли", "мотоциклів", "m"),
    "airplane": Noun("літак", "літаки", "літаків", "m"),
    "bus": Noun("автобус", "автобуси", "автобусів", "m"),
    "train": Noun("потяг", "потяги", "потягів", "m"),
    "truck": Noun("вантажівка", "вантажівки", "вантажівок", "f"),
    "boat": Noun("човен", "човни", "човнів", "m"),
    "bird": Noun("птах", "птахи", "птахів", "m"),
    "cat": Noun("кіт", "коти", "котів", "m"),
    "dog": Noun("собака", "собаки", "собак", "m"),
    "horse": Noun("кінь", "коні", "коней", "m"),
    "sheep": Noun("вівця", "вівці", "овець", "f"),
    "cow": Noun("корова", "корови", "корів", "f"),
    "elephant": Noun("слон", "слони", "слонів", "m"),
    "bear": Noun("ведмідь", "ведмеді", "ведмедів", "m"),
    "zebra": Noun("зебра", "зебри", "зебр", "f"),
    "giraffe": Noun("жирафа", "жирафи", "жираф", "f"),
    "backpack": Noun("рюкзак", "рюкзаки", "рюкзаків", "m"),
    "umbrella": Noun("парасолька", "парасольки", "парасольок", "f"),
    "handbag": Noun("сумка", "сумки", "сумок", "f"),
    "suitcase": Noun("валіза", "валізи", "валіз", "f"),
    "bottle": Noun("пляшка", "пляшки", "пляшок", "f"),
    "cup": Noun("чашка", "чашки", "чашок", "f"),
    "bowl": Noun("миска", "миски", "мисок", "f"),
    "chair": Noun("стілець", "стільці", "стільців", "m"),
    "bench": Noun("лавка", "лавки", "лавок", "f"),
    "potted plant": Noun("вазон", "вазони", "вазонів", "m"),
    "tv": Noun("телевізор", "телевізори", "телевізорів", "m"),
    "laptop": Noun("ноутбук", "ноутбуки", "ноутбуків", "m"),
    "cell phone": Noun("телефон", "телефони", "телефонів", "m"),
    "book": Noun("книжка", "книжки", "книжок", "f"),
    "sports ball": Noun("м'яч", "м'ячі", "м'ячів", "m"),
    "traffic light": Noun("світлофор", "світлофори", "світлофорів", "m"),
}

_VERBS: dict[EventKind, tuple[str, str, str, str]] = {
    # masculine, feminine, neuter, plural
    "arrival": ("з'явився", "з'явилася", "з'явилося", "з'явилися"),
    "departure": ("зник", "зникла", "зникло", "зникли"),
    "zone_enter": ("увійшов", "увійшла", "увійшло", "увійшли"),
    "zone_exit": ("вийшов", "вийшла", "вийшло", "вийшли"),
    "dwell": ("перебуває", "перебуває", "перебуває", "перебувають"),
}


def noun(label: str) -> Noun:
    """The label's Ukrainian noun; unknown labels become 'об'єкт «label»'."""
    found = _NOUNS.get(label)
    if found is not None:
        return found
    return Noun(f"об'єкт «{label}»", f"об'єкти «{label}»", f"об'єктів «{label}»", "m")


def plural_form(n: int) -> Literal["one", "few", "many"]:
    """Which of the three forms follows the number n."""
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def noun_phrase(label: str, count: int) -> str:
    """'корова', '2 корови', '5 корів', '21 корова'."""
    word = noun(label)
    if count == 1:
        return word.one
    return f"{count} {getattr(word, plural_form(count))}"


def join(items: list[str]) -> str:
    """'а', 'а і б', 'а, б і в'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " і " + items[-1]


def _zone(name: str, zones: dict[str, ZoneConfig]) -> str:
    z = zones.get(name)
    return f"«{z.display if z else name}»"


def _zones(names: list[str], zones: dict[str, ZoneConfig], case: str) -> str:
    titles = [_zone(n, zones) for n in names]
    word = (
        {"loc": "зоні", "gen": "зони"}[case]
        if len(names) == 1
        else {"loc": "зонах", "gen": "зон"}[case]
    )
    return f"{word} {join(titles)}"


def _verb(kind: EventKind, objects: list[EventObject]) -> str:
    forms = _VERBS[kind]
    # "21 корова з'явилася": numbers ending in 1 (not 11) take the singular.
    if len(objects) > 1 or plural_form(objects[0].count) != "one":
        return forms[3]
    return forms["mfn".index(noun(objects[0].label).gender)]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clause(
    kind: EventKind, group: list[EventObject], zones: dict[str, ZoneConfig], dwell_seconds: float
) -> str:
    who = join([noun_phrase(o.label, o.count) for o in group])
    verb = _verb(kind, group)
    names = group[0].zones
    if kind == "arrival":
        return f"{who} {verb}" + (f" у {_zones(names, zones, 'loc')}" if names else "")
    if kind == "departure":
        return f"{who} {verb}" + (f", востаннє у {_zones(names, zones, 'loc')}" if names else "")
    if kind == "zone_enter":
        return f"{who} {verb} до {_zones(names, zones, 'gen')}"
    if kind == "zone_exit":
        return f"{who} {verb} із {_zones(names, zones, 'gen')}"
    minutes = max(1, round(dwell_seconds / 60))
    return f"{who} {verb} у {_zones(names, zones, 'loc')} понад {minutes} хв"


def describe(
    kind: EventKind,
    objects: list[EventObject],
    zones: dict[str, ZoneConfig],
    dwell_seconds: float,
    at: datetime,
) -> tuple[str, str]:
    """(title, summary) in Ukrainian."""
    clock = at.strftime("%H:%M")
    if kind == "count_change":
        parts, heads = [], []
        for o in objects:
            where = f" у {_zones(o.zones, zones, 'loc')}" if o.zones else ""
            before = o.previous_count or 0
            heads.append(f"{noun(o.label).few}: {before} → {o.count}")
            parts.append(f"{noun(o.label).few}{where}: було {before}, стало {o.count}")
        title = _capital(", ".join(heads))
        return title, _capital("; ".join(parts)) + f" (станом на {clock})."
    groups = groups_by_place(objects)
    clauses = [
        _clause(kind, g, zones, dwell_seconds)
        + (" в іншому місці" if len(groups) > 1 and not g[0].zones and kind != "dwell" else "")
        for g in groups
    ]
    if len(clauses) == 1:
        title = clauses[0]
    else:
        totals = label_totals(objects)
        subject = join([noun_phrase(label, n) for label, n in totals])
        many = len(totals) > 1 or plural_form(totals[0][1]) != "one"
        forms = _VERBS[kind]
        verb = forms[3] if many else forms["mfn".index(noun(totals[0][0]).gender)]
        title = f"{subject} {verb}"
    when = f"станом на {clock}" if kind == "dwell" else f"о {clock}"
    return _capital(title), _capital("; ".join(clauses)) + f" {when}."
