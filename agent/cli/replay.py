"""`eva replay`: one camera's zones and rules applied to a recorded file or folder."""

from __future__ import annotations

import math
import time
from pathlib import Path

from agent.config.loader import ConfigError
from agent.config.schema import AppConfig, CameraConfig
from pipelines.sources.image_folder import ImageFolderSourceConfig, list_images
from pipelines.sources.opencv import OpenCVSourceConfig


def replay_config(
    config: AppConfig, source: Path, camera: str | None, fps: float, now: float | None = None
) -> AppConfig:
    """The configuration reduced to one camera whose source is `source`, played unpaced.

    Frames are stamped so that the recording ends at `now` (default: the clock): its events
    lie in the past, and a question asked right after the replay finds them."""
    chosen = _pick(config.cameras, camera)
    end = time.time() if now is None else now
    if source.is_dir():
        frames = len(list_images(source))
        new_source: ImageFolderSourceConfig | OpenCVSourceConfig = ImageFolderSourceConfig(
            path=str(source), fps=fps, realtime=False, first_frame_at=end - frames / fps
        )
    elif source.is_file():
        new_source = OpenCVSourceConfig(
            uri=str(source), first_frame_at=end - _video_seconds(source)
        )
    else:
        raise ConfigError(f"{source}: no such file or folder to replay")
    return config.model_copy(update={"cameras": [chosen.model_copy(update={"source": new_source})]})


def _video_seconds(path: Path) -> float:
    """How long a video file plays (0 when OpenCV cannot tell: it then starts now)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        frames = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        fps = cap.get(cv2.CAP_PROP_FPS)
    finally:
        cap.release()
    if frames > 0 and fps > 0 and math.isfinite(frames) and math.isfinite(fps):
        return float(frames / fps)
    return 0.0


def _pick(cameras: list[CameraConfig], name: str | None) -> CameraConfig:
    if name is None:
        return cameras[0]
    for c in cameras:
        if c.name == name:
            return c
    known = ", ".join(c.name for c in cameras)
    raise ConfigError(f"no camera named {name!r} in the configuration (cameras: {known})")
