"""Language models that word events: one interface, backends chosen by `llm.type`."""

from __future__ import annotations

from agent.config.schema import LlmConfig
from agent.llm.base import LanguageModel, ModelError, ModelTimeout, ModelUnavailable


def build_language_model(config: LlmConfig) -> LanguageModel | None:
    """The configured backend, not yet connected or loaded; None for `template`."""
    if config.type == "ollama":
        from agent.llm.ollama_backend import OllamaModel

        return OllamaModel(config)
    if config.type == "llamacpp":
        from agent.llm.llamacpp_backend import LlamaCppModel

        return LlamaCppModel(config)
    return None


__all__ = [
    "LanguageModel",
    "ModelError",
    "ModelTimeout",
    "ModelUnavailable",
    "build_language_model",
]
