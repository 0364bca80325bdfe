"""The held-out questions: expected answers from the seeds by plain filtering, and a scorer.

Nothing here reads a question: each question carries its meaning, typed by hand in the YAML
files next to this module, and the expected figures come from `heldout_history.SEEDS` with
periods written out as clock times below. The parser and the executor are only judged.
Half A is for development; half B is scored at the end.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TextIO

import yaml
from pydantic import BaseModel, ConfigDict, Field

from agent.ask.answer import Answer, refused
from agent.ask.installation import Installation
from agent.ask.parser import Known, parse
from agent.ask.query import Query
from agent.bench.ask import heldout_history as hh
from agent.bench.ask.accuracy import percentiles
from agent.bench.ask.seeded import NOW, Seed
from agent.config.schema import AskConfig
from agent.core.kinds import Language

Ask = Literal[
    "count", "first", "last", "duration", "present", "happened", "unseen", "refuse", "outside"
]
Direction = Literal["in", "out", "pass", "any"]
Half = Literal["A", "B"]
Verdict = Literal["right", "refused", "false"]
HALVES: tuple[Half, ...] = ("A", "B")
LANGUAGES: tuple[Language, ...] = ("en", "uk")
ANSWERABLE: tuple[Ask, ...] = ("count", "first", "last", "duration", "present", "happened")

_IN = frozenset({"arrival", "zone_enter"})
_OUT = frozenset({"departure", "zone_exit"})
KINDS: dict[Direction, frozenset[str] | None] = {
    "in": _IN,
    "out": _OUT,
    "pass": _IN | _OUT,
    "any": None,
}


def _t(month: int, day: int, hh_: int = 0, mm: int = 0) -> datetime:
    return datetime(2026, month, day, hh_, mm, tzinfo=UTC)


# Every period a held-out question names, as clock times at NOW (Thursday 03.12, 14:00).
# Parts of the day: morning 06-12, afternoon 12-17, evening 17-24, night 18-06.
PERIODS: dict[str, tuple[datetime | None, datetime]] = {
    "all": (None, NOW),
    "today": (_t(12, 3), NOW),
    "this_morning": (_t(12, 3, 6), _t(12, 3, 12)),
    "this_afternoon": (_t(12, 3, 12), NOW),
    "since_noon": (_t(12, 3, 12), NOW),
    "last_3_hours": (_t(12, 3, 11), NOW),
    "last_night": (_t(12, 2, 18), _t(12, 3, 6)),
    "yesterday": (_t(12, 2), _t(12, 3)),
    "yesterday_morning": (_t(12, 2, 6), _t(12, 2, 12)),
    "yesterday_evening": (_t(12, 2, 17), _t(12, 3)),
    "yesterday_10_12": (_t(12, 2, 10), _t(12, 2, 12)),
    "tuesday": (_t(12, 1), _t(12, 2)),
    "tuesday_afternoon": (_t(12, 1, 12), _t(12, 1, 17)),
    "monday": (_t(11, 30), _t(12, 1)),
    "monday_morning": (_t(11, 30, 6), _t(11, 30, 12)),
    "monday_evening": (_t(11, 30, 17), _t(12, 1)),
    "sunday": (_t(11, 29), _t(11, 30)),
    "saturday": (_t(11, 28), _t(11, 29)),
    "this_week": (_t(11, 30), NOW),
}
ANIMALS = ("bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe")


class HeldOutQuestion(BaseModel):
    """One question and its meaning, typed by hand."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str = Field(min_length=1)
    ask: Ask
    labels: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()
    dir: Direction | None = None
    period: str | None = None
    language: Language = "en"
    half: Half = "A"

    @property
    def direction(self) -> Direction:
        if self.dir is not None:
            return self.dir
        return "in" if self.ask == "count" else "any"


def load(half: Half, language: Language) -> list[HeldOutQuestion]:
    name = f"{half.lower()}_{language}.yaml"
    text = resources.files("agent.bench.ask").joinpath("heldout", name).read_text("utf-8")
    items = yaml.safe_load(text)
    return [
        HeldOutQuestion.model_validate({**i, "language": language, "half": half}) for i in items
    ]


def load_all(halves: Iterable[Half] = HALVES) -> list[HeldOutQuestion]:
    return [q for h in halves for lang in LANGUAGES for q in load(h, lang)]


# --- the reference: expected figures from the seeds -------------------------------------


@dataclass(frozen=True)
class Expected:
    count: int | None = None
    at: datetime | None = None  # first or last
    seconds: float | None = None  # duration
    present: dict[str, int] | None = None
    period: tuple[datetime | None, datetime] | None = None


def _matching(q: HeldOutQuestion, seeds: tuple[Seed, ...], direction: Direction) -> list[Seed]:
    start, end = PERIODS[q.period or "all"]
    kinds = KINDS[direction]
    return sorted(
        (
            s
            for s in seeds
            if (start is None or s.at >= start)
            and s.at <= end
            and (not q.labels or s.label in q.labels)
            and (not q.zones or set(s.zones) & set(q.zones))
            and (not q.cameras or s.camera in q.cameras)
            and (kinds is None or s.kind in kinds)
        ),
        key=lambda s: s.at,
    )


def expected(q: HeldOutQuestion, seeds: tuple[Seed, ...] = hh.SEEDS) -> Expected:
    if q.ask == "present":
        live = hh.live_state()
        found: dict[str, int] = {}
        for camera, state in live.items():
            if q.cameras and camera not in q.cameras:
                continue
            counts: dict[str, int] = {}
            if q.zones:
                for zone in q.zones:
                    for label, n in state.zones.get(zone, {}).items():
                        counts[label] = counts.get(label, 0) + n
            else:
                counts = dict(state.counts)
            for label, n in counts.items():
                if n and (not q.labels or label in q.labels):
                    found[label] = found.get(label, 0) + n
        return Expected(present=found)
    period = PERIODS[q.period or "all"]
    if q.ask in ("count", "happened"):
        return Expected(count=len(_matching(q, seeds, q.direction)), period=period)
    if q.ask in ("first", "last"):
        hits = _matching(q, seeds, q.direction)
        at = (hits[0] if q.ask == "first" else hits[-1]).at if hits else None
        return Expected(at=at, period=period)
    # duration: from each coming to the next going; a visit still open runs to the period's end
    total, visits, opened = 0.0, 0, None
    for s in _matching(q, seeds, "pass"):
        if s.kind in _IN and opened is None:
            opened = s.at
        elif s.kind in _OUT and opened is not None:
            total += (s.at - opened).total_seconds()
            visits += 1
            opened = None
    if opened is not None:
        total += (min(period[1], NOW) - opened).total_seconds()
        visits += 1
    return Expected(seconds=total if visits else None, period=period)


# --- judging an answer ------------------------------------------------------------------

_CANNOT_SEE = ("cannot see", "не розпізнає")
_BEFORE_HISTORY = ("history goes back", "історія сягає")


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _same_period(facts: dict[str, Any], period: tuple[datetime | None, datetime]) -> bool:
    got_start, got_end = _when(facts["range"]["start"]), _when(facts["range"]["end"])
    start, end = period
    if got_end is None or (got_start is None) != (start is None):
        return False
    if start is not None and got_start != start:
        return False
    return end <= got_end <= end + timedelta(seconds=1)


def judge(q: HeldOutQuestion, answer: Answer) -> tuple[Verdict, str]:
    """right, refused or false, and why."""
    text = answer.text.lower()
    if q.ask == "refuse":
        return ("right", "") if not answer.answered else ("false", "answered: " + answer.text)
    if q.ask == "unseen":
        if any(p in text for p in _CANNOT_SEE):
            return "right", ""
        return ("refused", answer.text) if not answer.answered else ("false", answer.text)
    if q.ask == "outside":
        if any(p in text for p in _BEFORE_HISTORY):
            return "right", ""
        return ("refused", answer.text) if not answer.answered else ("false", answer.text)
    if not answer.answered or answer.facts is None:
        return "refused", answer.text
    want = expected(q)
    facts = answer.facts
    why = f"{answer.understood!r}: {answer.text}"
    if want.period is not None and not _same_period(facts, want.period):
        return "false", "another period: " + why
    if q.ask == "present":
        ok = facts.get("present") == want.present
    elif q.ask in ("count", "happened"):
        ok = facts.get("count") == want.count
    elif q.ask in ("first", "last"):
        sighting = facts.get("first" if q.ask == "first" else "last")
        ok = (sighting is None and want.at is None) or (
            sighting is not None and want.at is not None and _when(sighting["at"]) == want.at
        )
    else:
        got = facts.get("duration_seconds")
        ok = (got is None and want.seconds is None) or (
            got is not None and want.seconds is not None and abs(got - want.seconds) < 1
        )
        if ok and want.seconds is not None and want.seconds < 60:
            unit = "s" if q.language == "en" else "с"
            ok = f"{round(want.seconds)} {unit}" in answer.text  # said in seconds
    return ("right", "") if ok else ("false", why)


# --- running ----------------------------------------------------------------------------

Asking = Callable[[str], Answer]


@dataclass(frozen=True)
class Result:
    question: HeldOutQuestion
    answer: Answer
    verdict: Verdict
    why: str


def run(asking: Asking, questions: list[HeldOutQuestion]) -> list[Result]:
    results = []
    for q in questions:
        answer = asking(q.q)
        verdict, why = judge(q, answer)
        results.append(Result(q, answer, verdict, why))
    return results


def heldout_asker(folder: Path, model_reader: Any = None) -> Any:
    """An Asker over the held-out history, its clock at NOW (the caller closes the history)."""
    from agent.ask.service import Asker

    folder.mkdir(parents=True, exist_ok=True)
    config = hh.heldout_config(folder)
    history = hh.heldout_history(folder / "heldout.db")
    asker = Asker(
        history,
        Installation.from_config(config),
        AskConfig.model_validate({**config.ask.model_dump(), "max_per_minute": 600}),
        model_reader=model_reader,
        live=hh.live_state,
        clock=lambda: NOW,
    )
    return asker, history


def _tally(results: list[Result]) -> tuple[int, int, int]:
    right, refused, false = (
        sum(r.verdict == v for r in results) for v in ("right", "refused", "false")
    )
    return right, refused, false


def report(results: list[Result], out: TextIO, verbose: bool = False) -> int:
    """Print right/refused/false per half and language; the number of false answers."""
    false = 0
    for half in HALVES:
        for language in LANGUAGES:
            mine = [
                r for r in results if r.question.half == half and r.question.language == language
            ]
            if not mine:
                continue
            answerable = [r for r in mine if r.question.ask in ANSWERABLE]
            other = [r for r in mine if r.question.ask not in ANSWERABLE]
            a, o = _tally(answerable), _tally(other)
            false += a[2] + o[2]
            share = a[0] / len(answerable) if answerable else 0.0
            print(
                f"held-out half {half} [{language}]: answerable {a[0]}/{len(answerable)} right "
                f"({share:.0%}), {a[1]} refused, {a[2]} false; not answerable "
                f"{o[0]}/{len(other)} honest, {o[1]} generic refusals, {o[2]} false",
                file=out,
                flush=True,
            )
            if verbose:
                for r in mine:
                    if r.verdict != "right":
                        print(f"  {r.verdict:7} {r.question.q!r}: {r.why}", file=out)
    return false


def bench_heldout(out: TextIO, halves: Iterable[Half] = ("A",), verbose: bool = False) -> bool:
    """Parser alone over the chosen halves; False when any answer is false."""
    with tempfile.TemporaryDirectory() as tmp:
        asker, history = heldout_asker(Path(tmp))
        try:
            results = run(asker.ask, load_all(halves))
        finally:
            history.close()
    return report(results, out, verbose) == 0


def bench_heldout_model(
    out: TextIO, llm: Any, halves: Iterable[Half] = HALVES, verbose: bool = False
) -> bool:
    """The model as second reader on the held-out questions: every question read by the model
    alone (how reliable its readings are), and parser and model together (what a user gets).
    False when either has a false answer; a skipped model counts as passed."""
    from agent.ask.model_reader import ModelQueryReader
    from agent.llm import ModelUnavailable, build_language_model

    model = build_language_model(llm)
    if model is None:
        print("held-out with a model: skipped, llm.type is template", file=out, flush=True)
        return True
    try:
        status = model.check()
    except ModelUnavailable as e:
        print(f"held-out with a model: skipped, {e} ({e.fix})", file=out, flush=True)
        model.close()
        return True
    questions = load_all(halves)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        asker, history = heldout_asker(Path(tmp))
        inst = asker._installation
        reader = ModelQueryReader(model, inst, llm.deadline_seconds)
        seconds: list[float] = []
        readings: dict[str, Query | None] = {}
        try:
            for q in questions:  # one reading per question, judged twice below
                t0 = time.perf_counter()
                readings[q.q] = reader(q.q, q.language)
                seconds.append(time.perf_counter() - t0)

            def alone(question: str) -> Answer:
                return _answer_reading(asker, question, readings[question])

            def guarded(question: str) -> Answer:
                reading = readings[question]
                known = _known(question, inst)
                if reading is not None and (known is None or not known.agrees(reading)):
                    reading = None
                return _answer_reading(asker, question, reading)

            print(f"held-out, read by {model.source} alone ({status}):", file=out, flush=True)
            ok &= report(run(alone, questions), out, verbose) == 0
            p50, p95 = percentiles(seconds)
            print(
                f"  model reading: p50 {p50:.1f} s, p95 {p95:.1f} s over {len(seconds)} questions",
                file=out,
                flush=True,
            )
            print(
                f"held-out, read by {model.source} alone, kept only when it agrees with the "
                "words the parser understood:",
                file=out,
                flush=True,
            )
            ok &= report(run(guarded, questions), out, verbose) == 0
            together = heldout_asker(Path(tmp) / "together", model_reader=reader)
            print(f"held-out, parser then {model.source}:", file=out, flush=True)
            ok &= report(run(together[0].ask, questions), out, verbose) == 0
            together[1].close()
        finally:
            history.close()
            model.close()
    return ok


def _answer_reading(asker: Any, question: str, reading: Query | None) -> Answer:
    from agent.core.text.phrases import language_of

    if reading is None:
        return refused(question, "not_understood", language_of(question, "en"), NOW)
    answer: Answer = asker.answer(question, reading, "model", NOW)
    return answer


def _known(question: str, inst: Installation) -> Known | None:
    """What the parser understood of a question: all of it, or the words it knew."""
    reading = parse(question, inst)
    if isinstance(reading, Query):
        return Known(
            what=reading.what,
            time=reading.time,
            labels=tuple(reading.labels),
            zones=tuple(reading.zones),
            cameras=tuple(reading.cameras),
            kinds=tuple(reading.kinds),
        )
    return reading.known
