"""Configuration: examples load, and every kind of mistake names the field, line and fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import main
from agent.cli.demo import demo_config
from agent.config.loader import ConfigError, load_config, parse_config
from agent.config.schema import AppConfig

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["demo.yaml", "farm.yaml", "home.yaml"])
def test_examples_are_valid(name: str) -> None:
    config = load_config(ROOT / "config" / name)
    assert config.cameras


def test_demo_yaml_is_what_eva_demo_runs() -> None:
    assert load_config(ROOT / "config" / "demo.yaml") == demo_config()


def test_empty_file_gives_defaults() -> None:
    config = parse_config("")
    assert config == AppConfig()
    assert config.mqtt.host is None and config.mqtt.base_topic == "eva"


def test_every_field_has_a_description_and_default() -> None:
    from pydantic import BaseModel

    seen: set[type] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            assert not field.is_required(), f"{model.__name__}.{name} has no default"
            for arg in _model_types(field.annotation):
                walk(arg)

    walk(AppConfig)
    assert len(seen) > 8


def _model_types(annotation: object) -> list[type]:
    from typing import get_args

    from pydantic import BaseModel

    found = []
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            found.append(a)
        stack.extend(get_args(a))
    return found


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as e:
        parse_config(text, "cfg.yaml")
    return str(e.value)


def test_unknown_key_names_field_and_line() -> None:
    msg = _error("mqtt:\n  host: x\n  prot: 1883\n")
    assert "mqtt.prot (line 3)" in msg
    assert "unknown key" in msg


def test_wrong_type_names_nested_field_and_line() -> None:
    text = "cameras:\n  - name: barn\n    detector:\n      type: onnx\n      input_size: big\n"
    msg = _error(text)
    assert "cameras.0.detector.input_size (line 5)" in msg


def test_missing_type_lists_the_choices() -> None:
    msg = _error("cameras:\n  - name: barn\n    source:\n      uri: '0'\n")
    expected = "needs a 'type' key: opencv, image_folder, demo, picamera or imx500"
    assert f"cameras.0.source (line 4): {expected}" in msg


def test_unknown_source_type_lists_the_choices() -> None:
    msg = _error("cameras:\n  - name: a\n    source:\n      type: webcam\n")
    assert "cameras.0.source (line 4)" in msg
    assert "'opencv'" in msg and "'image_folder'" in msg


def test_zone_in_pixels_is_explained() -> None:
    msg = _error(
        "cameras:\n  - zones:\n      - name: gate\n        points: [[0,0],[640,0],[640,480]]\n"
    )
    assert "not pixels" in msg
    assert "(line 4)" in msg


def test_rule_naming_a_missing_zone() -> None:
    text = (
        "cameras:\n  - zones: []\n    rules:\n"
        "      - name: r\n        kind: arrival\n        zones: [gate]\n"
    )
    msg = _error(text)
    assert "does not define" in msg and "gate" in msg


def test_zone_rule_without_zones() -> None:
    msg = _error("cameras:\n  - rules:\n      - name: r\n        kind: dwell\n")
    assert "has no zones" in msg


def test_bad_yaml_gives_position() -> None:
    msg = _error("mqtt:\n  host: [unclosed\n")
    assert "not valid YAML at line" in msg


def test_bad_names_are_rejected() -> None:
    msg = _error("cameras:\n  - name: Front Door\n")
    assert "cameras.0.name (line 2)" in msg and "lower-case" in msg


def test_duplicate_cameras_are_rejected() -> None:
    assert "unique" in _error("cameras:\n  - name: a\n  - name: a\n")


def test_password_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVA_TEST_PW", "s3cret")
    config = parse_config("mqtt:\n  host: h\n  password: ${EVA_TEST_PW}\n")
    assert config.mqtt.password is not None
    assert config.mqtt.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config)


def test_missing_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVA_NOT_SET", raising=False)
    assert "EVA_NOT_SET is not set" in _error("mqtt:\n  password: ${EVA_NOT_SET}\n")


def test_empty_default_means_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVA_NOT_SET", raising=False)
    assert parse_config("mqtt:\n  password: ${EVA_NOT_SET:-}\n").mqtt.password is None


@pytest.mark.parametrize("command", ["check", "run"])
def test_cli_exits_2_without_traceback(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cameras:\n  - name: barn\n    rules:\n      - kind: sometimes\n")
    assert main([command, "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "cameras.0.rules.0.kind (line 4)" in err
    assert "Traceback" not in err


def test_console_script_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("mqtt: {port: 99999}\n")
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", "check", "--config", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert "mqtt.port (line 1)" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_file(tmp_path: Path) -> None:
    assert main(["check", "--config", str(tmp_path / "nope.yaml")]) == 2
