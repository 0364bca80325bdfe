"""A site broker bridged to a central one (both real Mosquittos): cut the link while an agent
keeps producing, restore it, and count what reached the hub's fleet history."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.fleet import RunningAgent, agent_config, demo_frames
from support.mqtt_helpers import MosquittoFactory, Subscriber

from agent.adapters.history import EventHistory
from agent.adapters.mqtt import topics
from agent.adapters.mqtt.bridge import BridgeSettings, bridge_config, queue_limit
from agent.cli import main
from agent.config.schema import AppConfig, MqttConfig, StorageConfig
from agent.service.hub import Hub

pytestmark = pytest.mark.broker


def test_bridge_config_is_printed_for_the_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.yaml"
    site.write_text("llm:\n  type: template\nmqtt:\n  base_topic: farm\n")
    assert (
        main(
            [
                "bridge-config",
                "--config",
                str(site),
                "--remote",
                "hq.lan:8883",
                "--name",
                "barn",
                "--events-per-day",
                "20000",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    for line in (
        "connection eva-barn",
        "address hq.lan:8883",
        "remote_clientid eva-bridge-barn",
        "cleansession false",
        "topic farm/# both 1",
        "topic homeassistant/# both 1",
        f"max_queued_messages {queue_limit(20_000)}",
        "persistence true",
    ):
        assert line in text.splitlines(), line
    assert main(["bridge-config", "--config", str(site), "--remote", "hq.lan:0"]) == 2


def test_a_cut_link_loses_nothing_and_doubles_nothing_in_the_fleet_history(
    mosquitto_factory: MosquittoFactory, tmp_path: Path
) -> None:
    base = f"site-{uuid.uuid4().hex[:6]}"
    central = mosquitto_factory(persistence=True)
    settings = BridgeSettings(
        name="barn",
        remote_host=central.host,
        remote_port=central.port,
        base_topic=base,
        retry_seconds=(1, 2),  # the test's patience; sites keep the default backoff
    )
    # The helper writes persistence and its folder itself; the rest is what eva prints.
    lines = [
        line for line in bridge_config(settings).splitlines() if not line.startswith("persistence ")
    ]
    site = mosquitto_factory(lines, persistence=True)
    frames = demo_frames(tmp_path)
    agent = agent_config(site.host, site.port, base, tmp_path / "agent", ["barn"], frames=frames)
    hub_config = AppConfig(
        mqtt=MqttConfig(
            host=central.host, port=central.port, base_topic=base, reconnect_max_seconds=1.0
        ),
        storage=StorageConfig(path=str(tmp_path / "hub")),
    )
    hub = Hub(hub_config, "test")
    hub.start()
    try:
        with (
            Subscriber(site.host, site.port, f"{base}/+/events") as at_site,
            RunningAgent(agent),
        ):
            at_site.wait_for(lambda ms: len(ms) >= 2, timeout=60)
            wait_until(lambda: hub.recorder.counts().stored >= 2, 30)

            central.stop()  # the link is cut; the agent keeps producing
            cut_at = time.monotonic()
            during_from = len(at_site.messages)
            at_site.wait_for(lambda ms: len(ms) >= during_from + 3, timeout=60)
            outage = time.monotonic() - cut_at
            made_during = len(at_site.messages) - during_from
            central.start()

            # Restored: what the site kept reaches the hub, and the agent goes on.
            after = len(at_site.messages)
            at_site.wait_for(lambda ms: len(ms) >= after + 1, timeout=60)
        history = EventHistory(tmp_path / "agent" / "events.db")
        made = {e.id for e in history.between(_long_ago(), _soon())}
        history.close()
        assert len(made) >= 6
        wait_until(lambda: made <= _stored(hub), 60)
        assert hub.recorder.wait_idle(10)
        stored = _stored(hub)
        assert stored == made  # nothing lost, nothing from elsewhere
        assert hub.history.count() == len(made)  # nothing doubled
        counts = hub.recorder.counts()
        print(
            f"bridge outage of {outage:.0f} s with {made_during} events made meanwhile: "
            f"{len(made)} events made, {counts.stored} stored, "
            f"{counts.duplicates} redelivered and dropped as duplicates"
        )
    finally:
        hub.stop()
    with Subscriber(central.host, central.port, topics.hub_status(base)) as sub:
        sub.wait_for_payload(topics.hub_status(base), b"offline")


def _stored(hub: Hub) -> set[str]:
    return {e.id for e in hub.history.between(_long_ago(), _soon())}


def wait_until(condition: object, timeout: float) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _long_ago() -> datetime:
    return datetime.now(UTC) - timedelta(days=2)


def _soon() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)
