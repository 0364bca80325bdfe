"""`eva ask`: the answer and what was understood; JSON on request; no history, no guess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agent.adapters.history import DB_NAME, EventHistory
from agent.bench.ask.seeded import CONFIG, seed_history
from agent.cli.main import main


def _config(tmp_path: Path, seeded: bool = True) -> Path:
    data = {**CONFIG, "storage": {"path": str(tmp_path / "store"), "retention_days": 365}}
    (tmp_path / "store").mkdir()
    if seeded:
        history = EventHistory(tmp_path / "store" / DB_NAME)
        seed_history(history)
        history.close()
    path = tmp_path / "my.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_eva_ask_prints_the_answer_and_what_it_understood(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    assert main(["ask", "--config", str(config), "When was a cat last seen?"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "Cats, all history: last on 02.12 at 20:05: At 20:05, a cat left, last seen in the "
        "coop (02.12)."
    )
    assert out[1] == "(understood: cats, all history; read by the parser)"
    assert main(["ask", "--config", str(config), "--json", "Скільки котів приходило?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["language"] == "uk" and answer["query"]["labels"] == ["cat"]


def test_eva_ask_refuses_honestly_and_without_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, seeded=False)
    assert main(["ask", "--config", str(config), "how many cows today"]) == 1
    assert "no event history at" in capsys.readouterr().err
    history = EventHistory(tmp_path / "store" / DB_NAME)
    history.close()
    assert main(["ask", "--config", str(config), "pause the barn camera"]) == 1
    assert capsys.readouterr().out.startswith("I only answer questions about what the cameras saw")
