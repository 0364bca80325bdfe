"""A model may reword an answer only when the verifier finds every fact in it, and no more."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.ask_history import seeded_asker
from support.ollama_fake import FakeOllama

from agent.ask.installation import Installation
from agent.ask.reword import AnswerRewording
from agent.ask.service import Asker
from agent.bench.ask.seeded import NOW, live_state, seeded_config
from agent.config.schema import OllamaLlmConfig
from agent.llm.ollama_backend import OllamaModel

QUESTION = "How many times did someone come to the front door this afternoon?"
TEMPLATE = (
    "People coming at the front door, this afternoon (12:00–17:00): 2 times; "
    "first at 12:40, last at 13:05."
)


@pytest.fixture()
def reworded_asker(tmp_path: Path) -> Iterator[tuple[FakeOllama, Asker]]:
    with FakeOllama(models=["qwen2.5:0.5b"]) as fake:
        model = OllamaModel(OllamaLlmConfig(type="ollama", host=fake.url))
        _, history, config = seeded_asker(tmp_path)
        inst = Installation.from_config(seeded_config(tmp_path))
        rewording = AnswerRewording(model, inst, 10)
        asker = Asker(
            history,
            inst,
            config.ask,
            live=live_state,
            clock=lambda: NOW,
            rewording=rewording,
            rewording_source=rewording.source,
        )
        yield fake, asker
        history.close()
        model.close()


def test_a_faithful_rewording_goes_out(reworded_asker: tuple[FakeOllama, Asker]) -> None:
    fake, asker = reworded_asker
    text = (
        "This afternoon (12:00–17:00) someone came to the front door 2 times, first at 12:40 "
        "and last at 13:05."
    )
    fake.answer(json.dumps({"answer": text}))
    answer = asker.ask(QUESTION)
    assert (answer.text, answer.worded_by) == (text, "ollama:qwen2.5:0.5b")
    assert fake.chat_requests[0]["messages"][-1]["content"] == TEMPLATE


@pytest.mark.parametrize(
    "wrong",
    [
        "Someone came to the front door 3 times this afternoon (12:00–17:00), first at 12:40 "
        "and last at 13:05.",  # a wrong count
        "Someone came to the front door 2 times this afternoon, first at 12:40.",  # dropped
        "A dog came to the front door 2 times this afternoon (12:00–17:00), first at 12:40 "
        "and last at 13:05.",  # a wrong label
        "Someone came to the gate 2 times this afternoon (12:00–17:00), first at 12:40 and "
        "last at 13:05.",  # a wrong place
        "Someone left the front door 2 times this afternoon (12:00–17:00), first at 12:40 "
        "and last at 13:05.",  # the wrong direction
    ],
)
def test_an_untrue_rewording_keeps_the_template(
    reworded_asker: tuple[FakeOllama, Asker], wrong: str
) -> None:
    fake, asker = reworded_asker
    fake.answer(json.dumps({"answer": wrong}))
    answer = asker.ask(QUESTION)
    assert (answer.text, answer.worded_by) == (TEMPLATE, "template")


def test_refusals_are_never_reworded(reworded_asker: tuple[FakeOllama, Asker]) -> None:
    fake, asker = reworded_asker
    assert asker.ask("Was there a fox at the gate?").worded_by == "template"
    assert asker.ask("pause the barn camera").worded_by == "template"
    assert fake.chat_requests == []
