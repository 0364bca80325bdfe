"""Wording in the background: events go out with template text at once; a model's verified
sentence follows as an update of the same event id. Nothing here ever blocks a camera."""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from agent.config.schema import CameraConfig
from agent.core.events import CameraState, Event, EventUpdate
from agent.core.settings import ZoneConfig
from agent.llm.base import ModelUnavailable
from agent.llm.summarizer import Summarizer

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WordingCounters:
    """How each event's summary ended up; every event lands in exactly one counter."""

    model_first_try: int = 0  # the model's first answer passed the verifier
    model_retry: int = 0  # the second answer passed after the first was rejected
    template_rejected: int = 0  # both answers failed the verifier (or were not JSON)
    template_model_down: int = 0  # the model was unreachable, missing or busy
    template_deadline: int = 0  # the event waited or took longer than deadline_seconds
    template_superseded: int = 0  # a newer event of the same camera took its place
    template_backlog: int = 0  # more than max_pending events were waiting

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class _Pending:
    event: Event
    received: float  # monotonic


class WordingQueue:
    """A Sink that words events with a model on its own thread(s) and delivers updates."""

    def __init__(
        self,
        summarizer: Summarizer,
        cameras: list[CameraConfig],
        deliver: Callable[[EventUpdate], None],
        *,
        deadline_seconds: float,
        max_pending: int,
        retry_after_seconds: float,
        max_in_flight: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._summarizer = summarizer
        self._zones: dict[str, dict[str, ZoneConfig]] = {
            c.name: {z.name: z for z in c.zones} for c in cameras
        }
        self._dwell = {(c.name, r.name): r.dwell_seconds for c in cameras for r in c.rules}
        self._deliver = deliver
        self._deadline = deadline_seconds
        self._max_pending = max_pending
        self._retry_after = retry_after_seconds
        self._clock = clock
        self.counters = WordingCounters()
        self._model_seconds: deque[float] = deque(maxlen=100)
        self._cond = threading.Condition()
        # Keyed by camera: a newer event of the same camera replaces the older one.
        self._pending: OrderedDict[str, _Pending] = OrderedDict()
        self._in_flight = 0
        self._down_until = 0.0
        self._down_reason: str | None = None
        self._closed = False
        self._threads = [
            threading.Thread(target=self._run, name=f"wording-{i}", daemon=True)
            for i in range(max_in_flight)
        ]
        for t in self._threads:
            t.start()

    # Sink protocol -----------------------------------------------------------------------
    def event(self, event: Event) -> None:
        """Queue an event for wording; returns at once."""
        with self._cond:
            if self._closed:
                return
            if self._clock() < self._down_until:
                self.counters.template_model_down += 1
                return
            if self._pending.pop(event.camera, None) is not None:
                self.counters.template_superseded += 1
            self._pending[event.camera] = _Pending(event, self._clock())
            while len(self._pending) > self._max_pending:
                self._pending.popitem(last=False)
                self.counters.template_backlog += 1
            self._cond.notify()

    def state(self, state: CameraState) -> None:
        """Camera state is not worded."""

    def update(self, update: EventUpdate) -> None:
        """Updates are this queue's own output."""

    # -------------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Events waiting for wording or being worded now."""
        with self._cond:
            return len(self._pending) + self._in_flight

    def model_seconds_p50(self) -> float | None:
        """Median model time per event over the latest 100 that reached the model."""
        with self._cond:
            samples = list(self._model_seconds)
        return round(statistics.median(samples), 3) if samples else None

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is pending or in flight; False on timeout (for tests and demo)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._in_flight, timeout)

    def close(self, timeout: float = 2.0) -> None:
        """Stop taking events; what is still pending keeps its template text."""
        with self._cond:
            self._closed = True
            self.counters.template_deadline += len(self._pending)
            self._pending.clear()
            self._cond.notify_all()
        for t in self._threads:
            t.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or bool(self._pending))
                if self._closed:
                    return
                _, item = self._pending.popitem(last=False)
                self._in_flight += 1
            try:
                self._word(item)
            except Exception:  # a bug in wording must not kill the thread
                log.exception("wording event %s failed", item.event.id)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _word(self, item: _Pending) -> None:
        event = item.event
        deadline = item.received + self._deadline
        now = self._clock()
        if now < self._down_until:
            self._count("template_model_down")
            return
        # The summarizer's deadline is on time.monotonic(); translate from our clock.
        left = deadline - now
        zones = self._zones.get(event.camera, {})
        dwell = self._dwell.get((event.camera, event.rule), 0.0)
        try:
            summary = self._summarizer.word_event(event, zones, dwell, time.monotonic() + left)
        except ModelUnavailable as e:
            self._model_down(e)
            return
        self._model_up()
        if summary.attempts:
            with self._cond:
                self._model_seconds.append(summary.seconds)
        if not summary.from_model:
            deadline_hit = "the deadline passed" in summary.problems
            self._count("template_deadline" if deadline_hit else "template_rejected")
            log.debug("event %s keeps its template text: %s", event.id, "; ".join(summary.problems))
            return
        self._count("model_first_try" if summary.attempts == 1 else "model_retry")
        self._deliver(
            EventUpdate(
                id=event.id,
                camera=event.camera,
                summary=summary.text,
                summary_source=summary.source,
                language=event.language,
                worded_at=datetime.now(UTC),
                model_seconds=round(summary.seconds, 3),
                attempts=summary.attempts,
            )
        )

    def _count(self, name: str) -> None:
        with self._cond:
            setattr(self.counters, name, getattr(self.counters, name) + 1)

    def _model_down(self, error: ModelUnavailable) -> None:
        with self._cond:
            self.counters.template_model_down += 1
            self._down_until = self._clock() + self._retry_after
            first = self._down_reason != str(error)
            self._down_reason = str(error)
        if first:  # once per distinct reason, not per event
            fix = f"; fix: {error.fix}" if error.fix else ""
            log.warning(
                "language model unavailable, events keep their template text: %s%s "
                "(retrying every %.0f s)",
                error,
                fix,
                self._retry_after,
            )

    def _model_up(self) -> None:
        with self._cond:
            was_down, self._down_reason = self._down_reason, None
            self._down_until = 0.0
        if was_down is not None:
            log.info("language model is back; events are worded again")
