"""A Mosquitto bridge from a site's broker to the central one, as configuration text.

The site's agents publish to the broker next to them, which forwards to the centre over one
connection and keeps what it cannot send: QoS 1 both ways, a persistent session at the centre
(`cleansession false`), persistence on disk at the site, and queues sized for a day of events
(Mosquitto's default of 1,000 queued messages lasts minutes, not a day, on a busy site).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Messages per event on the wire, about: the event, its worded update, the state changes and
#: the last-event and snapshot messages that go with it (docs/BENCHMARKS.md, fleet).
MESSAGES_PER_EVENT = 6
#: Room above the estimate, for bursts (a herd) and slow days that are not slow.
HEADROOM = 4


@dataclass(frozen=True)
class BridgeSettings:
    """What the site's bridge needs to know."""

    name: str  # the site, e.g. "barn": names the connection and the client id at the centre
    remote_host: str
    remote_port: int = 1883
    base_topic: str = "eva"
    discovery_prefix: str = "homeassistant"
    events_per_day: int = 10_000
    remote_username: str | None = None
    tls_ca_file: str | None = None
    retry_seconds: tuple[int, int] = (5, 60)  # first wait after a cut, and the longest


def queue_limit(events_per_day: int) -> int:
    """Messages the site broker may hold for the centre: a day of events, with headroom."""
    return max(10_000, events_per_day * MESSAGES_PER_EVENT * HEADROOM)


def bridge_config(settings: BridgeSettings) -> str:
    """Lines for the site broker's configuration (e.g. /etc/mosquitto/conf.d/eva-bridge.conf)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", settings.name).strip("-") or "site"
    limit = queue_limit(settings.events_per_day)
    base, prefix = settings.base_topic, settings.discovery_prefix
    lines = [
        f"# Bridge of site {name!r} to {settings.remote_host}:{settings.remote_port}, "
        "made by `eva bridge-config`.",
        "# Keep what cannot be sent on disk, so a restart of this broker loses nothing.",
        "persistence true",
        "autosave_interval 60",
        f"# A day of events ({settings.events_per_day}/day, about {MESSAGES_PER_EVENT} "
        f"messages each, {HEADROOM}x headroom) may wait for the centre.",
        f"max_queued_messages {limit}",
        "max_queued_bytes 0",
        "",
        f"connection eva-{name}",
        f"address {settings.remote_host}:{settings.remote_port}",
        f"remote_clientid eva-bridge-{name}",
        "# The centre keeps this bridge's session and its queue across outages.",
        "cleansession false",
        "# Tells the centre this is a bridge: it sends nothing back the way it came (no loops).",
        "try_private true",
        "bridge_protocol_version mqttv311",
        "keepalive_interval 30",
        f"# Retry after {settings.retry_seconds[0]} s, backing off to "
        f"{settings.retry_seconds[1]} s while the link is down.",
        f"restart_timeout {settings.retry_seconds[0]} {settings.retry_seconds[1]}",
        "start_type automatic",
        "notifications true",
        f"notification_topic {base}/bridges/{name}/status",
    ]
    if settings.remote_username is not None:
        lines += [
            f"remote_username {settings.remote_username}",
            "# remote_password goes here; keep this file readable by mosquitto only.",
        ]
    if settings.tls_ca_file is not None:
        lines.append(f"bridge_cafile {settings.tls_ca_file}")
    lines += [
        "# Everything of the agents, both ways, at QoS 1: events, states and installations out;",
        "# commands, the hub's status and answers in.",
        f"topic {base}/# both 1",
        "# Home Assistant's discovery out, its birth message in.",
        f"topic {prefix}/# both 1",
    ]
    return "\n".join(lines) + "\n"
