"""The interface every frame source implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from pipelines.frames import Frame


class SourceError(RuntimeError):
    """A source could not be opened or read; the message says what to check."""


class FrameSource(ABC):
    """Yields frames until the input ends (files) or forever (live streams)."""

    #: True for cameras and streams, which are reopened when they fail; False for files.
    live: bool = False

    @abstractmethod
    def frames(self) -> Iterator[Frame]:
        """Frames in capture order; raises SourceError when the input cannot be read."""

    def close(self) -> None:  # noqa: B027 - optional hook; most sources hold nothing
        """Release the device or file."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
