"""health.json and `eva health`: a container is healthy while every camera delivers frames."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.cli.demo import demo_config
from agent.cli.main import main
from agent.config.schema import StorageConfig, TemplateLlmConfig
from agent.service.app import run_agent
from agent.service.health import HealthFile, check_health
from pipelines.sources.demo_scene_source import DemoSourceConfig


@dataclass
class _Camera:
    name: str
    stall_seconds: float = 5.0


@dataclass
class _Stats:
    last_frame_at: float | None


@dataclass
class _Worker:
    camera: _Camera
    stats: _Stats
    alive: bool = True

    def is_alive(self) -> bool:
        return self.alive

    def flush_pending(self) -> int:
        return 0


def test_a_camera_without_fresh_frames_makes_it_unhealthy(tmp_path: Path) -> None:
    now = time.monotonic()
    barn = _Worker(_Camera("barn"), _Stats(now))
    gate = _Worker(_Camera("gate"), _Stats(now))
    health = HealthFile(tmp_path / "health.json", [barn, gate], threading.Event())
    health.write()
    assert check_health(health.path) == (
        True,
        "every camera delivers frames: barn online, gate online",
    )

    gate.stats.last_frame_at = now - 60  # stalled for longer than stall_seconds
    health.write()
    healthy, why = check_health(health.path)
    assert not healthy and why == "a camera delivers no frames: barn online, gate offline"

    gate.stats.last_frame_at, gate.alive = now, False  # its thread ended
    health.write()
    assert not check_health(health.path)[0]


def test_a_stale_missing_or_garbled_file_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    healthy, why = check_health(path)
    assert not healthy and "has not started" in why
    path.write_text(json.dumps({"updated": time.time() - 120, "healthy": True, "cameras": {}}))
    healthy, why = check_health(path, max_age=60)
    assert not healthy and "120 s old" in why
    path.write_text("{not json")
    assert not check_health(path)[0]


def test_eva_health_follows_a_running_agent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = demo_config(realtime=True)
    camera = config.cameras[0].model_copy(update={"source": DemoSourceConfig(loop=True)})
    config = config.model_copy(
        update={
            "llm": TemplateLlmConfig(),
            "storage": StorageConfig(path=str(tmp_path)),
            "cameras": [camera],
        }
    )
    stop = threading.Event()
    agent = threading.Thread(target=run_agent, args=(config, stop), kwargs={"publish": False})
    agent.start()
    try:
        deadline = time.monotonic() + 60
        while not check_health(tmp_path / "health.json")[0]:
            assert time.monotonic() < deadline, check_health(tmp_path / "health.json")
            time.sleep(0.2)
        assert main(["health", "--file", str(tmp_path / "health.json")]) == 0
        assert "every camera delivers frames: demo online" in capsys.readouterr().out
    finally:
        stop.set()
        agent.join(timeout=30)
    # Stopped: the file ages out.
    assert main(["health", "--file", str(tmp_path / "health.json"), "--max-age", "0"]) == 1
