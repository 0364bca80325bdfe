"""Where built artefacts (converted models, the demo scene) are cached."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$EVA_CACHE_DIR, else $XDG_CACHE_HOME/edge-vision-agent, else ~/.cache/edge-vision-agent."""
    explicit = os.environ.get("EVA_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "edge-vision-agent"
