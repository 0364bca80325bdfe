"""The fleet hub on a real Mosquitto: every agent's events stored once, one answer over all."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.events import make_event, obj
from support.fleet import RunningAgent, agent_config, demo_frames, hub_config
from support.mqtt_helpers import Mosquitto, Received, Subscriber

from agent.adapters.mqtt import topics
from agent.cli import main
from agent.core.events import Event, EventUpdate
from agent.service.commands import CommandResult
from agent.service.hub import Hub

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_frames(tmp_path_factory.mktemp("hub"))


def results(msgs: list[Received], base: str, cid: str) -> list[CommandResult]:
    found = [
        CommandResult.model_validate_json(m.payload)
        for m in msgs
        if m.topic == topics.command_result(base)
    ]
    return [r for r in found if r.correlation_id == cid]


def one_answer(sub: Subscriber, base: str, action: str, body: bytes, cid: str) -> CommandResult:
    sub.publish(topics.command(base, action), body)
    sub.wait_for(lambda ms: bool(results(ms, base, cid)), timeout=30)
    time.sleep(1.5)  # room for a second answer, which must not come
    (answer,) = results(sub.messages, base, cid)
    return answer


def test_the_hub_keeps_every_agents_events_once_and_answers_once_over_all(
    mosquitto: Mosquitto, tmp_path: Path, frames: Path
) -> None:
    base = f"hub-{uuid.uuid4().hex[:6]}"
    agents = [
        agent_config(mosquitto.host, mosquitto.port, base, tmp_path / n, [n], frames=frames)
        for n in ("barn", "gate")
    ]
    hub = Hub(hub_config(mosquitto.host, mosquitto.port, base, tmp_path / "hub"), "test")
    hub.start()
    try:
        with Subscriber(mosquitto.host, mosquitto.port, f"{base}/#") as sub:
            sub.wait_for_payload(topics.hub_status(base), b"online", timeout=10)
            with RunningAgent(agents[0]), RunningAgent(agents[1]):
                # Both agents' people have come and gone at least once.
                sub.wait_for(
                    lambda ms: all(
                        sum(m.topic == f"{base}/{n}/events" for m in ms) >= 3
                        for n in ("barn", "gate")
                    ),
                    timeout=90,
                )
                # Agents leave questions to the hub: one answer, from the hub, over both.
                answer = one_answer(
                    sub,
                    base,
                    "ask",
                    b'{"question": "how many people came today?", "correlation_id": "q1"}',
                    "q1",
                )
            sent = {
                Event.model_validate_json(m.payload).id
                for m in sub.messages
                if m.topic.endswith("/events")
            }
            assert hub.recorder.wait_idle(10)
            stored = {e.id for e in hub.history.between(_ages_ago(), _soon())}
            assert stored == sent  # every event the agents sent, once
            assert answer.ok and answer.agent == hub.identity.agent_id
            assert answer.result is not None
            people = hub.history.query(
                "SELECT COUNT(DISTINCT event_id) FROM event_objects "
                "WHERE label = 'person' AND kind = 'arrival' AND started_ts < ?",
                (datetime.fromisoformat(answer.result["at"]).timestamp(),),
            )[0][0]
            assert answer.result["facts"]["count"] == people
            cameras = {e.camera for e in hub.history.between(_ages_ago(), _soon())}
            assert cameras == {"barn", "gate"}
    finally:
        hub.stop()


def test_late_doubled_and_out_of_order_messages_are_stored_once_by_their_own_time(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    base = f"hub-{uuid.uuid4().hex[:6]}"
    hub = Hub(hub_config(mosquitto.host, mosquitto.port, base, tmp_path / "hub"), "test")
    hub.start()
    now = datetime.now(UTC)
    late = make_event(camera="barn", at=now - timedelta(hours=1))
    fresh = make_event(camera="gate", objects=[obj("person")], at=now)
    worded = make_event(camera="gate", objects=[obj("dog")], at=now - timedelta(minutes=5))
    update = EventUpdate(
        id=worded.id,
        camera="gate",
        summary="A dog trotted in.",
        summary_source="llamacpp:test",
        language="en",
        worded_at=now,
        model_seconds=1.0,
        attempts=1,
    )
    try:
        with Subscriber(mosquitto.host, mosquitto.port, f"{base}/#") as sub:
            sub.wait_for_payload(topics.hub_status(base), b"online", timeout=10)
            for topic, message in [
                (topics.events(base, "gate"), fresh),
                (topics.event_updates(base, "gate"), update),  # before its event
                (topics.events(base, "barn"), late),  # an hour late, after a newer one
                (topics.events(base, "gate"), fresh),  # QoS 1 redelivery
                (topics.events(base, "gate"), worded),
                (topics.events(base, "barn"), late),
            ]:
                sub.publish(topic, message.model_dump_json().encode())
            sub.publish(topics.events(base, "gate"), b'{"not": "an event"}')
            wait_until(lambda: hub.recorder.counts().received == 5)
            assert hub.recorder.wait_idle(10)
        counts = hub.recorder.counts()
        assert (counts.stored, counts.duplicates, counts.unreadable) == (3, 2, 1)
        assert counts.updates_waiting == 0
        assert hub.history.count() == 3
        stored = hub.history.get(worded.id)
        assert stored is not None and stored.summary == "A dog trotted in."
        ordered = [e.id for e in hub.history.between(now - timedelta(days=1), _soon())]
        assert ordered == [late.id, worded.id, fresh.id]  # by their own time

        # While the hub is away the broker keeps what is sent for it (persistent session).
        hub.stop()
        away = make_event(camera="barn", objects=[obj("fox")])
        with Subscriber(mosquitto.host, mosquitto.port, topics.hub_status(base)) as sub:
            sub.wait_for_payload(topics.hub_status(base), b"offline")
            sub.publish(topics.events(base, "barn"), away.model_dump_json().encode())
        hub = Hub(hub_config(mosquitto.host, mosquitto.port, base, tmp_path / "hub"), "test")
        hub.start()
        wait_until(lambda: hub.recorder.counts().received == 1)
        assert hub.recorder.wait_idle(10)
        assert hub.history.get(away.id) is not None and hub.history.count() == 4
    finally:
        hub.stop()


def test_the_hub_answers_unknown_cameras_and_digests_the_fleet(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    base = f"hub-{uuid.uuid4().hex[:6]}"
    hub = Hub(hub_config(mosquitto.host, mosquitto.port, base, tmp_path / "hub"), "test")
    hub.start()
    try:
        with Subscriber(mosquitto.host, mosquitto.port, f"{base}/#") as sub:
            sub.wait_for_payload(topics.hub_status(base), b"online", timeout=10)
            body = b'{"camera": "shed", "correlation_id": "s1"}'
            answer = one_answer(sub, base, "snapshot", body, "s1")
            assert not answer.ok and answer.agent == hub.identity.agent_id
            assert answer.error is not None and "no camera 'shed' in the fleet" in answer.error

            # Two agents' events, and one digest of them from the fleet history.
            for camera, label in (("barn", "cow"), ("gate", "person"), ("gate", "person")):
                event = make_event(camera=camera, objects=[obj(label)])
                sub.publish(topics.events(base, camera), event.model_dump_json().encode())
            wait_until(lambda: hub.history.count() == 3)
            digest = one_answer(sub, base, "digest", b'{"correlation_id": "d1"}', "d1")
            assert digest.ok and digest.agent == hub.identity.agent_id
            sent = sub.wait_for(lambda ms: any(m.topic == topics.digest(base) for m in ms))
        (published,) = [m for m in sent if m.topic == topics.digest(base)]
        facts = json.loads(published.payload)
        assert digest.result is not None and facts["id"] == digest.result["id"]
        assert facts["facts"]["total_events"] == 3, facts
    finally:
        hub.stop()


def wait_until(condition: object, timeout: float = 20.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _ages_ago() -> datetime:
    return datetime.now(UTC) - timedelta(days=2)


def _soon() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)


def test_eva_hub_needs_the_agents_broker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(f"llm:\n  type: template\nstorage:\n  path: {tmp_path / 'hub'}\n")
    assert main(["hub", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: the hub needs mqtt.host (and mqtt.port): the broker the agents publish to"
    ]
