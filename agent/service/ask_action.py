"""Puts an Asker together from the configuration, and serves it to MQTT commands."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import Field

from agent.adapters.history import EventHistory
from agent.adapters.mqtt import topics
from agent.ask.answer import Answer
from agent.ask.executor import LiveState
from agent.ask.installation import Installation
from agent.ask.service import Asker
from agent.ask.watch import WatchNotice, WatchTaker
from agent.config.schema import AppConfig
from agent.llm.base import LanguageModel
from agent.service.commands import MAX_PAYLOAD_BYTES, CommandError, CommandHandler, Request

log = logging.getLogger(__name__)


def build_asker(
    config: AppConfig,
    history: EventHistory | None,
    model: LanguageModel | None = None,
    live: LiveState | None = None,
    watches: WatchTaker | None = None,
) -> Asker:
    """The parser always; the model as a second reader when configured and asked for."""
    from agent.ask.morphology import warm_up_in_background

    warm_up_in_background()  # the analysers load while the cameras start
    installation = Installation.from_config(config)
    reader = None
    if model is not None and config.ask.use_model:
        from agent.ask.model_reader import ModelQueryReader

        reader = ModelQueryReader(model, installation, config.llm.deadline_seconds)
    if model is not None and config.ask.reword:
        from agent.ask.reword import AnswerRewording

        rewording = AnswerRewording(model, installation, config.llm.deadline_seconds)
        return Asker(
            history,
            installation,
            config.ask,
            config.language,
            reader,
            live,
            rewording=rewording,
            rewording_source=rewording.source,
            watches=watches,
        )
    return Asker(history, installation, config.ask, config.language, reader, live, watches=watches)


class Answers(Protocol):
    """What answers questions: an Asker, or the hub's FleetAsker."""

    def ask(self, question: object) -> Answer: ...


class AskRequest(Request):
    """`ask`: a question about what the cameras saw; the answer comes from the history."""

    question: str = Field(
        max_length=MAX_PAYLOAD_BYTES, description="The question, in English or Ukrainian."
    )


def add_ask_action(
    commands: CommandHandler,
    asker: Answers | None,
    base_topic: str,
    publish: Callable[[str, bytes, bool], object],
) -> None:
    """Accept `<base>/cmd/ask`: answer, keep the answer retained on <base>/answer, return it.

    Answering only reads the history: a question never runs another command. Questions run
    on their own worker, so a slow model never holds pause, resume or snapshot."""

    def run(request: AskRequest) -> dict[str, Any]:
        if asker is None:
            raise CommandError("questions need the event history, which is not available")
        answer = asker.ask(request.question)
        publish(topics.answer(base_topic), answer.model_dump_json().encode(), True)
        # The command handler logs one line per command; this adds what was understood.
        log.debug(
            "question read by %s: %s",
            answer.read_by,
            answer.understood if answer.answered else "not answered",
        )
        return answer.model_dump(mode="json")

    commands.add_action("ask", AskRequest, run, lane="questions")


def watch_notifier(
    base_topic: str, publish: Callable[[str, bytes, bool], object]
) -> Callable[[WatchNotice], object]:
    """Publishes a fired watch's notice on <base>/watch (not retained)."""

    def notify(notice: WatchNotice) -> object:
        log.info("watch %s fired: %s", notice.watch.id, notice.watch.understood)
        return publish(topics.watch(base_topic), notice.model_dump_json().encode(), False)

    return notify
