"""Scores answers to the question suite: read correctly, honest, and no invented facts.

The facts an answer may state are recomputed here from the seeds themselves, by plain
filtering, independently of the SQL the executor runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.ask.answer import Answer
from agent.ask.installation import Installation
from agent.ask.query import Query
from agent.ask.timerange import resolve
from agent.bench.ask.seeded import NOW, SEEDS, Seed, live_state
from agent.bench.ask.suite import Case, Expect
from agent.core.kinds import COMING_KINDS, LEAVING_KINDS
from agent.core.text.en import plural

_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_DATE = re.compile(r"\b\d{2}\.\d{2}(?:\.\d{4})?\b")
_NUMBER = re.compile(r"\b\d+\b")
_HONEST = {
    "unseen": ("cannot see", "не розпізнає"),
    "outside": ("history goes back", "історія сягає", "no events are stored"),
}


@dataclass(frozen=True)
class Score:
    case: Case
    answer: Answer
    correct: bool
    invented: list[str]


def score(case: Case, answer: Answer, installation: Installation) -> Score:
    invented = invented_facts(answer, installation)
    if isinstance(case.expect, Expect):
        correct = (
            answer.answered
            and answer.query is not None
            and case.expect.matches(Query.model_validate(answer.query))
            and not invented
        )
    elif case.expect == "refuse":
        correct = not answer.answered and answer.query is None
    else:
        correct = any(p in answer.text.lower() for p in _HONEST[case.expect]) and not invented
    return Score(case, answer, correct, invented)


def matching_seeds(query: Query) -> list[Seed]:
    period = resolve(query.time, NOW, query.language, (18, 6))
    kinds = list(query.kinds) or (list(COMING_KINDS) if query.what == "count" else [])
    if query.what == "duration":
        kinds = [*COMING_KINDS, *LEAVING_KINDS]
    return [
        s
        for s in SEEDS
        if period.contains(s.at)
        and (not query.labels or s.label in query.labels)
        and (not query.zones or set(s.zones) & set(query.zones))
        and (not query.cameras or s.camera in query.cameras)
        and (not kinds or s.kind in kinds)
    ]


def invented_facts(answer: Answer, installation: Installation) -> list[str]:
    """Numbers, times, dates and zones in the text that the seeds do not support."""
    if answer.query is None:
        # A refusal may repeat the question's numbers and the length limit, nothing else.
        allowed = {str(n) for n in _NUMBER.findall(answer.question)} | {"300"}
        return [n for n in _NUMBER.findall(answer.text) if n not in allowed]
    query = Query.model_validate(answer.query)
    period = resolve(query.time, NOW, query.language, (18, 6))
    seeds = matching_seeds(query)
    times = {f"{s.at:%H:%M}" for s in seeds} | set(_TIME.findall(period.label))
    dates = {f"{s.at:%d.%m}" for s in seeds} | set(_DATE.findall(period.label))
    oldest = min(s.at for s in SEEDS)
    dates |= {f"{oldest:%d.%m.%Y}"}
    times |= {f"{oldest:%H:%M}"}
    numbers = {len(seeds), *(s.count for s in seeds), 3}
    for label in {s.label for s in seeds}:
        numbers.add(sum(1 for s in seeds if s.label == label))
    for kind in {s.kind for s in seeds}:
        numbers.add(sum(1 for s in seeds if s.kind == kind))
    numbers |= {int(n) for n in _NUMBER.findall(period.label)}
    numbers |= _duration_numbers(seeds)
    if query.what == "present_now":
        times.add(f"{NOW:%H:%M}")
        for state in live_state().values():
            numbers |= set(state.counts.values())
    text = answer.text
    found: list[str] = []
    for t in _TIME.findall(text):
        if t not in times:
            found.append(t)
    for d in _DATE.findall(text):
        if d not in dates:
            found.append(d)
    rest = _DATE.sub(" ", _TIME.sub(" ", text))
    found += [n for n in _NUMBER.findall(rest) if int(n) not in numbers]
    zones = set(query.zones) | {z for s in seeds for z in s.zones}
    for name, zone in installation.zones.items():
        if name not in zones and (f"«{zone.display}»" in text or f"the {zone.display}" in text):
            found.append(zone.display)
    if query.language == "en" and not query.unseen:
        labels = set(query.labels) | {s.label for s in seeds}
        words = set(re.findall(r"[a-z]+", text.lower()))
        for label in {s.label for s in SEEDS} - labels:
            if label in words or plural(label) in words:
                found.append(label)
    return found


def _duration_numbers(seeds: list[Seed]) -> set[int]:
    total, visits, opened = 0.0, 0, None
    for s in sorted(seeds, key=lambda s: s.at):
        if s.kind in COMING_KINDS and opened is None:
            opened = s.at
        elif s.kind in LEAVING_KINDS and opened is not None:
            total += (s.at - opened).total_seconds()
            visits += 1
            opened = None
    if opened is not None:
        total += (NOW - opened).total_seconds()
        visits += 1
    minutes = round(total / 60)
    return {visits, minutes, *divmod(minutes, 60)}
