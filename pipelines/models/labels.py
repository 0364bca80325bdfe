"""Class-name files: one name per line, blank lines ignored."""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

# A labels file names classes; a megabyte of them is a wrong file, not a big model.
MAX_LABELS_BYTES = 1_000_000

_FIX = "point it at a text file with one class name per line, or remove it"


def read_labels(path: Path, what: str, error: type[Exception]) -> tuple[str, ...]:
    """The names in a labels file; `error` (the caller's own type) says why it cannot be read.

    `what` names the setting in the message, e.g. "detector.labels_file". `eva check` and
    the detectors both read labels through here, so they agree on what is a labels file.
    """
    try:
        if not path.is_file():  # a FIFO would block the reader for ever
            why = "no such file" if not path.exists() else "not a regular file"
            raise error(f"cannot read {what} {path}: {why}; {_FIX}")
        with path.open("rb") as f:
            data = f.read(MAX_LABELS_BYTES + 1)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}; {_FIX}") from exc
    if len(data) > MAX_LABELS_BYTES:
        raise error(f"{what} {path} is larger than {MAX_LABELS_BYTES} bytes; {_FIX}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text (a binary file?); {_FIX}") from exc
    if "\0" in text:
        raise error(f"{what} {path} holds NUL bytes (a binary file?); {_FIX}")
    names = tuple(line.strip() for line in text.splitlines() if line.strip())
    if not names:
        raise error(f"{what} {path} is empty; {_FIX}")
    return names


@cache
def coco80_names() -> tuple[str, ...]:
    """The 80 COCO class names as Ultralytics and Hailo spell them, by class id.

    One list for every backend: the Hailo label file shipped in `hailo_models`.
    """
    text = importlib.resources.files("hailo_models").joinpath("coco80.txt").read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())
