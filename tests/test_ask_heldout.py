"""The held-out questions: their size, the reference answers and how answers are judged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.adapters.history import EventHistory
from agent.ask.answer import Answer
from agent.ask.service import Asker
from agent.bench.ask import heldout as ho
from agent.bench.ask.heldout_history import SEEDS
from agent.bench.ask.seeded import NOW


@pytest.fixture(scope="module")
def asker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Asker]:
    a, history = ho.heldout_asker(Path(tmp_path_factory.mktemp("heldout")))
    yield a
    history.close()


def test_the_set_has_60_questions_per_language_in_two_halves() -> None:
    questions = ho.load_all()
    assert len(questions) >= 120
    for language in ("en", "uk"):
        mine = [q for q in questions if q.language == language]
        assert len(mine) >= 60
        for half in ("A", "B"):
            part = [q for q in mine if q.half == half]
            assert len(part) >= 30
            assert {q.ask for q in part} >= {"count", "last", "duration", "unseen", "present"}
    assert len({q.q for q in questions}) == len(questions)
    assert all(q.period in ho.PERIODS for q in questions if q.period)


def _q(**meaning: object) -> ho.HeldOutQuestion:
    return ho.HeldOutQuestion.model_validate({"q": "?", **meaning})


def test_reference_answers_come_from_the_seeds() -> None:
    hens = _q(ask="count", labels=["bird"], zones=["coop"], dir="in", period="yesterday_evening")
    assert ho.expected(hens).count == 1
    passed = _q(ask="last", labels=["cow"], zones=["gate"], dir="pass", period="all")
    came = _q(ask="last", labels=["cow"], zones=["gate"], dir="in", period="all")
    assert ho.expected(passed).at == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert ho.expected(came).at == datetime(2026, 12, 2, 18, 10, tzinfo=UTC)
    visit = _q(ask="duration", labels=["person"], zones=["porch"], period="monday_morning")
    assert ho.expected(visit).seconds == 40
    car = _q(ask="duration", labels=["car"], zones=["yard"], period="today")
    assert ho.expected(car).seconds == 30 * 60  # still there at NOW
    assert ho.expected(_q(ask="present", labels=["car"], zones=["yard"])).present == {"car": 1}


def _answer(text: str, answered: bool, facts: dict[str, object] | None = None) -> Answer:
    return Answer(
        question="?",
        text=text,
        answered=answered,
        read_by="parser" if answered else "none",
        language="en",
        facts=facts,
        at=NOW,
    )


def test_an_answer_for_another_period_is_false_and_a_refusal_is_not() -> None:
    hens = _q(ask="count", labels=["bird"], zones=["coop"], dir="in", period="yesterday_evening")
    this_evening = {
        "range": {"start": "2026-12-03T17:00:00+00:00", "end": "2026-12-03T14:00:01+00:00"},
        "count": 0,
    }
    assert ho.judge(hens, _answer("No record of birds", True, this_evening))[0] == "false"
    right = {
        "range": {"start": "2026-12-02T17:00:00+00:00", "end": "2026-12-03T00:00:00+00:00"},
        "count": 1,
    }
    assert ho.judge(hens, _answer("1 time", True, right))[0] == "right"
    assert ho.judge(hens, _answer("I cannot answer that", False))[0] == "refused"
    hedgehog = _q(ask="unseen")
    assert ho.judge(hedgehog, _answer("The detector here cannot see x", False))[0] == "right"
    assert ho.judge(hedgehog, _answer("I cannot answer that", False))[0] == "refused"
    assert ho.judge(_q(ask="refuse"), _answer("3 times", True, right))[0] == "false"


def test_seconds_under_a_minute_must_be_said_in_seconds() -> None:
    visit = _q(ask="duration", labels=["person"], zones=["porch"], period="monday_morning")
    facts = {
        "range": {"start": "2026-11-30T06:00:00+00:00", "end": "2026-11-30T12:00:00+00:00"},
        "duration_seconds": 40.0,
    }
    assert ho.judge(visit, _answer("1 min in all", True, facts))[0] == "false"
    assert ho.judge(visit, _answer("40 s in all", True, facts))[0] == "right"


def test_the_history_holds_the_seeds(asker: Asker) -> None:
    history = asker._history
    assert isinstance(history, EventHistory)
    assert history.count() == len(SEEDS)


def test_half_a_has_no_false_answer(asker: Asker) -> None:
    results = ho.run(asker.ask, ho.load_all(("A",)))
    false = [(r.question.q, r.why) for r in results if r.verdict == "false"]
    assert false == []
    right = [r for r in results if r.verdict == "right"]
    assert len(right) >= 0.8 * len(results)


def test_a_short_visit_is_said_in_seconds(asker: Asker) -> None:
    text = asker.ask("how long did the visitor stay at the front door monday morning").text
    assert "40 s in all over 1 visit" in text
    text = asker.ask("скільки часу люди пробули біля дверей вчора").text
    assert "1 хв 15 с" in text


def test_yesterday_evening_finds_the_hens_of_yesterday(asker: Asker) -> None:
    answer = asker.ask("did the hens go in yesterday evening")
    assert answer.text.startswith(
        "Birds coming in the coop, yesterday evening (17:00–24:00): 1 time"
    )
    assert "17:34" in answer.text


def test_a_part_of_today_not_begun_is_the_future(asker: Asker) -> None:
    answer = asker.ask("what happened this evening")
    assert not answer.answered and "not what will happen" in answer.text


def test_unseen_things_are_named_in_the_answer(asker: Asker) -> None:
    answer = asker.ask("був їжак у дворі вночі")
    assert not answer.answered
    assert answer.text.startswith("Детектор тут не розпізнає їжаків; він розпізнає: bird, cat")
    answer = asker.ask("did a drone fly over the yard")
    assert answer.text.startswith("The detector here cannot see drones")


def test_a_visit_that_ended_after_the_period_is_not_still_there(asker: Asker) -> None:
    text = asker.ask("how long were the hens in the coop yesterday").text
    assert "6 h 26 min in all over 1 visit" in text and "still there" not in text
    assert "went on after the period" in text
    text = asker.ask("how long has the car been in the yard today").text
    assert "30 min in all over 1 visit, from 13:30" in text and "still there" in text
