"""Frame sources: video files, streams and cameras, image folders, and the demo scene.

A source is registered here once: its config class in `SourceConfig` and its class in
`_SOURCES`, keyed by the config's `type`.
"""

from __future__ import annotations

import importlib
from typing import Annotated

from pydantic import Field

from pipelines.sources.base import FrameSource, SourceError
from pipelines.sources.demo_scene_source import DemoSourceConfig
from pipelines.sources.image_folder import ImageFolderSourceConfig
from pipelines.sources.imx500 import Imx500SourceConfig
from pipelines.sources.opencv import OpenCVSourceConfig
from pipelines.sources.picamera import PiCameraSourceConfig

__all__ = ["FrameSource", "SourceConfig", "SourceError", "open_source"]

SourceConfig = Annotated[
    OpenCVSourceConfig
    | ImageFolderSourceConfig
    | DemoSourceConfig
    | PiCameraSourceConfig
    | Imx500SourceConfig,
    Field(discriminator="type"),
]

# type -> (module, class). Each backend module is imported only when chosen, so an unused
# one (picamera2, a camera SDK) costs nothing.
_SOURCES: dict[str, tuple[str, str]] = {
    "opencv": ("pipelines.sources.opencv", "OpenCVSource"),
    "image_folder": ("pipelines.sources.image_folder", "ImageFolderSource"),
    "demo": ("pipelines.sources.demo_scene_source", "DemoSource"),
    "picamera": ("pipelines.sources.picamera", "PiCameraSource"),
    "imx500": ("pipelines.sources.imx500", "Imx500Source"),
}


def open_source(
    config: OpenCVSourceConfig
    | ImageFolderSourceConfig
    | DemoSourceConfig
    | PiCameraSourceConfig
    | Imx500SourceConfig,
) -> FrameSource:
    """The source `config.type` selects; nothing is opened until frames() is iterated."""
    if config.type not in _SOURCES:
        raise SourceError(f"unknown source type {config.type!r}: use {', '.join(_SOURCES)}")
    module, name = _SOURCES[config.type]
    source: FrameSource = getattr(importlib.import_module(module), name)(config)
    return source
