"""Class-name files: one name per line, blank lines ignored."""

from __future__ import annotations

from pathlib import Path


def read_labels(path: Path, what: str, error: type[Exception]) -> tuple[str, ...]:
    """The names in a labels file; `error` (the caller's own type) says why it cannot be read.

    `what` names the setting in the message, e.g. "detector.labels_file".
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(
            f"cannot read {what} {path}: {exc.strerror}; point it at a text file with one "
            "class name per line, or remove it"
        ) from exc
    return tuple(line.strip() for line in text.splitlines() if line.strip())
