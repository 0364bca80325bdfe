"""Facts to words: ask the model, verify against the facts, retry once, else the template."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

from pydantic import ValidationError

from agent.config.schema import Domain
from agent.core.events import Event
from agent.core.grounding import Grounding
from agent.core.kinds import Language
from agent.core.settings import ZoneConfig
from agent.llm.base import LanguageModel, ModelError, ModelTimeout
from agent.llm.prompt import (
    ModelSummary,
    event_examples,
    facts_line,
    facts_messages,
    summary_schema,
)
from agent.llm.verify import event_grounding, verify

# Below this much time left, a model call cannot finish: keep the template.
MIN_CALL_SECONDS = 0.2
# Small models' vocabularies split Cyrillic into about three times the tokens of English;
# without more room a Ukrainian sentence is cut off and its JSON never closes.
TOKEN_FACTOR: dict[Language, int] = {"en": 1, "uk": 2}
_SPACES = re.compile(r"\s+")
_END = re.compile(r"[.!?…]+$")


@dataclass(frozen=True, slots=True)
class Request:
    """What one sentence is asked for with: the facts, what may be said, and examples."""

    facts: str
    grounding: Grounding
    examples: list[tuple[str, str]] | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    """The text to publish and how it came about."""

    text: str
    source: str
    attempts: int = 0
    problems: tuple[str, ...] = ()
    seconds: float = 0.0
    prompt_tokens: int = 0
    output_tokens: int = 0

    @property
    def from_model(self) -> bool:
        return self.source != "template"


@dataclass(slots=True)
class Attempt:
    """One answer of the model and what the verifier thought of it (for benchmarks)."""

    text: str
    problems: list[str] = field(default_factory=list)


class Summarizer:
    """Words facts with a language model; only text that passes the verifier comes out.

    ModelUnavailable propagates so the caller can back off; every other failure (a wrong,
    malformed or late answer) ends in the template text.
    """

    def __init__(self, model: LanguageModel, domain: Domain, max_tokens: int) -> None:
        self.model = model
        self._domain = domain
        self._max_tokens = max_tokens
        self.attempts: list[Attempt] = []  # latest call's answers, for benchmarks and logs
        self._cost: list[float] = [0.0, 0, 0]  # seconds, prompt and output tokens of a call
        self._previous: str | None = None

    def word(
        self,
        facts: str,
        grounding: Grounding,
        template: str,
        deadline: float,
        language: Language,
        examples: list[tuple[str, str]] | None = None,
        clauses: list[Request] | None = None,
    ) -> Summary:
        """The model's verified sentence for `facts`, or `template`; `deadline` is monotonic.

        With `clauses` (one per object of a multi-object event), a rejected first answer is
        followed by one short sentence per clause, each verified against its own facts, and
        joined; the joined sentence is verified against `grounding` too.
        """
        self.attempts = []
        self._cost = [0.0, 0, 0]
        first = self._ask(Request(facts, grounding, examples), language, deadline)
        if isinstance(first, str):
            return self._summary(first, 1)
        problems = first
        if clauses and len(clauses) > 1 and problems != ["the deadline passed"]:
            parts: list[str] = []
            for clause in clauses:
                answer = self._ask(clause, language, deadline)
                if not isinstance(answer, str):
                    problems = answer
                    break
                parts.append(answer)
            else:
                text = join_clauses(parts)
                problems = verify(text, grounding)
                if not problems:
                    return self._summary(text, 2)
        elif problems != ["the deadline passed"]:
            retry = self._ask(
                Request(facts, grounding, examples),
                language,
                deadline,
                problems=problems,
                previous=self._previous,
            )
            if isinstance(retry, str):
                return self._summary(retry, 2)
            problems = retry
        spent, prompt_tokens, output_tokens = self._cost
        return Summary(
            template,
            "template",
            len(self.attempts),
            tuple(problems),
            float(spent),
            int(prompt_tokens),
            int(output_tokens),
        )

    def word_event(
        self,
        event: Event,
        zones: dict[str, ZoneConfig],
        dwell_seconds: float,
        deadline: float,
    ) -> Summary:
        """An event's verified sentence, or its template text; several objects may be worded
        one short sentence each when the whole sentence fails."""
        clauses = None
        if len(event.objects) > 1:
            clauses = [
                self._request(event.model_copy(update={"objects": [o]}), zones, dwell_seconds)
                for o in event.objects
            ]
        whole = self._request(event, zones, dwell_seconds)
        return self.word(
            whole.facts,
            whole.grounding,
            event.summary,
            deadline,
            event.language,
            whole.examples,
            clauses,
        )

    def _request(self, event: Event, zones: dict[str, ZoneConfig], dwell: float) -> Request:
        return Request(
            facts_line(event, zones, dwell),
            event_grounding(event, zones, dwell),
            event_examples(event, zones, self._domain, dwell),
        )

    def _summary(self, text: str, attempts: int) -> Summary:
        spent, prompt_tokens, output_tokens = self._cost
        return Summary(
            text,
            self.model.source,
            attempts,
            (),
            float(spent),
            int(prompt_tokens),
            int(output_tokens),
        )

    def _ask(
        self,
        request: Request,
        language: Language,
        deadline: float,
        problems: list[str] | None = None,
        previous: str | None = None,
    ) -> str | list[str]:
        """One answer: the verified text, or its problems."""
        left = deadline - time.monotonic()
        if left < MIN_CALL_SECONDS:
            return ["the deadline passed"]
        messages = facts_messages(
            request.facts, language, self._domain, problems, previous, request.examples
        )
        try:
            reply = self.model.chat(
                messages,
                summary_schema(language),
                self._max_tokens * TOKEN_FACTOR[language],
                left,
            )
        except ModelTimeout:
            return ["the deadline passed"]
        except ModelError as e:
            if type(e) is not ModelError:  # ModelUnavailable: the caller backs off
                raise
            self._previous = None
            return [f"the model failed: {e}"]
        self._cost[0] += reply.seconds
        self._cost[1] += reply.prompt_tokens
        self._cost[2] += reply.output_tokens
        text, found = self._check(reply.text, request.grounding)
        self.attempts.append(Attempt(reply.text, list(found)))
        self._previous = text or reply.text
        return found or text

    @staticmethod
    def _check(raw: str, grounding: Grounding) -> tuple[str, list[str]]:
        try:
            # strict=False: a small model may put a raw newline inside the string; the
            # whitespace is normalized below, so that is no reason to reject the answer.
            text = ModelSummary.model_validate(json.loads(raw, strict=False)).summary
        except (ValueError, ValidationError):
            return "", ['the answer must be JSON like {"summary": "one sentence"}']
        text = _SPACES.sub(" ", text).strip()
        return text, verify(text, grounding)


def join_clauses(parts: list[str]) -> str:
    """'Two cows left the barn.' + 'A person left the barn.' -> one sentence with '; '."""
    trimmed = [_END.sub("", p.strip()) for p in parts]
    rest = [p if p[1:2].isupper() else p[:1].lower() + p[1:] for p in trimmed[1:]]  # not "TV"
    return "; ".join([trimmed[0], *rest]) + "."
