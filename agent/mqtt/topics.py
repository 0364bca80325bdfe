"""Every MQTT topic the agent uses is built here, so the layout lives in one place."""

from __future__ import annotations


def events(base: str, camera: str) -> str:
    """Topic of one camera's events: ``<base>/<camera>/events``."""
    return f"{base}/{camera}/events"


def event_updates(base: str, camera: str) -> str:
    """Topic of worded updates of a camera's events: ``<base>/<camera>/events/update``."""
    return f"{base}/{camera}/events/update"


def digest(base: str) -> str:
    """Topic of the periodic digests of all cameras: ``<base>/digest``."""
    return f"{base}/digest"


def state(base: str, camera: str) -> str:
    """Topic of one camera's retained state: ``<base>/<camera>/state``."""
    return f"{base}/{camera}/state"


def status(base: str) -> str:
    """Topic of the agent's retained availability, ``online`` or ``offline``: ``<base>/status``."""
    return f"{base}/status"
