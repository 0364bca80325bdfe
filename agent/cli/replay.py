"""`eva replay`: one camera's zones and rules applied to a recorded file or folder."""

from __future__ import annotations

from pathlib import Path

from agent.config.loader import ConfigError
from agent.config.schema import AppConfig, CameraConfig
from pipelines.sources.image_folder import ImageFolderSourceConfig
from pipelines.sources.opencv import OpenCVSourceConfig


def replay_config(config: AppConfig, source: Path, camera: str | None, fps: float) -> AppConfig:
    """The configuration reduced to one camera whose source is `source`, played unpaced."""
    chosen = _pick(config.cameras, camera)
    if source.is_dir():
        new_source: ImageFolderSourceConfig | OpenCVSourceConfig = ImageFolderSourceConfig(
            path=str(source), fps=fps, realtime=False
        )
    elif source.is_file():
        new_source = OpenCVSourceConfig(uri=str(source))
    else:
        raise ConfigError(f"{source}: no such file or folder to replay")
    return config.model_copy(update={"cameras": [chosen.model_copy(update={"source": new_source})]})


def _pick(cameras: list[CameraConfig], name: str | None) -> CameraConfig:
    if name is None:
        return cameras[0]
    for c in cameras:
        if c.name == name:
            return c
    known = ", ".join(c.name for c in cameras)
    raise ConfigError(f"no camera named {name!r} in the configuration (cameras: {known})")
