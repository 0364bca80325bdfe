"""The bundled demo scene, built from real photos at setup and played like a camera."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipelines.frames import Frame
from pipelines.sources.base import FrameSource, SourceError
from pipelines.sources.image_folder import ImageFolderSource, ImageFolderSourceConfig


class DemoSourceConfig(BaseModel):
    """The demo scene: a person, a cup and a motorbike appear, stay and leave."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["demo"] = Field("demo", description="Selects the bundled demo scene.")
    fps: float = Field(2.0, gt=0, description="Frames per second of the scene.")
    loop: bool = Field(False, description="Play the scene again after it ends.")
    realtime: bool = Field(
        True, description="Wait between frames as a camera would; false plays as fast as it can."
    )


class DemoSource(FrameSource):
    """Builds the demo scene on first use, then plays it like an image folder."""

    live = False

    def __init__(
        self,
        config: DemoSourceConfig,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._sleep = sleep
        self._player: ImageFolderSource | None = None

    def frames(self) -> Iterator[Frame]:
        """The scene's frames; raises SourceError if it cannot be built."""
        # Imported here: building needs OpenCV, which loading a config file should not.
        from pipelines.demo_scene import DemoSceneError, ensure_demo_scene

        try:
            folder = ensure_demo_scene(self.config.fps)
        except (DemoSceneError, OSError) as exc:
            raise SourceError(f"cannot build the demo scene: {exc}") from exc
        self.close()
        self._player = ImageFolderSource(
            ImageFolderSourceConfig(
                type="image_folder",
                path=str(folder),
                fps=self.config.fps,
                loop=self.config.loop,
                realtime=self.config.realtime,
            ),
            clock=self._clock,
            sleep=self._sleep,
        )
        return self._player.frames()

    def close(self) -> None:
        """Stop playback."""
        if self._player is not None:
            self._player.close()
            self._player = None
