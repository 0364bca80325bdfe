"""One question in, one Answer out: bounds, the parser first, the model when it cannot."""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from datetime import datetime

from agent.adapters.history import EventHistory
from agent.ask.answer import (
    Answer,
    compose,
    from_refusal,
    refused,
    understood,
    watch_confirmation,
    watched,
)
from agent.ask.executor import Facts, LiveState, execute
from agent.ask.installation import Installation
from agent.ask.parser import Refusal, parse, standing_question
from agent.ask.query import Query, ReadBy
from agent.ask.timerange import resolve
from agent.ask.watch import WatchNotTaken, WatchTaker, expiry
from agent.config.schema import AskConfig
from agent.core.kinds import Language
from agent.core.text.phrases import language_of

log = logging.getLogger(__name__)

ModelReader = Callable[[str, Language], "Query | None"]
Rewording = Callable[[str, Query, Facts], "str | None"]


class Asker:
    """Answers questions from the history; thread-safe, never sends a command."""

    def __init__(
        self,
        history: EventHistory | None,
        installation: Installation,
        config: AskConfig,
        default_language: Language = "en",
        model_reader: ModelReader | None = None,
        live: LiveState | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
        rewording: Rewording | None = None,
        rewording_source: str = "model",
        watches: WatchTaker | None = None,
    ) -> None:
        self._history = history
        self._installation = installation
        self._config = config
        self._language = default_language
        self._model_reader = model_reader
        self._live = live
        self._clock = clock
        self._rewording = rewording
        self._rewording_source = rewording_source
        self._watches = watches
        self._asked: deque[float] = deque()
        self._lock = threading.Lock()

    def ask(self, question: object) -> Answer:
        now = self._clock()
        if not self._admit():  # every question counts, junk included
            language = (
                language_of(question, self._language)
                if isinstance(question, str)
                else self._language
            )
            return refused("", "too_many", language, now)
        if not isinstance(question, str) or not _is_text(question):
            return refused("", "not_text", self._language, now)
        language = language_of(question, self._language)
        shown = question[: self._config.max_question_chars]
        if len(question) > self._config.max_question_chars:
            limit = self._config.max_question_chars
            return refused(shown, "too_long", language, now, limit=limit)
        if self._history is None:
            return refused(shown, "no_history", language, now)
        standing = standing_question(question, self._language)
        if standing is not None:
            return self._watch(shown, standing, language, now)
        reading = parse(question, self._installation, self._language)
        read_by: ReadBy = "parser"
        if isinstance(reading, Refusal) and reading.for_model and self._model_reader is not None:
            query = self._model_reader(question, reading.language)
            if query is not None and reading.known is not None and reading.known.agrees(query):
                reading, read_by = query, "model"
            elif query is not None:
                # The model dropped or changed what the understood words say ('yesterday',
                # 'left', 'the gate'): its reading would answer another question.
                log.info("the model's reading of a question disagrees with its known words")
        if isinstance(reading, Refusal):
            return from_refusal(shown, reading, now)
        period = resolve(reading.time, now, reading.language, self._installation.night)
        if period.start is not None and period.start > now:  # 'this evening', asked at 14:00
            return refused(shown, "future", reading.language, now)
        return self.answer(shown, reading, read_by, now)

    def answer(self, question: str, query: Query, read_by: ReadBy, now: datetime) -> Answer:
        """Run a query and word its facts."""
        assert self._history is not None
        facts = execute(query, self._history, self._installation, now, self._live)
        text = compose(query, facts, self._installation, now)
        answered = not (query.unseen and not query.labels)
        worded_by = "template"
        if self._rewording is not None and answered and not query.unseen:
            reworded = self._rewording(text, query, facts)
            if reworded is not None:
                text, worded_by = reworded, self._rewording_source
        return Answer(
            question=question,
            text=text,
            answered=answered,
            worded_by=worded_by,
            understood=understood(query, facts, self._installation),
            read_by=read_by,
            language=query.language,
            query=query.model_dump(mode="json"),
            facts=facts.model_dump(mode="json", exclude={"listed": {"__all__": {"event"}}}),
            at=now,
        )

    def _watch(self, question: str, words: str, language: Language, now: datetime) -> Answer:
        """'Tell me when …': a watch until its period ends, confirmed back in words."""
        if self._watches is None:
            return refused(question, "no_watches", language, now)
        reading = parse(words, self._installation, language, standing=True)
        if isinstance(reading, Refusal):
            return from_refusal(question, reading, now)
        if reading.unseen and not reading.labels:
            return self.answer(question, reading, "parser", now)  # the detector cannot see it
        period = None if reading.time.name == "all" else reading.time.name
        waits = (None, "today", "last_night", "this_morning", "this_afternoon", "this_evening")
        if period not in waits or reading.time.part is not None:
            return refused(question, "past_watch", language, now)
        until = expiry(period, now, self._installation.night[1], self._config.watch_hours)
        if until <= now:
            return refused(question, "past_watch", language, now)
        what = watched(reading, self._installation)
        try:
            watch, agent = self._watches.place(reading, question, what, until)
        except WatchNotTaken as e:
            return refused(question, e.reason, language, now, **e.values)
        facts: dict[str, object] = {"watch": watch.model_dump(mode="json")}
        if agent is not None:
            facts["agent"] = agent  # the agent of the fleet that keeps and fires it
        return Answer(
            question=question,
            text=watch_confirmation(what, until, now, language == "en"),
            answered=True,
            understood=what,
            read_by="parser",
            language=language,
            query=reading.model_dump(mode="json"),
            facts=facts,
            at=now,
        )

    def _admit(self) -> bool:
        """At most max_per_minute questions in any 60 s."""
        with self._lock:
            t = time.monotonic()
            while self._asked and t - self._asked[0] > 60:
                self._asked.popleft()
            if len(self._asked) >= self._config.max_per_minute:
                return False
            self._asked.append(t)
            return True


def _is_text(question: str) -> bool:
    """No control characters (binary junk), something to read."""
    return not any(
        unicodedata.category(c) in ("Cc", "Cs", "Co") and c not in "\t\n\r" for c in question
    )
