"""The running agent: MQTT, history, wording and digests around one worker per camera."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from agent.config import AppConfig
from agent.events import EventUpdate
from agent.history import EventHistory, HistoryError, open_history
from agent.llm import LanguageModel, ModelUnavailable, build_language_model
from agent.llm.summarizer import Summarizer
from agent.llm.worder import WordingQueue
from agent.mqtt import MqttPublisher, start_publisher
from agent.runner import CameraWorker, Sink, deliver
from agent.scheduler import DigestScheduler
from agent.sinks import MqttSink

log = logging.getLogger(__name__)


def run_agent(
    config: AppConfig,
    stop: threading.Event,
    extra_sinks: Sequence[Sink] = (),
    publish: bool = True,
) -> list[CameraWorker]:
    """Run every camera until `stop` is set or every input has ended; returns the workers."""
    sinks: list[Sink] = list(extra_sinks)
    publisher, broker = start_publisher(config.mqtt) if publish else (None, None)
    if publisher is not None:
        sinks.insert(0, MqttSink(publisher))
    history = _open_history(config)
    if history is not None:
        sinks.insert(1 if publisher is not None else 0, history)
    model = build_language_model(config.llm)
    wording = _start_wording(config, model, sinks) if model is not None else None
    camera_sinks = [*sinks, wording] if wording is not None else sinks
    digests = _start_digests(config, history, model, publisher)
    workers = [CameraWorker(c, config.language, camera_sinks, stop) for c in config.cameras]
    try:
        for w in workers:
            w.start()
        while any(w.is_alive() for w in workers) and not stop.is_set():
            stop.wait(0.2)
    finally:
        ended_by_input = not stop.is_set()
        stop.set()
        for w in workers:
            w.join(timeout=10)
        if digests is not None:
            digests.stop()
        if wording is not None:
            if ended_by_input:  # a finished file or demo: let the last events be worded
                wording.wait_idle(timeout=config.llm.deadline_seconds)
            wording.close()
            log.info("wording: %s", wording.counters.as_dict())
        if model is not None:
            model.close()
        if publisher is not None:
            _flush(publisher)
        if history is not None:
            history.close()
        if broker is not None:
            broker.stop()
    return workers


def _open_history(config: AppConfig) -> EventHistory | None:
    try:
        return open_history(config.storage)
    except HistoryError as e:  # events still flow to MQTT; only the history is missing
        log.error("event history disabled: %s", e)
        return None


def _start_wording(config: AppConfig, model: LanguageModel, sinks: list[Sink]) -> WordingQueue:
    llm = config.llm

    def to_sinks(update: EventUpdate) -> None:
        for s in sinks:
            deliver(s.update, update, update.camera)

    summarizer = Summarizer(model, llm.domain, llm.max_tokens)
    threading.Thread(target=_probe, args=(model,), name="llm-probe", daemon=True).start()
    return WordingQueue(
        summarizer,
        config.cameras,
        to_sinks,
        deadline_seconds=llm.deadline_seconds,
        max_pending=llm.max_pending,
        retry_after_seconds=llm.retry_after_seconds,
        max_in_flight=llm.max_in_flight,
    )


def _probe(model: LanguageModel) -> None:
    """Say once at start whether the model can answer; loading it early also warms it up."""
    try:
        log.info("language model ready: %s", model.check())
    except ModelUnavailable as e:
        fix = f"; fix: {e.fix}" if e.fix else ""
        log.warning("language model not ready, events keep their template text: %s%s", e, fix)
    except Exception as e:  # a probe must never take the agent down
        log.warning("language model probe failed: %s", e)


def _start_digests(
    config: AppConfig,
    history: EventHistory | None,
    model: LanguageModel | None,
    publisher: MqttPublisher | None,
) -> DigestScheduler | None:
    if not config.digests:
        return None
    if history is None or publisher is None:
        log.warning("digests are off: they need the event history and MQTT")
        return None
    scheduler = DigestScheduler(config, history, model, publisher.publish_digest)
    scheduler.start()
    return scheduler


def _flush(publisher: MqttPublisher) -> None:
    if not publisher.wait_until_delivered(timeout=5.0):
        log.warning(
            "stopping with %d message(s) not yet acknowledged by the broker",
            publisher.stats().pending,
        )
    publisher.close()
