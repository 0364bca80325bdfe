"""The language-model section of `eva bench`: a fixed set of events through each backend."""

from __future__ import annotations

import itertools
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from agent.core.events import Event, EventObject, new_event_id
from agent.core.kinds import EventKind, Language
from agent.core.settings import ZoneConfig
from agent.core.text import describe
from agent.llm.base import LanguageModel
from agent.llm.prompt import facts_line
from agent.llm.summarizer import Summarizer

BENCH_ZONES = {
    z.name: z
    for z in (
        ZoneConfig(name="gate", preposition="at"),
        ZoneConfig(name="barn", preposition="in"),
        ZoneConfig(name="yard", preposition="in"),
    )
}
_KINDS: tuple[EventKind, ...] = (
    "arrival",
    "departure",
    "zone_enter",
    "zone_exit",
    "dwell",
    "count_change",
)
_LABELS = ("cow", "sheep", "person", "dog", "horse", "car")
_COUNTS = (1, 2, 3, 5)
DWELL_SECONDS = 300.0


def bench_events(n: int = 60, languages: tuple[Language, ...] = ("en", "uk")) -> list[Event]:
    """`n` varied, deterministic events (kinds, labels, counts, zones, languages)."""
    start = datetime(2026, 5, 1, 5, 0, tzinfo=UTC).astimezone()
    combos = itertools.cycle(
        itertools.product(_KINDS, _LABELS, _COUNTS, (None, "gate", "barn", "yard"))
    )
    events: list[Event] = []
    for i, (kind, label, count, zone) in enumerate(itertools.islice(combos, 0, n * 7, 7)):
        if kind in ("zone_enter", "zone_exit", "dwell") and zone is None:
            zone = "yard"
        objects = [
            EventObject(
                label=label,
                count=count,
                previous_count=count + 1 if kind == "count_change" else None,
                zones=[zone] if zone else [],
                max_score=0.9,
            )
        ]
        if i % 5 == 4 and kind != "count_change":  # some events with two kinds of object
            objects.append(
                EventObject(
                    label="person" if label != "person" else "dog",
                    count=1,
                    zones=[zone] if zone else [],
                    max_score=0.8,
                )
            )
        at = start + timedelta(minutes=7 * i)
        language = languages[i % len(languages)]
        events.append(
            template_event("bench", kind, objects, at, language, BENCH_ZONES, DWELL_SECONDS)
        )
    return events


def template_event(
    camera: str,
    kind: EventKind,
    objects: list[EventObject],
    at: datetime,
    language: Language = "en",
    zones: dict[str, ZoneConfig] | None = None,
    dwell_seconds: float = 60.0,
) -> Event:
    """An event of the benchmarks, worded by the templates as the core words it."""
    title, summary = describe(kind, objects, zones or {}, language, dwell_seconds, at)
    return Event(
        id=new_event_id(at),
        camera=camera,
        rule=kind,
        kind=kind,
        started_at=at,
        ended_at=at,
        objects=objects,
        severity="info",
        title=title,
        summary=summary,
        summary_source="template",
        language=language,
    )


@dataclass(frozen=True)
class LlmFigures:
    """What one backend did with the fixed event set."""

    source: str
    events: int
    answers: int
    grounded_answers: int
    published_from_model: int
    prompt_tokens_mean: float
    output_tokens_mean: float
    p50_seconds: float
    p95_seconds: float
    tokens_per_second: float
    examples: list[tuple[str, str, str]]  # (facts, first answer, verdict)

    @property
    def grounded_rate(self) -> float:
        """Share of the model's answers that passed the verifier."""
        return self.grounded_answers / self.answers if self.answers else 0.0


def bench_model(model: LanguageModel, events: list[Event], max_tokens: int = 48) -> LlmFigures:
    """Word every event (deadline 60 s each), counting tokens, time and verifier verdicts."""
    summarizer = Summarizer(model, "farm", max_tokens)
    seconds: list[float] = []
    answers = grounded = from_model = 0
    prompt_tokens = output_tokens = 0
    examples: list[tuple[str, str, str]] = []
    for event in events:
        facts = facts_line(event, BENCH_ZONES, DWELL_SECONDS)
        summary = summarizer.word_event(event, BENCH_ZONES, DWELL_SECONDS, time.monotonic() + 60)
        seconds.append(summary.seconds)
        prompt_tokens += summary.prompt_tokens
        output_tokens += summary.output_tokens
        answers += len(summarizer.attempts)
        grounded += sum(1 for a in summarizer.attempts if not a.problems)
        from_model += summary.from_model
        if summarizer.attempts and len(examples) < 6:
            first = summarizer.attempts[0]
            examples.append((facts, first.text, "; ".join(first.problems) or "grounded"))
    seconds.sort()
    total_seconds = sum(seconds)
    return LlmFigures(
        source=model.source,
        events=len(events),
        answers=answers,
        grounded_answers=grounded,
        published_from_model=from_model,
        prompt_tokens_mean=prompt_tokens / max(1, answers),
        output_tokens_mean=output_tokens / max(1, answers),
        p50_seconds=statistics.median(seconds),
        p95_seconds=seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))],
        tokens_per_second=output_tokens / total_seconds if total_seconds else 0.0,
        examples=examples,
    )
