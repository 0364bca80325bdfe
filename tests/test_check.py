"""`eva check` on the language model and the history: reachable, present, or the fix."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from support.ollama_fake import FakeOllama, unused_url

from agent.cli.check import run_checks
from agent.config.schema import AppConfig, LlamaCppLlmConfig, OllamaLlmConfig, StorageConfig


def check(llm: object, tmp_path: Path) -> tuple[bool, str]:
    config = AppConfig(llm=llm, storage=StorageConfig(path=str(tmp_path)))  # type: ignore[arg-type]
    out = io.StringIO()
    ok = run_checks(config, out)
    lines = [line for line in out.getvalue().splitlines() if "wording" in line or "history" in line]
    return ok, "\n".join(lines)


def test_ollama_with_the_model_is_ok(tmp_path: Path) -> None:
    with FakeOllama(models=["qwen2.5:0.5b"]) as fake:
        ok, text = check(OllamaLlmConfig(host=fake.url), tmp_path)
    assert ok, text
    assert f"[ok] wording: Ollama at {fake.url} has qwen2.5:0.5b" in text
    assert f"[ok] history: {tmp_path / 'events.db'}" in text


def test_ollama_without_the_model_says_which_to_pull(tmp_path: Path) -> None:
    with FakeOllama(models=["llama3.2:1b"]) as fake:
        ok, text = check(OllamaLlmConfig(host=fake.url), tmp_path)
    assert not ok
    assert "[FAIL] wording:" in text and "ollama pull qwen2.5:0.5b" in text


def test_ollama_down_says_how_to_start_it(tmp_path: Path) -> None:
    ok, text = check(OllamaLlmConfig(host=unused_url()), tmp_path)
    assert not ok
    assert "[FAIL] wording: Ollama is not reachable" in text and "ollama serve" in text


def test_embedded_model_loads(tmp_path: Path) -> None:
    ok, text = check(LlamaCppLlmConfig(), tmp_path)
    assert "[ok] wording: llama.cpp loaded SmolLM2-135M-Instruct.Q4_1.gguf" in text


def test_unwritable_history_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    config = AppConfig(llm=LlamaCppLlmConfig(), storage=StorageConfig(path=str(blocker / "sub")))
    out = io.StringIO()
    assert not run_checks(config, out)
    assert "[FAIL] history:" in out.getvalue()


def test_free_space_is_shown_and_warned_about_below_the_threshold(tmp_path: Path) -> None:
    def storage_lines(low_space_mb: int) -> list[str]:
        storage = StorageConfig(path=str(tmp_path), low_space_mb=low_space_mb)
        out = io.StringIO()
        run_checks(AppConfig(storage=storage), out)
        return [line for line in out.getvalue().splitlines() if "storage:" in line]

    plenty = storage_lines(0)
    assert len(plenty) == 1 and plenty[0].startswith("[info] storage: ")
    assert "MB free of " in plenty[0] and str(tmp_path) in plenty[0]
    low = storage_lines(10**9)  # more than any disk here has
    assert len(low) == 1 and low[0].startswith("[warn] storage: ")
    assert "below the 1,000,000,000 MB warning (storage.low_space_mb)" in low[0]


def test_check_says_which_core_runs(tmp_path: Path) -> None:
    from agent.core import RUNNING

    out = io.StringIO()
    run_checks(AppConfig(storage=StorageConfig(path=str(tmp_path))), out)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("[info] core: ")]
    assert lines == [f"[info] core: {RUNNING}"]
    assert RUNNING.startswith(("compiled (mypyc)", "interpreted ("))


@pytest.mark.parametrize("text", ["llm:\n  type: openai\n", "llm:\n  model: 3\n"])
def test_bad_llm_section_names_the_choices(tmp_path: Path, text: str) -> None:
    from agent.config.loader import ConfigError, load_config

    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert "llm" in str(e.value)


def test_spam_prone_tracking_settings_are_warned_about() -> None:
    from agent.cli.check import spam_risks
    from agent.config.schema import CameraConfig
    from agent.core.settings import TrackerConfig

    assert spam_risks(CameraConfig()) == []  # the defaults are what the benchmark chose
    risky = CameraConfig(
        tracker=TrackerConfig(confirm_frames=2, lost_after_seconds=1, class_groups=[]),
        coalesce_seconds=0,
    )
    risks = spam_risks(risky)
    assert [r.split(" ")[0] for r in risks] == [
        "tracker.confirm_frames",
        "tracker.lost_after_seconds",
        "tracker.class_groups",
        "coalesce_seconds",
    ]
