"""Who this agent is on the broker: its MQTT client id and the id its own topics carry.

Without `mqtt.client_id` every agent gets its own id, generated once and kept in
`storage.path/agent-id` so that it survives restarts (Home Assistant keeps the same device).
The host name comes first so that a person reading the broker's log knows which Pi it is.
"""

from __future__ import annotations

import re
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agent.config.schema import AppConfig, MqttConfig, StorageConfig
from eva_errors import UserError

ID_FILE = "agent-id"
HUB_ID_FILE = "hub-id"
#: What an id kept on disk may look like; also what a topic level may carry safely.
_STORED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_HOST_MAX = 40

Source = Literal["config", "stored", "generated"]


class IdentityError(UserError, RuntimeError):
    """The agent's id cannot be read or kept; the message says what to do."""


@dataclass(frozen=True)
class AgentIdentity:
    """The MQTT client id, and the agent id used in the agent's own topics and devices."""

    client_id: str
    agent_id: str
    source: Source
    path: Path | None  # where a generated id is kept

    def describe(self) -> str:
        """One line for `eva check` and the start-up log."""
        if self.source == "config":
            return f"agent id {self.agent_id} (from mqtt.client_id)"
        how = "generated now" if self.source == "generated" else "generated earlier"
        return f"agent id {self.agent_id} ({how}, kept in {self.path})"


def agent_id_for(client_id: str) -> str:
    """A topic-safe id from any client id: other characters become '_' (no '/', '+', '#')."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", client_id)[:128] or "agent"


def host_prefix(hostname: str | None = None) -> str:
    """The host name as an id prefix: lower case letters, digits and '-'."""
    name = (hostname if hostname is not None else socket.gethostname()).split(".")[0]
    cleaned = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:_HOST_MAX].strip("-")
    return cleaned or "eva"


def new_agent_id(hostname: str | None = None) -> str:
    """`<host>-<6 hex digits>`: readable, and unique even among Pis all named raspberrypi."""
    return f"{host_prefix(hostname)}-{secrets.token_hex(3)}"


def resolve_identity(
    mqtt: MqttConfig, storage: StorageConfig, *, file: str = ID_FILE
) -> AgentIdentity:
    """The configured client id, else the one kept in storage.path (made on first use);
    the hub keeps its own in `hub-id`, so that it may share a storage folder with an agent."""
    if mqtt.client_id is not None:
        return AgentIdentity(mqtt.client_id, agent_id_for(mqtt.client_id), "config", None)
    folder = Path(storage.path).expanduser()
    path = folder / file
    stored = _read(path)
    if stored is not None:
        return AgentIdentity(stored, stored, "stored", path)
    fresh = new_agent_id()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            # "x": two processes sharing one storage folder agree on the first id written.
            with path.open("x", encoding="utf-8") as f:
                f.write(fresh + "\n")
        except FileExistsError:
            stored = _read(path)
            if stored is not None:
                return AgentIdentity(stored, stored, "stored", path)
            _replace(path, fresh)  # an empty file left by a crash while it was written
    except OSError as e:
        raise IdentityError(
            f"cannot keep the agent's id in {path} ({e.strerror or e}): fix storage.path or "
            "its permissions, or set mqtt.client_id"
        ) from e
    return AgentIdentity(fresh, fresh, "generated", path)


def with_identity(config: AppConfig, *, file: str = ID_FILE) -> tuple[AppConfig, AgentIdentity]:
    """The configuration with `mqtt.client_id` filled in, and the identity it came from."""
    identity = resolve_identity(config.mqtt, config.storage, file=file)
    mqtt = config.mqtt.model_copy(update={"client_id": identity.client_id})
    return config.model_copy(update={"mqtt": mqtt}), identity


def _replace(path: Path, agent_id: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(agent_id + "\n", encoding="utf-8")
    temporary.replace(path)


def _read(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise IdentityError(
            f"cannot read the agent's id from {path} ({e}): fix its permissions, or set "
            "mqtt.client_id"
        ) from e
    if not text:
        return None
    if not _STORED_ID.fullmatch(text):
        raise IdentityError(
            f"{path} does not hold an agent id ({text[:40]!r}): delete it to generate a new one "
            "(Home Assistant then sees a new device), or set mqtt.client_id"
        )
    return text
