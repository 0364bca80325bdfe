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


def agent(base: str, agent_id: str) -> str:
    """Prefix of what belongs to one agent: ``<base>/agents/<agent_id>``."""
    return f"{base}/agents/{agent_id}"


def status(base: str, agent_id: str) -> str:
    """An agent's retained availability, ``online`` or ``offline`` (its last will):
    ``<base>/agents/<agent_id>/status``; ``+`` for agent_id subscribes to every agent's."""
    return f"{agent(base, agent_id)}/status"


def installation(base: str, agent_id: str) -> str:
    """An agent's retained installation (its cameras, zones, words):
    ``<base>/agents/<agent_id>/installation``."""
    return f"{agent(base, agent_id)}/installation"


def hub_status(base: str) -> str:
    """The fleet hub's retained availability, ``online`` or ``offline``: ``<base>/hub/status``."""
    return f"{base}/hub/status"


def camera_status(base: str, camera: str) -> str:
    """Topic of a camera's retained availability, ``online`` while frames arrive:
    ``<base>/<camera>/status``."""
    return f"{base}/{camera}/status"


def last_event(base: str, camera: str) -> str:
    """Retained latest event of a camera, as last worded: ``<base>/<camera>/last_event``."""
    return f"{base}/{camera}/last_event"


def snapshot(base: str, camera: str) -> str:
    """Retained annotated JPEG of a camera: ``<base>/<camera>/snapshot``."""
    return f"{base}/{camera}/snapshot"


def paused(base: str, camera: str) -> str:
    """Retained ``ON``/``OFF``, whether the camera is paused: ``<base>/<camera>/paused``."""
    return f"{base}/{camera}/paused"


def diagnostics(base: str, camera: str) -> str:
    """Retained JSON figures of one camera: ``<base>/<camera>/diagnostics``."""
    return f"{base}/{camera}/diagnostics"


def agent_diagnostics(base: str, agent_id: str) -> str:
    """Retained JSON figures of one agent: ``<base>/agents/<agent_id>/diagnostics``."""
    return f"{agent(base, agent_id)}/diagnostics"


def command(base: str, action: str) -> str:
    """Where commands arrive: ``<base>/cmd/<action>``; ``+`` subscribes to all of them."""
    return f"{base}/cmd/{action}"


def command_result(base: str) -> str:
    """Where every command's result or error goes: ``<base>/cmd/result``."""
    return f"{base}/cmd/result"


def answer(base: str) -> str:
    """Retained latest answer to a question (``ask`` command): ``<base>/answer``."""
    return f"{base}/answer"


def watch(base: str) -> str:
    """Where a standing question's notice goes when it fires (not retained): ``<base>/watch``."""
    return f"{base}/watch"


def watches(base: str) -> str:
    """Retained list of the standing questions waiting: ``<base>/watches``."""
    return f"{base}/watches"


def agent_watches(base: str, agent_id: str) -> str:
    """An agent's retained list of its own standing questions:
    ``<base>/agents/<agent_id>/watches``; ``<base>/watches`` is the fleet's list."""
    return f"{agent(base, agent_id)}/watches"


def agent_command(base: str, agent_id: str, action: str) -> str:
    """Commands for one agent alone (standing questions handed to it by the fleet's answerer):
    ``<base>/agents/<agent_id>/cmd/<action>``; its results go to ``.../cmd/result``."""
    return command(agent(base, agent_id), action)
