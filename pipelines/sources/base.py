"""The interface every frame source implements."""

from __future__ import annotations

import contextlib
import inspect
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterator

from eva_errors import UserError
from pipelines.frames import Frame


class SourceError(UserError, RuntimeError):
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


class StoppableSource(FrameSource):
    """A source whose iterators wait (pacing, reconnecting): close() from any thread ends
    the wait and the iterator, which then releases what it holds."""

    def __init__(self, sleep: Callable[[float], object] | None = None) -> None:
        self._stop = threading.Event()
        # Waits go through here so close() cuts them short; tests pass their own.
        self._sleep = sleep if sleep is not None else self._stop.wait
        self._runs: list[Generator[Frame, None, None]] = []

    def _track(self, run: Generator[Frame, None, None]) -> Iterator[Frame]:
        """Remember an iterator so close() can end it."""
        self._runs = [r for r in self._runs if inspect.getgeneratorstate(r) != inspect.GEN_CLOSED]
        self._runs.append(run)
        return run

    def close(self) -> None:
        """Stop any running iterator."""
        self._stop.set()
        for run in self._runs:
            # ValueError: running in another thread; it sees the stop flag and ends itself.
            with contextlib.suppress(ValueError):
                run.close()
        self._runs.clear()
