"""Frame sources: video files, streams and cameras, image folders, and the demo scene."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.sources.base import FrameSource, SourceError

if TYPE_CHECKING:
    from pipelines.sources.demo import DemoSourceConfig
    from pipelines.sources.image_folder import ImageFolderSourceConfig
    from pipelines.sources.imx500 import Imx500SourceConfig
    from pipelines.sources.opencv import OpenCVSourceConfig
    from pipelines.sources.picamera import PiCameraSourceConfig

__all__ = ["FrameSource", "SourceError", "open_source"]


def open_source(
    config: OpenCVSourceConfig
    | ImageFolderSourceConfig
    | DemoSourceConfig
    | PiCameraSourceConfig
    | Imx500SourceConfig,
) -> FrameSource:
    """The source `config.type` selects; nothing is opened until frames() is iterated."""
    # Each backend is imported only when chosen, so an unused one costs nothing.
    if config.type == "opencv":
        from pipelines.sources.opencv import OpenCVSource

        return OpenCVSource(config)
    if config.type == "image_folder":
        from pipelines.sources.image_folder import ImageFolderSource

        return ImageFolderSource(config)
    if config.type == "demo":
        from pipelines.sources.demo import DemoSource

        return DemoSource(config)
    if config.type == "picamera":
        from pipelines.sources.picamera import PiCameraSource

        return PiCameraSource(config)
    if config.type == "imx500":
        from pipelines.sources.imx500 import Imx500Source

        return Imx500Source(config)
    raise SourceError(
        f"unknown source type {config.type!r}: use opencv, image_folder, demo, picamera or imx500"
    )
