"""The one interface every language-model backend implements, and its errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

from eva_errors import EvaError, UserError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    """One chat turn."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ModelReply:
    """What a backend returns: the raw text and what it cost."""

    text: str
    prompt_tokens: int
    output_tokens: int
    seconds: float
    stopped_by_limit: bool = False

    @property
    def tokens_per_second(self) -> float:
        return self.output_tokens / self.seconds if self.seconds > 0 else 0.0


class ModelError(EvaError):
    """The model gave no usable answer this time; `fix` tells the operator what to do."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


class ModelUnavailable(ModelError, UserError):
    """The backend cannot answer now (server down, model missing, busy): back off, then retry."""


class ModelTimeout(ModelError):
    """The answer did not come before the deadline."""


class LanguageModel(ABC):
    """A chat model that answers with JSON matching a schema."""

    @property
    @abstractmethod
    def source(self) -> str:
        """Who wrote a text, for `summary_source`: 'ollama:qwen2.5:0.5b', 'llamacpp:...'."""

    @abstractmethod
    def chat(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        max_tokens: int,
        timeout: float,
    ) -> ModelReply:
        """Answer the conversation; raises ModelUnavailable, ModelTimeout or ModelError."""

    @abstractmethod
    def check(self) -> str:
        """Probe that the backend can run and its model is present; returns a one-line status.

        Raises ModelUnavailable with a fix when it cannot.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release the model; the default has nothing to release."""
