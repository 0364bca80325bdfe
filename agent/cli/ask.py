"""`eva ask`: one question about the stored events, answered on the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from agent.adapters.history import DB_NAME, EventHistory, HistoryError, open_history
from agent.config.schema import AppConfig
from agent.llm import build_language_model
from agent.service.ask_action import build_asker

EXIT_OK, EXIT_NOT_ANSWERED = 0, 1


def run_ask(
    config: AppConfig, question: str, out: TextIO = sys.stdout, as_json: bool = False
) -> int:
    """Print the answer (and what was understood); 0 when the question was answered."""
    path = Path(config.storage.path).expanduser() / DB_NAME
    if not path.is_file():
        print(
            f"error: no event history at {path}; run the agent first (`eva run`), "
            "or point storage.path at the folder that has events.db",
            file=sys.stderr,
        )
        return EXIT_NOT_ANSWERED
    try:
        history: EventHistory = open_history(config.storage)
    except HistoryError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_NOT_ANSWERED
    model = build_language_model(config.llm) if config.ask.use_model else None
    try:
        answer = build_asker(config, history, model).ask(question)
    finally:
        history.close()
        if model is not None:
            model.close()
    if as_json:
        print(answer.model_dump_json(indent=2), file=out)
    else:
        print(answer.text, file=out)
        if answer.understood:
            print(f"(understood: {answer.understood}; read by the {answer.read_by})", file=out)
    return EXIT_OK if answer.answered else EXIT_NOT_ANSWERED
