"""Questions are data: bounded in length and rate, binary refused, fuzzing invents nothing."""

from __future__ import annotations

import random
from pathlib import Path

from support.ask_history import seeded_asker

from agent.ask.installation import Installation
from agent.bench.ask.scoring import invented_facts
from agent.bench.ask.suite import CASES


def test_long_binary_and_frequent_questions_are_refused(tmp_path: Path) -> None:
    asker, history, _ = seeded_asker(tmp_path, max_question_chars=50, max_per_minute=3)
    long = asker.ask("how many cows " * 10)
    assert not long.answered and "at most 50 characters" in long.text
    binary = asker.ask("how many\x00\x01cows")
    assert not binary.answered and binary.text == "The question must be plain text."
    assert not asker.ask(b"bytes").answered
    assert "Too many questions" in asker.ask("how many cows today").text
    history.close()
    (tmp_path / "2").mkdir()
    asker, history, _ = seeded_asker(tmp_path / "2", max_per_minute=3)
    answers = [asker.ask("how many cows today") for _ in range(4)]
    assert all(a.answered for a in answers[:3]) and not answers[3].answered
    history.close()


def test_fuzzed_questions_never_state_unsupported_facts(tmp_path: Path) -> None:
    asker, history, config = seeded_asker(tmp_path)
    installation = Installation.from_config(config)
    rng = random.Random(14)
    words = [w for c in CASES for w in c.question.split()]
    answered = 0
    for _ in range(400):
        question = " ".join(rng.choice(words) for _ in range(rng.randint(1, 9)))
        answer = asker.ask(question)
        assert invented_facts(answer, installation) == [], (question, answer.text)
        answered += answer.answered
    assert answered > 20  # the fuzz reaches the executor, not only the refusals
    history.close()
