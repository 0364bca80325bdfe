"""The running agent: MQTT, history, wording, digests, commands and Home Assistant around one
worker per camera, started in order and stopped in reverse."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.adapters.history import EventHistory, HistoryError, free_space, open_history
from agent.ask.live import LiveStates
from agent.config.schema import AppConfig, CameraConfig, DigestConfig
from agent.core import RUNNING
from agent.core.events import EventUpdate
from agent.llm import LanguageModel, ModelUnavailable, build_language_model
from agent.service.camera_control import CameraControl
from agent.service.camera_worker import CameraWorker, Sink, SnapshotHook, deliver
from agent.service.health import FILE_NAME as HEALTH_FILE
from agent.service.health import HealthFile
from agent.service.periodic import PeriodicThread

# The MQTT side (client, outbox, fleet, commands, Ask, watches, digests' scheduler) and the
# language model's wording are imported where they start: a replay that only prints with
# template wording loads none of them.
if TYPE_CHECKING:
    from agent.adapters.mqtt import MqttPublisher
    from agent.adapters.mqtt.fleet import FleetView
    from agent.adapters.mqtt.identity import AgentIdentity
    from agent.adapters.mqtt.relay import OutboxRelay
    from agent.ask.service import Asker
    from agent.ask.watch import WatchBook
    from agent.core.digest import Digest
    from agent.llm.wording import WordingQueue
    from agent.service.commands import DigestRunner
    from agent.service.diagnostics import DiagnosticsReporter
    from agent.service.fleet_watches import FleetWatches
    from agent.service.scheduler import DigestScheduler
    from pipelines.detections import Detections
    from pipelines.frames import Frame

log = logging.getLogger(__name__)

#: The Home Assistant node of an agent without mqtt.client_id in releases before the fleet.
LEGACY_NODE = "edge_vision_agent"


def agent_version() -> str:
    """The installed package's version, for Home Assistant's device and origin."""
    try:
        return version("edge-vision-agent")
    except PackageNotFoundError:
        return "0+unknown"


def run_agent(
    config: AppConfig,
    stop: threading.Event,
    extra_sinks: Sequence[Sink] = (),
    publish: bool = True,
) -> list[CameraWorker]:
    """Run every camera until `stop` is set or every input has ended; returns the workers."""
    identity: AgentIdentity | None = None
    if publish:
        from agent.adapters.mqtt.identity import with_identity

        config, identity = with_identity(config)  # before anything names the agent
    with contextlib.ExitStack() as cleanup:
        sinks: list[Sink] = []
        publisher = _start_mqtt(config, cleanup, identity) if identity is not None else None
        if identity is not None:
            log.info("%s", identity.describe())  # once MQTT could start: else one error line
        log.info("core runs %s", RUNNING)  # compiled, or interpreted and why (core/compiled.py)
        fleet = _join_fleet(config, publisher) if publisher is not None else None
        relay = _start_outbox(config, publisher, cleanup) if publisher is not None else None
        if publisher is not None:
            from agent.adapters.mqtt.sinks import LastEventSink, MqttSink

            sinks += [MqttSink(publisher, relay), LastEventSink(publisher, config.mqtt.base_topic)]
        history = _open_history(config)
        if history is not None:
            cleanup.callback(history.close)
            sinks.append(history)
            # Events kept in memory while the disk is full are written when it has room again.
            PeriodicThread(
                "history-retry", history.retry_pending, history.retry_seconds, stop
            ).start()
        sinks += list(extra_sinks)
        live = LiveStates()
        sinks.append(live)
        watches = None
        fleet_watches = None
        if publisher is not None and fleet is not None and history is not None:
            from agent.ask.watch import WATCHES_FILE, WatchBook, WatchSink
            from agent.service.ask_action import watch_notifier
            from agent.service.fleet_watches import FleetWatches, own_watch_lister

            # Standing questions fire from the core's events, in the frame they are made.
            storage = Path(config.storage.path).expanduser()
            base = config.mqtt.base_topic
            send = _sender(publisher)
            watches = WatchBook(
                storage / WATCHES_FILE,
                config.ask.max_watches,
                on_change=own_watch_lister(base, publisher.agent_id, send),
            )
            sinks.append(WatchSink(watches, watch_notifier(base, send)))
            # Placed with the camera's agent, listed and cancelled over the fleet.
            fleet_watches = FleetWatches(base, fleet, send, watches)
            fleet_watches.attach(publisher.subscribe)
            _take_own_watches(config, publisher, watches, cleanup)
            watches.publish()

        model = build_language_model(config.llm)
        if model is not None:
            cleanup.callback(model.close)
        wording = _start_wording(config, model, sinks) if model is not None else None
        camera_sinks = [*sinks, wording] if wording is not None else sinks

        controls = {c.name: CameraControl(c.name) for c in config.cameras}
        snapshot = _snapshot_hook(config, publisher) if publisher is not None else None
        workers = [
            CameraWorker(c, config.language, camera_sinks, stop, controls[c.name], snapshot)
            for c in config.cameras
        ]
        digests = (
            _digest_scheduler(config, history, model, _digest_sender(publisher, relay, fleet))
            if history is not None and publisher is not None
            else None
        )
        reporter = None
        availability = None
        if publisher is not None:
            from agent.service.ask_action import build_asker
            from agent.service.camera_status import CameraAvailability

            asker = (
                build_asker(config, history, model, live, fleet_watches)
                if history is not None
                else None
            )
            reporter = _start_operator_side(
                config,
                publisher,
                relay,
                controls,
                digests,
                workers,
                wording,
                stop,
                cleanup,
                asker,
                fleet,
                history,
                fleet_watches,
            )
            availability = CameraAvailability(
                config.mqtt.base_topic,
                workers,
                lambda topic, payload, retain: publisher.publish(topic, payload, retain=retain),
                stop,
            )
            availability.start()
        health = HealthFile(Path(config.storage.path).expanduser() / HEALTH_FILE, workers, stop)
        ended_by_input = False
        try:
            for w in workers:
                w.start()
            health.start()
            if digests is not None and config.digests:
                digests.start()
            while any(w.is_alive() for w in workers) and not stop.is_set():
                stop.wait(0.2)
            ended_by_input = not stop.is_set()
        finally:
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
            if reporter is not None:
                reporter.join(timeout=5)
                reporter.report()  # the final figures, retained
            if availability is not None:
                availability.join(timeout=5)
                availability.all_offline()
    return workers


def _digest_scheduler(
    config: AppConfig,
    history: EventHistory,
    model: LanguageModel | None,
    send: Callable[[Digest], object],
) -> DigestScheduler:
    from agent.service.scheduler import DigestScheduler

    return DigestScheduler(config, history, model, send)


def _start_mqtt(
    config: AppConfig, cleanup: contextlib.ExitStack, identity: AgentIdentity
) -> MqttPublisher:
    from agent.adapters.mqtt import start_publisher

    publisher, broker = start_publisher(config.mqtt)
    if broker is not None:
        cleanup.callback(broker.stop)
    cleanup.callback(_flush, publisher)
    if config.home_assistant.enabled:
        from agent.adapters.homeassistant.announcer import HomeAssistantAnnouncer

        # Before agents had ids of their own, one without mqtt.client_id was this node: its
        # entities from then are removed once, so the upgrade leaves no orphan device.
        former = (LEGACY_NODE,) if identity.source != "config" else ()
        announcer = HomeAssistantAnnouncer(config, publisher, agent_version(), former_nodes=former)
        announcer.start()
        cleanup.callback(announcer.stop)
    return publisher


def _join_fleet(config: AppConfig, publisher: MqttPublisher) -> FleetView:
    """Publish this agent's installation and follow the other agents' (for routing and
    clashes)."""
    from agent.adapters.mqtt.fleet import FleetView, installation_of
    from agent.ask.installation import detectable_labels

    labels = {c.name: detectable_labels(c) for c in config.cameras}
    me = installation_of(
        config, publisher.agent_id, socket.gethostname(), agent_version(), labels=labels
    )
    fleet = FleetView(config.mqtt.base_topic, me, publisher.give_up)

    def send(topic: str, payload: bytes, retain: bool) -> object:
        return publisher.publish(topic, payload, retain=retain)

    fleet.attach(publisher.subscribe, send)
    return fleet


def _start_outbox(
    config: AppConfig, publisher: MqttPublisher, cleanup: contextlib.ExitStack
) -> OutboxRelay | None:
    if not config.mqtt.outbox:
        return None
    from agent.adapters.mqtt.outbox import Outbox
    from agent.adapters.mqtt.relay import OutboxRelay

    path = Path(config.storage.path).expanduser() / "outbox.db"
    outbox = Outbox(path, config.mqtt.outbox_max_messages, config.mqtt.outbox_max_age_hours * 3600)
    cleanup.callback(outbox.close)
    relay = OutboxRelay(publisher, outbox)
    relay.start()
    backlog = outbox.depth()
    if backlog:
        log.info("outbox: %d message(s) from before the restart will be sent", backlog)

    def drain() -> None:
        # Only while connected: with the broker gone the rows wait on disk for the next start,
        # and `eva run` must stop within 5 s of SIGTERM (compose kills it after its grace).
        if not relay.wait_until_empty(timeout=3.0, while_connected=True):
            log.warning(
                "stopping with %d message(s) in the outbox; they are sent after the next start",
                outbox.depth(),
            )
        relay.stop()

    cleanup.callback(drain)
    return relay


def _digest_sender(
    publisher: MqttPublisher, relay: OutboxRelay | None, fleet: FleetView | None = None
) -> Callable[[Digest], object]:
    from agent.adapters.mqtt import payloads

    def send(digest: Digest) -> object:
        if fleet is not None and fleet.hub_online:
            # The hub sends the fleet's digest from every agent's events; one is enough.
            log.info("digest %s left to the fleet hub, which is online", digest.name)
            return None
        message = payloads.digest(publisher.base_topic, digest)
        if relay is None:
            return publisher.publish(*message)
        return relay.send(message.topic, message.payload)

    return send


def _start_operator_side(
    config: AppConfig,
    publisher: MqttPublisher,
    relay: OutboxRelay | None,
    controls: dict[str, CameraControl],
    digests: DigestScheduler | None,
    workers: list[CameraWorker],
    wording: WordingQueue | None,
    stop: threading.Event,
    cleanup: contextlib.ExitStack,
    asker: Asker | None = None,
    fleet: FleetView | None = None,
    history: EventHistory | None = None,
    watches: FleetWatches | None = None,
) -> DiagnosticsReporter:
    """Commands in, diagnostics out."""
    from agent.adapters.mqtt import topics
    from agent.service.ask_action import add_ask_action
    from agent.service.commands import CommandHandler
    from agent.service.diagnostics import DiagnosticsReporter
    from agent.service.fleet_watches import add_fleet_watch_actions

    send = _sender(publisher)

    run_digest = _digest_runner(config, digests) if digests is not None else None
    commands = CommandHandler(
        config.mqtt.base_topic,
        controls,
        send,
        run_digest,
        router=fleet,
        agent_id=publisher.agent_id,
    )
    add_ask_action(commands, asker, config.mqtt.base_topic, send)
    add_fleet_watch_actions(commands, watches)
    commands.start()
    publisher.subscribe(topics.command(config.mqtt.base_topic, "+"), commands.on_message)
    cleanup.callback(commands.stop)
    reporter = DiagnosticsReporter(
        config.mqtt.base_topic,
        publisher.agent_id,
        workers,
        wording,
        send,
        (lambda: relay.outbox_depth())
        if relay is not None
        else (lambda: publisher.stats().pending),
        config.home_assistant.diagnostics_seconds,
        stop,
        free_space=lambda: free_space(config.storage),
        history_pending=(lambda: history.pending) if history is not None else (lambda: 0),
    )
    reporter.start()
    return reporter


def _take_own_watches(
    config: AppConfig, publisher: MqttPublisher, book: WatchBook, cleanup: contextlib.ExitStack
) -> None:
    """This agent's own command topics, where the fleet's answerer hands it the watches for
    its cameras (and lists and cancels them): <base>/agents/<id>/cmd/+."""
    from agent.adapters.mqtt import topics
    from agent.service.commands import CommandHandler
    from agent.service.fleet_watches import add_own_watch_actions

    base, agent_id = config.mqtt.base_topic, publisher.agent_id
    own = CommandHandler(
        topics.agent(base, agent_id), {}, _sender(publisher), agent_id=agent_id, builtins=False
    )
    add_own_watch_actions(own, book, [c.name for c in config.cameras])
    own.start()
    publisher.subscribe(topics.agent_command(base, agent_id, "+"), own.on_message)
    cleanup.callback(own.stop)


def _sender(publisher: MqttPublisher) -> Callable[[str, bytes, bool], object]:
    def send(topic: str, payload: bytes, retain: bool) -> object:
        return publisher.publish(topic, payload, retain=retain)

    return send


def _digest_runner(config: AppConfig, digests: DigestScheduler) -> DigestRunner:
    def run(name: str | None) -> dict[str, Any]:
        chosen = pick_digest(config.digests, name)
        digest = digests.run(chosen)
        return {"name": digest.name, "id": digest.id, "summary": digest.summary}

    return run


def pick_digest(configured: list[DigestConfig], name: str | None) -> DigestConfig:
    from agent.service.commands import CommandError

    if name is None:
        return configured[0] if configured else DigestConfig(name="now", window_hours=24)
    for d in configured:
        if d.name == name:
            return d
    names = ", ".join(d.name for d in configured) or "none configured"
    raise CommandError(f"no digest {name[:100]!r}; digests: {names}")


def _snapshot_hook(config: AppConfig, publisher: MqttPublisher) -> SnapshotHook:
    from agent.adapters.mqtt import topics
    from agent.adapters.snapshot import annotate

    ha = config.home_assistant
    base = config.mqtt.base_topic

    def publish_snapshot(camera: CameraConfig, frame: Frame, detections: Detections) -> None:
        stamp = f"{camera.name}  {datetime.fromtimestamp(frame.timestamp):%Y-%m-%d %H:%M:%S}"
        jpeg = annotate(
            frame.image,
            detections,
            camera.zones,
            max_width=ha.snapshot_max_width,
            quality=ha.snapshot_quality,
            stamp=stamp,
        )
        publisher.publish(topics.snapshot(base, camera.name), jpeg, retain=True)

    return publish_snapshot


def _open_history(config: AppConfig) -> EventHistory | None:
    try:
        return open_history(config.storage)
    except HistoryError as e:  # events still flow to MQTT; only the history is missing
        log.error("event history disabled: %s", e)
        return None


def _start_wording(config: AppConfig, model: LanguageModel, sinks: list[Sink]) -> WordingQueue:
    from agent.llm.summarizer import Summarizer
    from agent.llm.wording import WordingQueue

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


def _flush(publisher: MqttPublisher) -> None:
    if not publisher.wait_until_delivered(timeout=2.0, while_connected=True):
        log.warning(
            "stopping with %d message(s) not yet acknowledged by the broker",
            publisher.stats().pending,
        )
    publisher.close()
