"""A model served by Ollama over its HTTP API, through the `ollama` Python client.

Every failure of the client is turned into ModelUnavailable, ModelTimeout or ModelError with a
`fix` for the operator; nothing raw escapes. This module never logs: the caller logs once.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

import httpx
import ollama
import pydantic

from agent.config.schema import OllamaLlmConfig
from agent.llm.base import (
    LanguageModel,
    Message,
    ModelError,
    ModelReply,
    ModelTimeout,
    ModelUnavailable,
)

DEFAULT_HOST = "http://localhost:11434"
CHECK_TIMEOUT_SECONDS = 3.0

_START_FIX = (
    "start Ollama (`ollama serve` or `systemctl start ollama`) or set llm.host / OLLAMA_HOST"
)
_BUSY_FIX = "lower the event rate or raise OLLAMA_MAX_QUEUE"
_SLOW_FIX = "raise llm.deadline_seconds, lower llm.max_tokens or choose a smaller model"
_LOG_FIX = "see Ollama's log (`journalctl -u ollama`) for the cause"


def resolve_host(config_host: str | None, env: Mapping[str, str]) -> str:
    """llm.host, else $OLLAMA_HOST, else Ollama's default address; blanks count as unset."""
    for candidate in (config_host, env.get("OLLAMA_HOST")):
        if candidate and candidate.strip():
            return candidate.strip()
    return DEFAULT_HOST


def keep_alive_value(text: str) -> str | int | float | None:
    """llm.keep_alive as Ollama takes it: numbers (seconds, negative = forever) as numbers.

    Ollama parses a string with Go's time.ParseDuration, which refuses a bare "-1" or "300";
    durations such as "30m" stay strings; an empty value leaves Ollama's default.
    """
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _tag_name(name: str) -> str:
    """A model name with its tag made explicit: 'llama3' and 'llama3:latest' are one model."""
    name = name.strip().lower()
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else f"{name}:latest"


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _describe_bad_reply(error: pydantic.ValidationError | json.JSONDecodeError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON: {error.msg}"
    problems = error.errors(include_url=False)
    if not problems:
        return _first_line(str(error))
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "reply"
    return _first_line(f"{where}: {first['msg']}; the reply was {first.get('input')!r}")


class OllamaModel(LanguageModel):
    """Chat with one Ollama model; safe to call from several threads at once."""

    def __init__(self, config: OllamaLlmConfig, env: Mapping[str, str] | None = None) -> None:
        self._config = config
        self._host = resolve_host(config.host, os.environ if env is None else env)
        self._keep_alive = keep_alive_value(config.keep_alive)
        # The client takes its timeout when it is built, so each call builds a light client
        # around this one shared connection pool (building one without it costs ~20 ms).
        self._transport = httpx.HTTPTransport()

    @property
    def host(self) -> str:
        return self._host

    @property
    def model(self) -> str:
        return self._config.model

    @property
    def source(self) -> str:
        return f"ollama:{self._config.model}"

    def _client(self, timeout: float) -> ollama.Client:
        return ollama.Client(host=self._host, timeout=timeout, transport=self._transport)

    def chat(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        max_tokens: int,
        timeout: float,
    ) -> ModelReply:
        options = {
            "num_predict": max_tokens,
            "temperature": self._config.temperature,
            "seed": self._config.seed,
        }
        started = time.monotonic()
        try:
            response = self._client(timeout).chat(
                self._config.model,
                messages=[{"role": m.role, "content": m.content} for m in messages],
                format=schema,
                stream=False,
                options=options,
                keep_alive=self._keep_alive,
            )
        except Exception as e:  # every client failure becomes one of ours, never raw
            raise self._translate(e, timeout) from e
        seconds = time.monotonic() - started
        return ModelReply(
            text=response.message.content or "",
            prompt_tokens=response.prompt_eval_count or 0,
            output_tokens=response.eval_count or 0,
            seconds=seconds,
            stopped_by_limit=response.done_reason == "length",
        )

    def check(self) -> str:
        try:
            listing = self._client(CHECK_TIMEOUT_SECONDS).list()
        except ollama.ResponseError as e:
            raise ModelUnavailable(
                f"Ollama at {self._host} did not list its models: {_first_line(e.error)} "
                f"(HTTP {e.status_code})",
                fix=_START_FIX,
            ) from e
        except Exception as e:
            reason = _first_line(str(e)) or type(e).__name__
            raise ModelUnavailable(
                f"Ollama is not reachable at {self._host} ({reason})",
                fix=_START_FIX,
            ) from e
        wanted = _tag_name(self._config.model)
        if any(m.model and _tag_name(m.model) == wanted for m in listing.models):
            return f"Ollama at {self._host} has {self._config.model}"
        raise ModelUnavailable(
            f"model {self._config.model} is not in Ollama at {self._host}",
            fix=f"run `ollama pull {self._config.model}`",
        )

    def close(self) -> None:
        self._transport.close()

    def _translate(self, error: Exception, timeout: float) -> ModelError:
        model = self._config.model
        if isinstance(error, ModelError):
            return error
        if isinstance(error, ollama.ResponseError):
            text = _first_line(error.error)
            if error.status_code == 404:
                return ModelUnavailable(
                    f"model {model} is not in Ollama at {self._host} ({text})",
                    fix=f"run `ollama pull {model}`",
                )
            if error.status_code == 503:
                return ModelUnavailable(
                    f"Ollama is busy: its request queue is full ({text})", fix=_BUSY_FIX
                )
            if error.status_code == -1:
                return ModelError(f"Ollama failed while answering: {text}", fix=_LOG_FIX)
            return ModelError(
                f"Ollama refused the request (HTTP {error.status_code}): {text}", fix=_LOG_FIX
            )
        if isinstance(error, httpx.ConnectTimeout):
            return ModelUnavailable(
                f"Ollama is not reachable at {self._host} (no connection within {timeout:g} s)",
                fix=_START_FIX,
            )
        if isinstance(error, httpx.TimeoutException):
            return ModelTimeout(f"Ollama gave no answer within {timeout:g} s", fix=_SLOW_FIX)
        if isinstance(error, ConnectionError):
            # what the client makes of httpx.ConnectError (nothing listens, host unknown)
            return ModelUnavailable(f"Ollama is not reachable at {self._host}", fix=_START_FIX)
        if isinstance(error, httpx.TransportError):
            # the connection dropped mid-request: Ollama restarted, crashed or was killed
            return ModelUnavailable(
                f"lost the connection to Ollama at {self._host} ({type(error).__name__}: "
                f"{_first_line(str(error))})",
                fix=_START_FIX,
            )
        if isinstance(error, pydantic.ValidationError | json.JSONDecodeError):
            return ModelError(
                f"Ollama at {self._host} sent a reply that is not a chat answer "
                f"({_describe_bad_reply(error)})",
                fix="check that llm.host points at Ollama itself, not another service",
            )
        return ModelError(
            f"the Ollama client failed: {type(error).__name__}: {_first_line(str(error))}",
            fix=_LOG_FIX,
        )
