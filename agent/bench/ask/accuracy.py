"""`eva bench --ask`: accuracy on the question suite (parser alone, and with the model) and
latency on a year of events."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from agent.adapters.history import EventHistory
from agent.ask.installation import Installation
from agent.ask.model_reader import ModelQueryReader
from agent.ask.query import Query
from agent.ask.service import Asker
from agent.bench.ask.scoring import Score, score
from agent.bench.ask.seeded import NOW, live_state, seed_history, seeded_config, year_of_events
from agent.bench.ask.suite import CASES, Case, Expect
from agent.config.schema import AskConfig, LlmConfig
from agent.core.kinds import Language

#: Issue 18's target for the model as second reader, measured on a quiet machine.
MODEL_P95_TARGET_SECONDS = 3.0

# Questions the parser refuses on purpose (words it does not know), for the model to read.
MODEL_CASES: tuple[Case, ...] = (
    Case("Any cows spotted near the gate recently?", "en", "refuse"),
    Case("Were there visitors at the front door lately?", "en", "refuse"),
    Case("Has the cat been hanging about the coop today?", "en", "refuse"),
    Case("Чи бачили корів біля воріт нещодавно?", "uk", "refuse"),
    Case("Чи навідувались гості до дверей сьогодні?", "uk", "refuse"),
)


@dataclass(frozen=True)
class SuiteFigures:
    language: str
    answerable: int
    correct: int
    unanswerable: int
    honest: int
    invented: int
    wrong: list[str]


def run_suite(asker: Asker, installation: Installation, cases: tuple[Case, ...]) -> list[Score]:
    return [score(c, asker.ask(c.question), installation) for c in cases]


def figures(scores: list[Score], language: str) -> SuiteFigures:
    mine = [s for s in scores if s.case.language == language]
    answerable = [s for s in mine if isinstance(s.case.expect, Expect)]
    other = [s for s in mine if not isinstance(s.case.expect, Expect)]
    return SuiteFigures(
        language=language,
        answerable=len(answerable),
        correct=sum(s.correct for s in answerable),
        unanswerable=len(other),
        honest=sum(s.correct for s in other),
        invented=sum(bool(s.invented) for s in mine),
        wrong=[s.case.question for s in mine if not s.correct],
    )


def bench_ask(
    out: TextIO, llm: LlmConfig | None, rows: int = 200_000, model_questions: int = 5
) -> bool:
    """Print the figures; False when a target is missed."""
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = seeded_config(folder)
        installation = Installation.from_config(config)
        ask_config = AskConfig(max_per_minute=600)
        history = EventHistory(folder / "suite.db")
        seed_history(history)
        parser_only = Asker(history, installation, ask_config, live=live_state, clock=lambda: NOW)
        scores = run_suite(parser_only, installation, CASES)
        for language, target in (("en", 0.95), ("uk", 0.85)):
            f = figures(scores, language)
            share = f.correct / f.answerable if f.answerable else 0.0
            met = share >= target and f.honest == f.unanswerable and f.invented == 0
            ok &= met
            print(
                f"ask parser [{language}]: {f.correct}/{f.answerable} answerable read right "
                f"({share:.0%}, target {target:.0%}), {f.honest}/{f.unanswerable} others "
                f"honestly refused, {f.invented} with invented facts"
                + ("" if met else f"  MISSED: {f.wrong[:5]}"),
                file=out,
                flush=True,
            )
        if llm is not None:
            ok &= _bench_model(out, llm, history, installation, ask_config, model_questions)
        history.close()

        big = EventHistory(folder / "year.db")
        started = time.perf_counter()
        year_of_events(big, rows)
        seed_history(big)
        fill = time.perf_counter() - started
        timed = Asker(big, installation, ask_config, live=live_state, clock=lambda: NOW)
        seconds = []
        for case in CASES:
            t0 = time.perf_counter()
            timed.ask(case.question)
            seconds.append(time.perf_counter() - t0)
        p50, p95 = percentiles(seconds)
        met = p95 <= 0.2
        ok &= met
        print(
            f"ask latency, parser: {big.count()} events over a year (stored in {fill:.0f} s), "
            f"{len(seconds)} questions: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {max(seconds) * 1000:.0f} ms (target p95 <= 200 ms)" + ("" if met else " MISSED"),
            file=out,
            flush=True,
        )
        big.close()
    from agent.bench.ask.heldout import HALVES, bench_heldout
    from agent.bench.ask.morphology import bench_morphology

    ok &= bench_heldout(out, HALVES)
    bench_morphology(out)
    return ok


def _bench_model(
    out: TextIO,
    llm: LlmConfig,
    history: EventHistory,
    installation: Installation,
    ask_config: AskConfig,
    n: int,
) -> bool:
    from agent.llm import ModelUnavailable, build_language_model

    model = build_language_model(llm)
    if model is None:
        print("ask with a model: skipped, llm.type is template", file=out, flush=True)
        return True
    try:
        status = model.check()
    except ModelUnavailable as e:
        print(f"ask with a model: skipped, {e} ({e.fix})", file=out, flush=True)
        model.close()
        return True
    model_reader = ModelQueryReader(model, installation, llm.deadline_seconds)
    model_seconds: list[float] = []

    def reader(question: str, language: Language) -> Query | None:
        t0 = time.perf_counter()
        try:
            return model_reader(question, language)
        finally:
            model_seconds.append(time.perf_counter() - t0)

    asker = Asker(
        history, installation, ask_config, model_reader=reader, live=live_state, clock=lambda: NOW
    )
    # The model only sees what the parser refuses: the suite's refusals and the paraphrases.
    refused = tuple(c for c in CASES if c.expect == "refuse")[:n] + MODEL_CASES[:n]
    scores = []
    for case in refused:
        answer = asker.ask(case.question)
        scores.append((case, answer, score(case, answer, installation)))
    model.close()
    suite_refusals = [s for c, _, s in scores if c in CASES]
    read = [(c, a) for c, a, _ in scores if c not in CASES and a.read_by == "model"]
    invented = sum(bool(s.invented) for _, _, s in scores)
    kept_honest = sum(s.correct for s in suite_refusals)
    p50, p95 = percentiles(model_seconds)
    print(
        f"ask with {model.source} ({status}): of {len(suite_refusals)} questions to refuse, "
        f"{kept_honest} still refused; of {sum(1 for c, _, _ in scores if c not in CASES)} "
        f"paraphrases the parser cannot read, {len(read)} read by the model; "
        f"{invented} with invented facts; {len(model_seconds)} reached the model, which took "
        f"p50 {p50:.1f} s, p95 {p95:.1f} s (target p95 <= {MODEL_P95_TARGET_SECONDS:g} s on a "
        "quiet machine)" + ("" if p95 <= MODEL_P95_TARGET_SECONDS else " MISSED"),
        file=out,
        flush=True,
    )
    for case, answer in read:
        print(f"  model read {case.question!r}: {answer.understood}", file=out, flush=True)
    for case, answer, result in scores:
        if case in CASES and not result.correct:
            print(f"  answered, not refused: {case.question!r}: {answer.text}", file=out)
    return invented == 0


def percentiles(values: list[float]) -> tuple[float, float]:
    """Median and 95th percentile of latencies (0 for none)."""
    if len(values) < 2:
        v = values[0] if values else 0.0
        return v, v
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return statistics.median(values), cuts[18]
