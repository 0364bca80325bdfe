"""The question suite over the seeded history: read right, honest, and nothing invented."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.ask_history import seeded_asker

from agent.ask.installation import Installation
from agent.ask.service import Asker
from agent.bench.ask.scoring import score
from agent.bench.ask.suite import CASES, Case, Expect


@pytest.fixture(scope="module")
def asker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Asker, Installation]]:
    folder = tmp_path_factory.mktemp("ask")
    a, history, config = seeded_asker(folder)
    yield a, Installation.from_config(config)
    history.close()


def test_the_suite_has_40_questions_per_language_with_hard_ones() -> None:
    for language in ("en", "uk"):
        cases = [c for c in CASES if c.language == language]
        assert len(cases) >= 40
        kinds = {c.expect if isinstance(c.expect, str) else "answerable" for c in cases}
        assert kinds == {"answerable", "refuse", "unseen", "outside"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.question[:40])
def test_each_question_is_answered_from_the_record_or_honestly_refused(
    case: Case, asker: tuple[Asker, Installation]
) -> None:
    a, installation = asker
    answer = a.ask(case.question)
    result = score(case, answer, installation)
    assert result.invented == [], answer.text
    assert result.correct, (answer.text, answer.query)
    assert answer.language == case.language
    if isinstance(case.expect, Expect):
        assert answer.read_by == "parser"
        assert answer.understood and answer.understood.split(",")[0].lower() in answer.text.lower()


def test_known_answers(asker: tuple[Asker, Installation]) -> None:
    a, _ = asker
    text = a.ask("Did anything come near the hens last night?").text
    assert "2 times" in text and "23:10" in text and "02:30" in text
    text = a.ask("When did the cows leave the barn today?").text
    assert "09:20" in text
    text = a.ask("How many times did someone come to the front door this afternoon?").text
    assert "2 times" in text and "12:40" in text and "13:05" in text
    text = a.ask("Скільки людей приходило сьогодні?").text
    assert "3 рази" in text and "06:30" in text and "13:05" in text
    text = a.ask("Is anyone at the front door now?").text
    assert text == "People at the front door, now: a person (as of 14:00)."
    assert "1 h 20 min" in a.ask("How long were the cows at the gate today?").text


def test_nothing_found_says_no_record(asker: tuple[Asker, Installation]) -> None:
    a, _ = asker
    answer = a.ask("How many people came on Monday?")
    assert answer.text.startswith("No record of people")
    assert a.ask("Скільки людей приходило в понеділок?").text.startswith("Немає записів")


def test_undetectable_labels_name_what_can_be_seen(asker: tuple[Asker, Installation]) -> None:
    a, _ = asker
    answer = a.ask("Was there a fox at the gate?")
    assert "cannot see foxes" in answer.text and "cow" in answer.text
    assert not answer.answered


def test_out_of_history_says_how_far_back(asker: tuple[Asker, Installation]) -> None:
    a, _ = asker
    assert "goes back only to 26.11.2026 08:00" in a.ask("What happened 30 days ago?").text
