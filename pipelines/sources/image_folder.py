"""A folder of images played in name order at a given frame rate."""

from __future__ import annotations

import errno
import logging
import re
import stat
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from pipelines.frames import Frame
from pipelines.image_header import MAX_PIXELS, image_size
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
    first_frame_at: float | None = Field(
        None,
        description="Time stamped on the first image (seconds since the epoch); empty = when "
        "playing starts. `eva replay` sets it so that the last image is stamped now.",
    )


IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp"})
_DIGITS = re.compile(r"([0-9]+)")
# An uncompressed 4-channel image at the pixel limit; anything larger is not a frame.
MAX_IMAGE_BYTES = 4 * MAX_PIXELS + 1_000_000
# JPEG metadata (EXIF, ICC profiles) may come before the frame header.
_HEADER_BYTES = 1_000_000


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
    return scan_folder(folder)[0]


def scan_folder(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The image files in `folder` in natural name order, and the image names skipped, with why.

    Broken symbolic links, link loops and names that are not regular files (a folder or a
    FIFO called x.jpg) are skipped; a FIFO would block the reader for ever.
    """
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for p in folder.iterdir():
        if p.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        try:
            info = p.stat()
        except FileNotFoundError:
            skipped.append((p, f"a symbolic link to {_link_target(p)}, which does not exist"))
            continue
        except OSError as e:
            why = "a symbolic link loop" if e.errno == errno.ELOOP else str(e.strerror or e)
            skipped.append((p, why))
            continue
        if stat.S_ISREG(info.st_mode):
            files.append(p)
        else:
            skipped.append((p, "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"))
    return sorted(files, key=lambda p: natural_key(p.name)), skipped


def _link_target(path: Path) -> str:
    try:
        return str(path.readlink())
    except OSError:
        return "a missing file"


def read_bgr(path: Path) -> npt.NDArray[np.uint8] | None:
    """The image as 3-channel BGR, or None if it cannot be read or decoded."""
    image = decode_image(path)
    return None if isinstance(image, str) else image


def decode_image(path: Path) -> npt.NDArray[np.uint8] | str:
    """The image as 3-channel BGR, or why not. The size in the header is checked first, so
    a small file that declares a huge image is never decoded (see pipelines.image_header)."""
    import cv2

    try:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            return f"{size} bytes is larger than any image a folder source reads"
        data = np.fromfile(path, np.uint8)
    except OSError as e:
        return f"cannot be read ({e.strerror or e})"
    if data.size == 0:
        return "empty file"
    dims = image_size(data[:_HEADER_BYTES].tobytes())
    if dims is None:
        return "not a PNG, JPEG or BMP image (or its header is damaged)"
    width, height = dims
    if width == 0 or height == 0:
        return f"its header declares {width}x{height} pixels"
    if width * height > MAX_PIXELS:
        return (
            f"its header declares {width}x{height} pixels, more than the {MAX_PIXELS} "
            "a frame may have"
        )
    # IMREAD_COLOR turns grey, 16-bit and alpha images into 8-bit BGR.
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        return "not a readable image (damaged or truncated)"
    return np.asarray(image, np.uint8)


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
        start = self._clock() if self.config.first_frame_at is None else self.config.first_frame_at
        index = 0
        warned: set[Path] = set()
        while not self._stop.is_set():
            files, skipped = scan_folder(folder)
            for path, why in skipped:
                if path not in warned:
                    log.warning("skipping %s: %s", path, why)
                    warned.add(path)
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
                image = decode_image(path)
                if isinstance(image, str):
                    if path not in warned:  # once per file, not once per loop
                        log.warning("skipping %s: %s", path, image)
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
                del image  # not held while the next file is decoded: one frame in memory
            if shown == 0:
                raise SourceError(f"none of the {len(files)} images in {folder} could be read")
            if not self.config.loop:
                return
