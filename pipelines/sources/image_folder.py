"""A folder of images played in name order at a given frame rate."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from pipelines.frames import Frame
from pipelines.sources.base import SourceError, StoppableSource

log = logging.getLogger(__name__)


class ImageFolderSourceConfig(BaseModel):
    """Images in a folder, played in name order as if they were a video."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["image_folder"] = Field("image_folder", description="Selects the folder source.")
    path: str = Field("frames", description="Folder holding .jpg, .jpeg, .png or .bmp images.")
    fps: float = Field(2.0, gt=0, description="Frames per second the images represent.")
    loop: bool = Field(False, description="Start again from the first image after the last.")
    realtime: bool = Field(
        False, description="Wait between frames as a camera would; replay runs as fast as it can."
    )


IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp"})
_DIGITS = re.compile(r"([0-9]+)")


def natural_key(name: str) -> tuple[tuple[tuple[int, str], ...], str]:
    """Sort key that orders 'frame_2' before 'frame_10'; ties fall back to the plain name."""
    # re.split with a group alternates text and digit runs, so parts at the same position
    # are always of the same kind and compare sensibly.
    parts = tuple(
        (int(part), "") if i % 2 else (0, part.casefold())
        for i, part in enumerate(_DIGITS.split(name))
    )
    return parts, name


def list_images(folder: Path) -> list[Path]:
    """The images in `folder` (not its subfolders), in natural name order."""
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(files, key=lambda p: natural_key(p.name))


def read_bgr(path: Path) -> npt.NDArray[np.uint8] | None:
    """The image as 3-channel BGR, or None if it cannot be read or decoded."""
    import cv2

    try:
        data = np.fromfile(path, np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    # IMREAD_COLOR turns grey, 16-bit and alpha images into 8-bit BGR.
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return None if image is None else np.asarray(image, np.uint8)


class ImageFolderSource(StoppableSource):
    """Plays a folder of images in natural name order as if it were a video at `fps`.

    Frame i has timestamp start + i / fps, where i counts images since playback started
    (looping keeps counting); an unreadable image is skipped but keeps its slot.
    """

    live = False

    def __init__(
        self,
        config: ImageFolderSourceConfig,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        super().__init__(sleep)
        self.config = config
        self._clock = clock

    def frames(self) -> Iterator[Frame]:
        """Frames in name order; raises SourceError if the folder is missing or has no images."""
        return self._track(self._play())

    def _play(self) -> Generator[Frame, None, None]:
        folder = Path(self.config.path)
        if not folder.is_dir():
            raise SourceError(f"image folder not found: {folder} (check source.path)")
        period = 1.0 / self.config.fps
        start = self._clock()
        index = 0
        warned: set[Path] = set()
        while not self._stop.is_set():
            files = list_images(folder)
            if not files:
                raise SourceError(
                    f"no images in {folder}: expected .jpg, .jpeg, .png or .bmp files"
                )
            shown = 0
            for path in files:
                if self._stop.is_set():
                    return
                slot = index
                index += 1
                timestamp = start + slot * period
                image = read_bgr(path)
                if image is None:
                    if path not in warned:  # once per file, not once per loop
                        log.warning("skipping %s: not a readable image", path)
                        warned.add(path)
                    continue
                if self.config.realtime:
                    delay = timestamp - self._clock()
                    if delay > 0:
                        self._sleep(delay)
                        if self._stop.is_set():
                            return
                shown += 1
                yield Frame(image, timestamp, slot)
            if shown == 0:
                raise SourceError(f"none of the {len(files)} images in {folder} could be read")
            if not self.config.loop:
                return
