"""Template wording in English and Ukrainian: counts, plurals, zones, direction, time."""

from __future__ import annotations

from datetime import datetime

import pytest

from agent.core.events import EventObject
from agent.core.kinds import EventKind
from agent.core.settings import ZoneConfig
from agent.core.text import describe
from agent.core.text.en import noun_phrase, plural
from agent.core.text.uk import noun_phrase as uk_phrase

ZONES = {
    "gate": ZoneConfig(name="gate", preposition="at"),
    "yard": ZoneConfig(name="yard"),
    "door": ZoneConfig(name="door", title="front door", preposition="at"),
}
AT = datetime(2026, 11, 22, 5, 12).astimezone()


def obj(label: str, count: int, *zones: str, previous: int | None = None) -> EventObject:
    return EventObject(
        label=label, count=count, zones=list(zones), max_score=0.9, previous_count=previous
    )


@pytest.mark.parametrize(
    ("label", "count", "expected"),
    [
        ("cow", 1, "a cow"),
        ("umbrella", 1, "an umbrella"),
        ("cow", 2, "2 cows"),
        ("person", 3, "3 people"),
        ("sheep", 4, "4 sheep"),
        ("bus", 2, "2 buses"),
        ("potted plant", 2, "2 potted plants"),
        ("knife", 2, "2 knives"),
        ("tv", 2, "2 tvs"),
    ],
)
def test_english_noun_phrases(label: str, count: int, expected: str) -> None:
    assert noun_phrase(label, count) == expected


def test_english_plural_of_y() -> None:
    assert plural("puppy") == "puppies" and plural("toy") == "toys"


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "корова"),
        (2, "2 корови"),
        (4, "4 корови"),
        (5, "5 корів"),
        (11, "11 корів"),
        (12, "12 корів"),
        (21, "21 корова"),
        (22, "22 корови"),
        (25, "25 корів"),
        (111, "111 корів"),
        (101, "101 корова"),
    ],
)
def test_ukrainian_plural_forms(count: int, expected: str) -> None:
    assert uk_phrase("cow", count) == expected


EN_CASES: list[tuple[EventKind, list[EventObject], str, str]] = [
    (
        "arrival",
        [obj("cow", 2, "gate")],
        "2 cows appeared at the gate",
        "At 05:12, 2 cows appeared at the gate.",
    ),
    (
        "arrival",
        [obj("cow", 2, "gate"), obj("person", 1, "gate")],
        "2 cows and a person appeared at the gate",
        "At 05:12, 2 cows and a person appeared at the gate.",
    ),
    (
        "arrival",
        [obj("cow", 1, "gate"), obj("cow", 1)],
        "2 cows appeared",
        "At 05:12, a cow appeared at the gate; a cow appeared elsewhere.",
    ),
    ("departure", [obj("dog", 1)], "A dog left", "At 05:12, a dog left."),
    (
        "departure",
        [obj("cow", 3, "yard")],
        "3 cows left, last seen in the yard",
        "At 05:12, 3 cows left, last seen in the yard.",
    ),
    (
        "zone_enter",
        [obj("person", 1, "door")],
        "A person arrived at the front door",
        "At 05:12, a person arrived at the front door.",
    ),
    (
        "zone_exit",
        [obj("sheep", 5, "yard")],
        "5 sheep left the yard",
        "At 05:12, 5 sheep left the yard.",
    ),
    (
        "dwell",
        [obj("person", 1, "door")],
        "A person has been at the front door for over 5 minutes",
        "As of 05:12, a person has been at the front door for over 5 minutes.",
    ),
    (
        "count_change",
        [obj("cow", 5, "yard", previous=2)],
        "Cows: 2 → 5",
        "At 05:12, the number of cows in the yard went from 2 to 5.",
    ),
]


@pytest.mark.parametrize(("kind", "objects", "title", "summary"), EN_CASES)
def test_english_sentences(
    kind: EventKind, objects: list[EventObject], title: str, summary: str
) -> None:
    assert describe(kind, objects, ZONES, "en", 300, AT) == (title, summary)


UK_CASES: list[tuple[EventKind, list[EventObject], str, str]] = [
    (
        "arrival",
        [obj("cow", 2, "gate")],
        "2 корови з'явилися у зоні «gate»",
        "2 корови з'явилися у зоні «gate» о 05:12.",
    ),
    ("arrival", [obj("person", 1)], "Людина з'явилася", "Людина з'явилася о 05:12."),
    ("arrival", [obj("cup", 21)], "21 чашка з'явилася", "21 чашка з'явилася о 05:12."),
    ("departure", [obj("dog", 1)], "Собака зник", "Собака зник о 05:12."),
    (
        "zone_enter",
        [obj("sheep", 5, "yard")],
        "5 овець увійшли до зони «yard»",
        "5 овець увійшли до зони «yard» о 05:12.",
    ),
    (
        "zone_exit",
        [obj("horse", 1, "gate")],
        "Кінь вийшов із зони «gate»",
        "Кінь вийшов із зони «gate» о 05:12.",
    ),
    (
        "dwell",
        [obj("person", 1, "door")],
        "Людина перебуває у зоні «front door» понад 5 хв",
        "Людина перебуває у зоні «front door» понад 5 хв станом на 05:12.",
    ),
    (
        "count_change",
        [obj("cow", 5, "yard", previous=2)],
        "Корови: 2 → 5",
        "Корови у зоні «yard»: було 2, стало 5 (станом на 05:12).",
    ),
    (
        "arrival",
        [obj("fire hydrant", 1)],
        "Об'єкт «fire hydrant» з'явився",
        "Об'єкт «fire hydrant» з'явився о 05:12.",
    ),
]


@pytest.mark.parametrize(("kind", "objects", "title", "summary"), UK_CASES)
def test_ukrainian_sentences(
    kind: EventKind, objects: list[EventObject], title: str, summary: str
) -> None:
    assert describe(kind, objects, ZONES, "uk", 300, AT) == (title, summary)
