"""Facts to words: ask the model, verify against the facts, retry once, else the template."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

from pydantic import ValidationError

from agent.config import Domain, Language
from agent.llm.base import LanguageModel, ModelError, ModelTimeout
from agent.llm.grounding import Grounding
from agent.llm.prompt import SUMMARY_SCHEMA, ModelSummary, facts_messages
from agent.llm.verify import verify

# Below this much time left, a model call cannot finish: keep the template.
MIN_CALL_SECONDS = 0.2
_SPACES = re.compile(r"\s+")


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

    def word(
        self,
        facts: str,
        grounding: Grounding,
        template: str,
        deadline: float,
        language: Language,
    ) -> Summary:
        """The model's verified sentence for `facts`, or `template`; `deadline` is monotonic."""
        self.attempts = []
        problems: list[str] = []
        previous: str | None = None
        spent = 0.0
        prompt_tokens = output_tokens = 0
        for attempt in (1, 2):
            left = deadline - time.monotonic()
            if left < MIN_CALL_SECONDS:
                problems = problems or ["the deadline passed"]
                break
            messages = facts_messages(facts, language, self._domain, problems, previous)
            try:
                reply = self.model.chat(messages, SUMMARY_SCHEMA, self._max_tokens, left)
            except ModelTimeout:
                problems = ["the deadline passed"]
                break
            except ModelError as e:
                if type(e) is not ModelError:  # ModelUnavailable: the caller backs off
                    raise
                problems = [f"the model failed: {e}"]
                continue
            spent += reply.seconds
            prompt_tokens += reply.prompt_tokens
            output_tokens += reply.output_tokens
            text, problems = self._check(reply.text, grounding)
            self.attempts.append(Attempt(reply.text, list(problems)))
            if not problems:
                return Summary(
                    text, self.model.source, attempt, (), spent, prompt_tokens, output_tokens
                )
            previous = text or reply.text
        return Summary(
            template,
            "template",
            len(self.attempts),
            tuple(problems),
            spent,
            prompt_tokens,
            output_tokens,
        )

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
