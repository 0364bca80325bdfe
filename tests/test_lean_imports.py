"""Each command loads only what it uses: `eva --help` no more than argparse, `eva check` and
`eva ask` no OpenCV, detector runtime, MQTT client or service, and `eva run` neither scipy
nor, before a detector is built, ONNX Runtime, and a replay that only prints with template
wording no MQTT client, TLS, scheduler, Ask or language-model wording. Each is checked in a
fresh interpreter."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.events import make_event, obj

from agent.adapters.history import EventHistory

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "pydantic", "cv2", "onnxruntime", "onnx", "scipy", "paho", "amqtt", "llama_cpp")
# What a replay without a broker and with template wording never uses (`eva run` with MQTT does).
NOT_FOR_A_PRINTING_REPLAY = (
    "paho",
    "amqtt",
    "ssl",
    "apscheduler",
    "asyncio",
    "agent.adapters.mqtt.publisher",
    "agent.adapters.mqtt.outbox",
    "agent.adapters.homeassistant",
    "agent.ask.service",
    "agent.ask.watch",
    "agent.service.commands",
    "agent.service.scheduler",
    "agent.llm.summarizer",
    "agent.llm.wording",
)
TRACKER_USES_SCIPY = "scipy" in (ROOT / "agent" / "core" / "tracking.py").read_text()


def loaded_after(code: str, names: tuple[str, ...] = HEAVY) -> set[str]:
    """Which of `names` (heavy top-level modules by default) a fresh interpreter holds after
    running `code`."""
    probe = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps(sorted(m for m in {names!r} if m in sys.modules)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def run_cli(args: list[str]) -> str:
    return f"""
        import contextlib, io
        from agent.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main({args!r})
            except SystemExit:
                pass
        """


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "eva.yaml"
    path.write_text(
        f"llm: {{type: template}}\nstorage: {{path: {tmp_path}}}\n"
        "cameras:\n  - name: barn\n    source: {type: demo}\n"
    )
    history = EventHistory(tmp_path / "events.db")
    history.add(make_event("arrival", [obj("person", 1, [])], camera="barn"))
    history.close()
    return path


def test_help_loads_argparse_and_little_else() -> None:
    assert loaded_after(run_cli(["--help"])) == set()


def test_check_loads_no_opencv_runtime_client_or_service(config: Path) -> None:
    loaded = loaded_after(run_cli(["check", "--config", str(config)]))
    assert loaded <= {"numpy", "pydantic"}, loaded


def test_ask_loads_no_opencv_runtime_client_or_service(config: Path) -> None:
    loaded = loaded_after(run_cli(["ask", "--config", str(config), "how many people came?"]))
    assert loaded <= {"numpy", "pydantic"}, loaded


@pytest.mark.xfail(
    TRACKER_USES_SCIPY, reason="the tracker (agent/core) still imports scipy", strict=True
)
def test_run_loads_no_scipy() -> None:
    assert "scipy" not in loaded_after("import agent.service.app; import agent.cli.main")


def test_run_loads_onnxruntime_only_when_the_detector_is_built() -> None:
    before = loaded_after("import agent.service.app")
    assert "onnxruntime" not in before and "cv2" not in before
    after = loaded_after(
        """
        import agent.service.app
        from pipelines.detectors import build_detector
        from pipelines.detectors.onnx_yolo import OnnxDetectorConfig
        build_detector(OnnxDetectorConfig())
        """
    )
    assert "onnxruntime" in after  # the probe sees it once it is really needed


def test_printing_replay_loads_no_mqtt_scheduler_ask_or_wording(tmp_path: Path) -> None:
    from pipelines.demo_scene import ensure_demo_scene

    frames = tmp_path / "frames"
    frames.mkdir()
    for image in sorted(ensure_demo_scene().glob("*.jpg"))[:4]:
        shutil.copy(image, frames / image.name)
    config = tmp_path / "replay.yaml"
    config.write_text(
        f"llm: {{type: template}}\nstorage: {{path: {tmp_path / 'data'}}}\n"
        "cameras:\n  - name: barn\n    rules: [{name: arrivals, kind: arrival}]\n"
    )
    args = ["replay", "--config", str(config), "--source", str(frames)]
    loaded = loaded_after(run_cli(args), (*NOT_FOR_A_PRINTING_REPLAY, "onnxruntime", "cv2"))
    assert {"onnxruntime", "cv2"} <= loaded  # the replay did run its detector on the frames
    assert loaded - {"onnxruntime", "cv2"} == set()
