"""Optional: the model rewords a template answer; its sentence is used only when the event
verifier finds nothing ungrounded in it and it states exactly the template's numbers,
clock times and dates (none added, none dropped)."""

from __future__ import annotations

import json
import logging
import re

from agent.ask.executor import Facts
from agent.ask.installation import Installation
from agent.ask.query import Query
from agent.core.grounding import Direction, Grounding
from agent.core.kinds import COMING_KINDS, LEAVING_KINDS
from agent.llm.base import LanguageModel, Message, ModelError
from agent.llm.verify import verify

log = logging.getLogger(__name__)

MAX_TOKENS = 80
SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string", "maxLength": 300}},
    "required": ["answer"],
}
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_DATE = re.compile(r"\b\d{2}\.\d{2}(?:\.\d{4})?\b")
_NUMBER = re.compile(r"\b\d+\b")
_SYSTEM = {
    "en": "Rewrite the answer as one short, friendly English sentence. Keep every number, "
    "time, date, object and place exactly as given; add nothing. "
    'Answer as JSON: {"answer": "..."}',
    "uk": "Перепиши відповідь одним коротким дружнім реченням українською. Збережи кожне "
    "число, час, дату, об'єкт і місце точно; нічого не додавай. "
    'Відповідай JSON: {"answer": "..."}',
}


def facts_of(text: str) -> tuple[set[str], set[str], set[str]]:
    """(clock times, dates, other numbers) a text states."""
    times, dates = set(_TIME.findall(text)), set(_DATE.findall(text))
    rest = _DATE.sub(" ", _TIME.sub(" ", text))
    return times, dates, set(_NUMBER.findall(rest))


def answer_problems(text: str, template: str, grounding: Grounding) -> list[str]:
    """Why a reworded answer may not go out; empty = it may."""
    problems = []
    if facts_of(text) != facts_of(template):
        problems.append("it does not state exactly the template's numbers, times and dates")
    # Dates are checked above; the event verifier knows clock times, not dates.
    problems += verify(_DATE.sub(" § ", text), grounding)
    return problems


def grounding(template: str, query: Query, facts: Facts, inst: Installation) -> Grounding:
    times, _dates, numbers = facts_of(template)
    allowed = sorted(int(n) for n in numbers)
    labels = set(query.labels) | set(facts.per_label) | set(facts.present or {})
    for s in (facts.first, facts.last, *facts.listed):
        if s is not None:
            labels |= set(s.objects)
    named = set(query.zones) | {
        z for s in (facts.first, facts.last, *facts.listed) if s is not None for z in s.zones
    }

    def words(name: str) -> list[str]:
        zone = inst.zones.get(name)
        found = [name, name.replace("_", " ")] + ([zone.title or "", zone.display] if zone else [])
        return [w for w in dict.fromkeys(found) if w]

    kinds = set(query.kinds)
    direction: Direction = (
        "in"
        if kinds and kinds <= set(COMING_KINDS)
        else "out"
        if kinds and kinds <= set(LEAVING_KINDS)
        else "stay"
        if kinds == {"dwell"}
        else "none"
    )
    return Grounding(
        language=query.language,
        direction=direction,
        labels={label: allowed for label in labels},
        numbers=allowed,
        times=sorted(times),
        zones={z: words(z) for z in named},
        other_zones={z: words(z) for z in inst.zones if z not in named},
        require_all_labels=False,
    )


class AnswerRewording:
    """Callable(template, query, facts) -> the model's sentence, or None to keep the template."""

    def __init__(self, model: LanguageModel, inst: Installation, timeout: float) -> None:
        self._model = model
        self._inst = inst
        self._timeout = timeout

    @property
    def source(self) -> str:
        return self._model.source

    def __call__(self, template: str, query: Query, facts: Facts) -> str | None:
        messages = [
            Message("system", _SYSTEM[query.language]),
            Message("user", template),
        ]
        try:
            reply = self._model.chat(messages, SCHEMA, MAX_TOKENS, self._timeout)
            text = json.loads(reply.text).get("answer", "")
        except (ModelError, ValueError, AttributeError) as e:
            log.debug("rewording an answer failed: %s", e)
            return None
        if not isinstance(text, str) or not text.strip():
            return None
        text = " ".join(text.split())
        problems = answer_problems(text, template, grounding(template, query, facts, self._inst))
        if problems:
            log.debug("reworded answer refused: %s", "; ".join(problems))
            return None
        return text
