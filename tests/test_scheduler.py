"""Digests on a schedule: cron jobs, facts from the real history, wording, MQTT delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.mqtt_helpers import Mosquitto, Subscriber

from agent.adapters.history import EventHistory
from agent.adapters.mqtt import MqttPublisher, payloads
from agent.bench.llm import bench_events
from agent.config.schema import AppConfig, CameraConfig, DigestConfig, LlamaCppLlmConfig, MqttConfig
from agent.core.digest import Digest, digest_grounding
from agent.core.settings import ZoneConfig
from agent.llm.llamacpp_backend import LlamaCppModel
from agent.llm.verify import verify
from agent.service.scheduler import DigestScheduler

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC).astimezone()


def config(*digests: DigestConfig, **kw: object) -> AppConfig:
    camera = CameraConfig(
        name="bench",
        zones=[ZoneConfig(name="gate", preposition="at"), ZoneConfig(name="barn")],
    )
    return AppConfig(cameras=[camera], digests=list(digests), **kw)  # type: ignore[arg-type]


@pytest.fixture
def history(tmp_path: Path) -> EventHistory:
    h = EventHistory(tmp_path / "events.db")
    for e in bench_events(60, ("en",)):  # 05:00 .. 11:53 on 2026-05-01
        h.add(e)
    return h


def test_a_digest_is_built_from_the_window_and_published(history: EventHistory) -> None:
    published: list[Digest] = []
    cfg = config(DigestConfig(name="morning", cron="0 7 * * *", window_hours=2))
    scheduler = DigestScheduler(cfg, history, None, published.append, clock=lambda: NOW)
    digest = scheduler.run(cfg.digests[0])
    assert published == [digest]
    assert digest.name == "morning"
    assert digest.period_end == NOW and digest.period_start == NOW - timedelta(hours=2)
    in_window = [e for e in history.between(NOW - timedelta(hours=2), NOW)]
    assert digest.facts.total_events == len(in_window) > 0
    assert digest.summary_source == "template"
    assert verify(digest.summary, digest_grounding(digest.facts, "en")) == []


def test_an_empty_window_says_nothing_was_seen(history: EventHistory) -> None:
    published: list[Digest] = []
    later = NOW + timedelta(days=2)
    cfg = config(DigestConfig(name="hourly", cron="0 * * * *", window_hours=1))
    digest = DigestScheduler(cfg, history, None, published.append, clock=lambda: later).run(
        cfg.digests[0]
    )
    assert digest.facts.total_events == 0
    assert "nothing" in digest.summary.lower()


def test_the_model_words_a_digest_only_when_the_verifier_agrees(history: EventHistory) -> None:
    model = LlamaCppModel(LlamaCppLlmConfig())
    published: list[Digest] = []
    cfg = config(DigestConfig(name="morning", cron="0 7 * * *", window_hours=3))
    try:
        digest = DigestScheduler(cfg, history, model, published.append, clock=lambda: NOW).run(
            cfg.digests[0]
        )
    finally:
        model.close()
    grounding = digest_grounding(digest.facts, "en")
    if digest.summary_source == "template":
        assert digest.summary.startswith("Since") or digest.summary.startswith("In the last")
    else:
        assert digest.summary_source.startswith("llamacpp:")
    assert verify(digest.summary, grounding) == [] or digest.summary_source == "template"


def test_cron_jobs_are_scheduled_in_local_time(history: EventHistory) -> None:
    cfg = config(
        DigestConfig(name="hourly", cron="0 * * * *", window_hours=1),
        DigestConfig(name="morning", cron="0 7 * * *"),
    )
    scheduler = DigestScheduler(cfg, history, None, lambda d: None)
    scheduler.start()
    try:
        runs = scheduler.next_runs()
    finally:
        scheduler.stop()
    assert set(runs) == {"hourly", "morning"}
    hourly, morning = runs["hourly"], runs["morning"]
    assert hourly is not None and morning is not None
    assert (hourly.minute, hourly.second) == (0, 0)
    assert (morning.hour, morning.minute) == (7, 0)
    assert hourly - datetime.now(hourly.tzinfo) <= timedelta(hours=1)


@pytest.mark.broker
def test_digests_arrive_on_the_digest_topic(
    history: EventHistory, mosquitto: Mosquitto, mqtt_base: str
) -> None:
    mqtt = MqttConfig(
        host="127.0.0.1", port=mosquitto.port, base_topic=mqtt_base, client_id=f"eva-{mqtt_base}"
    )
    publisher = MqttPublisher(mqtt, "127.0.0.1", mosquitto.port)
    publisher.start()
    cfg = config(DigestConfig(name="morning", cron="0 7 * * *", window_hours=3))
    try:
        with Subscriber("127.0.0.1", mosquitto.port, f"{mqtt_base}/digest") as sub:
            sent = DigestScheduler(
                cfg,
                history,
                None,
                lambda d: publisher.publish(*payloads.digest(publisher.base_topic, d)),
                clock=lambda: NOW,
            ).run(cfg.digests[0])
            (msg,) = sub.wait_for(lambda ms: len(ms) >= 1)
        assert publisher.wait_until_delivered(5)
    finally:
        publisher.close()
    assert msg.qos == 1 and not msg.retain
    assert Digest.model_validate_json(msg.payload) == sent


def test_bad_cron_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="five fields"):
        DigestConfig(name="x", cron="every hour")


def test_out_of_range_cron_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="not valid"):
        DigestConfig(name="x", cron="61 * * * *")
