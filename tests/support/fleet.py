"""Whole agents (run_agent) on one real broker, each in its own thread, for the fleet tests."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from agent.config.schema import (
    AppConfig,
    CameraConfig,
    MqttConfig,
    StorageConfig,
    TemplateLlmConfig,
)
from agent.service.app import run_agent
from pipelines.detectors.onnx_yolo import OnnxDetectorConfig
from pipelines.sources.image_folder import ImageFolderSourceConfig


def demo_frames(folder: Path) -> Path:
    """A private copy of the demo scene's frames (at the 2 frames/s every test uses, so the
    shared cache is never rebuilt under another test's feet)."""
    from pipelines.demo_scene import ensure_demo_scene

    target = folder / "frames"
    if not target.is_dir():
        shutil.copytree(ensure_demo_scene(2.0), target)
    return target


def agent_config(
    host: str,
    port: int,
    base: str,
    storage: Path,
    cameras: Sequence[str],
    *,
    frames: Path,
    client_id: str | None = None,
) -> AppConfig:
    """Default settings but the broker, camera names and storage: what a user changes.

    The cameras play the demo scene's frames (`demo_frames`) in a loop, in real time at
    2 frames/s, through the real detector on one thread each.
    """
    return AppConfig(
        mqtt=MqttConfig(
            host=host,
            port=port,
            base_topic=base,
            client_id=client_id,
            reconnect_max_seconds=1.0,
        ),
        llm=TemplateLlmConfig(type="template"),
        storage=StorageConfig(path=str(storage)),
        cameras=[
            CameraConfig(
                name=name,
                source=ImageFolderSourceConfig(
                    type="image_folder", path=str(frames), fps=2.0, loop=True, realtime=True
                ),
                detector=OnnxDetectorConfig(threads=1),
            )
            for name in cameras
        ],
    )


def hub_config(host: str, port: int, base: str, storage: Path) -> AppConfig:
    """What `eva hub` needs: the broker, the base topic and where its history lives."""
    return AppConfig(
        mqtt=MqttConfig(host=host, port=port, base_topic=base, reconnect_max_seconds=1.0),
        storage=StorageConfig(path=str(storage)),
    )


class RunningAgent:
    """run_agent in a thread from enter until exit (or stop())."""

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="test-agent", daemon=True)

    def _run(self) -> None:
        try:
            run_agent(self.config, self._stop)
        except BaseException as e:  # handed to the test
            self.error = e

    def __enter__(self) -> RunningAgent:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the agent did not stop"
        if self.error is not None:
            raise self.error

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._thread.is_alive():
            self.stop()
