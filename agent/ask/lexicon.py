"""The shape of a question lexicon, and the tokenizer both languages share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.ask.query import RangeName, What
from agent.config import Language

Phrase = tuple[str, ...]
Phrases = frozenset[Phrase]

_APOSTROPHES = str.maketrans(dict.fromkeys("’ʼ‘′`", "'"))
_TOKEN = re.compile(r"\d{1,2}[:.]\d{2}|\d+|[^\W\d_]+(?:['-][^\W\d_]+)*|[?!,.;:\-]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def tokens(text: str) -> list[str]:
    """Lower-case words, numbers and clock times ('14:00'), one apostrophe for all."""
    return _TOKEN.findall(text.translate(_APOSTROPHES).lower())


def language_of(text: str, default: Language) -> Language:
    """Ukrainian when the text has Cyrillic letters, English when it has Latin ones."""
    if _CYRILLIC.search(text):
        return "uk"
    if re.search(r"[a-zA-Z]", text):
        return "en"
    return default


def phrases(text: str) -> Phrases:
    """Phrases from 'a b|c|d e': '|' separates phrases, spaces separate words."""
    return frozenset(tuple(tokens(p)) for p in text.split("|") if tokens(p))


def words(text: str) -> Phrases:
    """One-word phrases from a space-separated list."""
    return frozenset((w,) for w in text.split())


@dataclass(frozen=True)
class Lexicon:
    """The words of one language a question is read with."""

    language: Language
    what: tuple[tuple[Phrases, What], ...]  # in order of precedence
    present: Phrases
    present_tense: Phrases  # a count in the present tense asks about now
    open_words: frozenset[str]  # 'who came today?' asks what happened
    command_words: Phrases  # an instruction, not a question: never sent to a model
    yes_no: Phrases
    arrive: Phrases
    leave: Phrases
    passage: Phrases  # either way through a place: 'passed the gate', 'проходили через ворота'
    stay: Phrases
    named: tuple[tuple[Phrases, RangeName], ...]
    future: Phrases
    last: Phrases
    hour_units: Phrases
    day_units: Phrases
    week_units: Phrases
    month_units: Phrases
    year_units: Phrases
    ago: Phrases
    since: Phrases
    between_start: Phrases
    between_join: Phrases
    am: Phrases
    pm: Phrases
    oclock: Phrases
    hour_words: Phrases  # 'годині', 'години' after a bare hour
    weekdays: dict[str, int]
    camera_words: Phrases
    zone_words: Phrases
    any_person: Phrases
    anything: Phrases
    filler: Phrases
    numbers: dict[str, int]
