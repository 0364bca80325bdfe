"""The shape of a question lexicon: the words of one language a question is read with."""

from __future__ import annotations

from dataclasses import dataclass

from agent.ask.query import RangeName, What
from agent.core.kinds import Language
from agent.core.text.phrases import Phrases


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
