"""Video files, RTSP/HTTP streams and USB cameras through OpenCV."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from pipelines.frames import Frame
from pipelines.sources.base import SourceError, StoppableSource

if TYPE_CHECKING:
    import cv2  # imported where used, so loading a config file does not load OpenCV

log = logging.getLogger(__name__)


class OpenCVSourceConfig(BaseModel):
    """A video file, an RTSP/HTTP URL or a USB camera index, read with OpenCV."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["opencv"] = Field("opencv", description="Selects the OpenCV source.")
    uri: str = Field(
        "0",
        description="A video file path, an rtsp:// or http(s):// URL, or a USB camera index ('0').",
    )
    fps: float | None = Field(
        None, gt=0, description="Process at most this many frames per second; empty = every frame."
    )
    loop: bool = Field(False, description="Start a video file again when it ends.")
    reconnect_max_seconds: float = Field(
        30.0, gt=0, description="Longest wait between attempts to reopen a failed live stream."
    )
    first_frame_at: float | None = Field(
        None,
        description="For a video file: time stamped on its first frame (seconds since the "
        "epoch); empty = when playing starts. `eva replay` sets it so the file ends now.",
    )


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_CREDENTIALS = re.compile(r"://[^/@]*@")
# Media times and wall clocks jitter by a few microseconds; a frame this close to its slot counts.
_SLACK = 1e-3
# Used when a file reports no frame rate, so timestamps still advance.
_FALLBACK_FPS = 25.0


def _is_live(uri: str) -> bool:
    """A regular file that exists is a file; a camera index, a URL or a device node is live."""
    path = Path(uri)
    if path.is_file():
        return False
    # A missing path stays a file, so the user hears "not found" rather than endless retries.
    return uri.strip().isdigit() or bool(_URL.match(uri.strip())) or path.exists()


def _display(uri: str) -> str:
    """The uri fit for a log line: an index named as a camera, URL credentials hidden."""
    uri = uri.strip()
    return f"camera {uri}" if uri.isdigit() else _CREDENTIALS.sub("://***@", uri)


class RateLimiter:
    """Lets through at most `fps` timestamps per second; None lets every one through."""

    def __init__(self, fps: float | None) -> None:
        self._period = 1.0 / fps if fps else 0.0
        self._next = -math.inf

    def due(self, t: float) -> bool:
        """True if a frame at time `t` (seconds) should be kept."""
        if not self._period:
            return True
        if t + _SLACK < self._next:
            return False
        # The next slot is on a fixed grid after t, so a late frame does not cause a burst.
        self._next = (math.floor((t + _SLACK) / self._period) + 1) * self._period
        return True


def _as_bgr(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    import cv2

    if image.ndim == 2:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), np.uint8)
    if image.shape[2] == 4:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGRA2BGR), np.uint8)
    return image


class OpenCVSource(StoppableSource):
    """Frames from a video file, an RTSP/HTTP stream or a USB camera, read with cv2.VideoCapture.

    `Frame.index` counts every frame read from the input, skipped ones included, so under
    an fps limit it still tells the position in the media. A live input that fails is
    reopened with exponential backoff for ever (or `max_attempts` consecutive tries);
    `close()` from another thread ends the wait and the iterator.
    """

    def __init__(
        self,
        config: OpenCVSourceConfig,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] | None = None,
        initial_backoff: float = 0.5,
        max_attempts: int | None = None,
    ) -> None:
        super().__init__(sleep)
        self.config = config
        self.live = _is_live(config.uri)
        self._clock = clock
        self._initial_backoff = initial_backoff
        self._max_attempts = max_attempts

    def frames(self) -> Iterator[Frame]:
        """Frames in capture order; a file ends normally, a live stream runs until close()."""
        return self._track(self._live_frames() if self.live else self._file_frames())

    def _open(self) -> cv2.VideoCapture | None:
        import cv2

        uri = self.config.uri.strip()
        target: int | str = int(uri) if self.live and uri.isdigit() else self.config.uri
        cap = cv2.VideoCapture(target)
        if cap.isOpened():
            return cap
        cap.release()
        return None

    def _file_frames(self) -> Generator[Frame, None, None]:
        import cv2

        path = Path(self.config.uri)
        if not path.is_file():
            raise SourceError(
                f"video file not found: {path} (check source.uri; a USB camera is a number "
                "such as '0', a stream an rtsp:// or http:// URL)"
            )
        limiter = RateLimiter(self.config.fps)
        start = self._clock() if self.config.first_frame_at is None else self.config.first_frame_at
        offset = 0.0  # media seconds played in earlier passes of a looped file
        index = 0
        while not self._stop.is_set():
            cap = self._open()
            if cap is None:
                raise SourceError(
                    f"cannot open video file {path}: OpenCV could not decode it "
                    "(is it a video, and is its codec supported by OpenCV's FFmpeg?)"
                )
            try:
                fps = cap.get(cv2.CAP_PROP_FPS)
                period = 1.0 / fps if fps > 0 and math.isfinite(fps) else 1.0 / _FALLBACK_FPS
                media = -math.inf
                read = 0
                while not self._stop.is_set() and cap.grab():
                    pos = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                    # Some backends report 0 or stale positions; fall back to the frame rate.
                    media = pos if math.isfinite(pos) and pos > media else max(media + period, 0)
                    if limiter.due(offset + media):
                        ok, image = cap.retrieve()
                        if ok and image is not None:
                            bgr = _as_bgr(np.asarray(image, np.uint8))
                            yield Frame(bgr, start + offset + media, index)
                            del image, bgr  # not held while the next frame is decoded
                    index += 1
                    read += 1
            finally:
                cap.release()
            if self._stop.is_set():
                return
            if read == 0:
                raise SourceError(f"video file {path} has no frames OpenCV can read")
            if not self.config.loop:
                return
            offset += media + period

    def _live_frames(self) -> Generator[Frame, None, None]:
        uri = _display(self.config.uri)
        limiter = RateLimiter(self.config.fps)
        index = 0
        cap = self._open()
        lost = cap is None
        if lost:
            log.warning(
                "cannot open %s; retrying with backoff up to %gs",
                uri,
                self.config.reconnect_max_seconds,
            )
        attempts = 0
        delay = self._initial_backoff
        try:
            while not self._stop.is_set():
                if cap is None:
                    if self._max_attempts is not None and attempts >= self._max_attempts:
                        log.warning("giving up on %s after %d attempts", uri, attempts)
                        return
                    self._sleep(delay)
                    attempts += 1
                    delay = min(delay * 2, self.config.reconnect_max_seconds)
                    if not self._stop.is_set():
                        cap = self._open()
                    continue
                if not cap.grab():
                    cap.release()
                    cap = None
                    if not lost:
                        log.warning(
                            "lost %s; reopening with backoff up to %gs",
                            uri,
                            self.config.reconnect_max_seconds,
                        )
                        lost = True
                    continue
                if lost:
                    log.info("%s is back after %d attempts", uri, attempts)
                    lost = False
                    attempts = 0
                    delay = self._initial_backoff
                now = self._clock()
                if limiter.due(now):
                    ok, image = cap.retrieve()
                    if ok and image is not None:
                        yield Frame(_as_bgr(np.asarray(image, np.uint8)), now, index)
                        del image  # not held while the next frame is decoded
                index += 1
        finally:
            if cap is not None:
                cap.release()
