"""Hostile and careless command payloads against the real agent on a real Mosquitto.

Every message gets at most one answer on <base>/cmd/result, echoing its correlation_id when
it can be read safely; afterwards the agent is still online, still producing events and still
answering commands. No thread may die (pyproject's filterwarnings fails the test if one does).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.mqtt_helpers import Mosquitto, Received, Subscriber

from agent.cli.demo import demo_config
from agent.config.schema import AppConfig, StorageConfig, TemplateLlmConfig
from agent.service.app import run_agent
from agent.service.camera_worker import CameraWorker
from agent.service.commands import MAX_NESTING, CommandResult
from pipelines.sources.demo_scene_source import DemoSourceConfig

pytestmark = pytest.mark.broker

CAMERA = "demo"


@dataclass(frozen=True)
class Case:
    """One message: the topic's last level, the payload, and the answer it must get."""

    action: str
    payload: bytes
    ok: bool | None  # None: no answer at all
    correlation_id: str | None = None
    error: str = ""  # a part of the error message

    @property
    def answered(self) -> bool:
        return self.ok is not None


def req(cid: str, body: str) -> bytes:
    """A JSON object with this correlation_id first, then `body`."""
    return ('{"correlation_id": "' + cid + '", ' + body + "}").encode()


NESTED = b"[" * 100_000
LONG_ID = "i" * 500

CORPUS: list[Case] = [
    # Every action done right, including a snapshot while paused.
    Case("pause", req("c01", f'"camera": "{CAMERA}"'), True, "c01"),
    Case("snapshot", req("c02", f'"camera": "{CAMERA}"'), True, "c02"),
    Case("resume", req("c03", f'"camera": "{CAMERA}"'), True, "c03"),
    Case("snapshot", req("c04", f'"camera": "{CAMERA}"'), True, "c04"),
    Case("digest", req("c05", '"name": null'), True, "c05"),
    Case("pause", req("c06", f'"camera": "{CAMERA}", "paused": false'), True, "c06"),
    # Deep nesting: 100k levels, and deep but small.
    Case("pause", b'{"correlation_id": "c07", "camera": ' + NESTED, False, "c07", "too large"),
    Case("pause", NESTED, False, None, "too large"),
    Case("snapshot", NESTED + b"]" * 100_000, False, None, "too large"),
    Case(
        "pause",
        b'{"correlation_id": "c10", "camera": ' + b"[" * 1500 + b"]" * 1500 + b"}",
        False,
        "c10",
        "nested too deeply",
    ),
    Case("resume", b"[" * 1000 + b"]" * 1000, False, None, "nested too deeply"),
    Case(
        "digest",
        b'{"correlation_id": "c12", "name": ' + b'{"a": ' * (MAX_NESTING + 1) + b"1",
        False,
        "c12",
        "nested too deeply",
    ),
    # Unknown actions with odd payloads.
    Case("explode", b'{"correlation_id": "c13", "x": ' + NESTED, False, "c13", "unknown action"),
    Case("explode", req("c14", '"camera": "demo"'), False, "c14", "unknown action 'explode'"),
    Case("reboot", b"\xff\x00\xfe", False, None, "unknown action 'reboot'"),
    Case("", req("c16", '"camera": "demo"'), False, "c16", "unknown action ''"),
    Case("пауза", req("c17", '"camera": "demo"'), False, "c17", "unknown action 'пауза'"),
    Case("a" * 10_000, req("c18", ""), False, "c18", "unknown action 'aaaa"),
    Case("Pause", req("c19", '"camera": "demo"'), False, "c19", "unknown action 'Pause'"),
    # Oversized payloads.
    Case(
        "pause",
        req("c20", '"camera": "' + "x" * 1_000_000 + '"'),
        False,
        "c20",
        "too large (1000",
    ),
    Case("snapshot", b'{"pad": "' + b"x" * 5000 + b'", "correlation_id": "c21"}', False, None),
    Case("digest", b" " * 4097, False, None, "too large"),
    # Not UTF-8, NUL, not JSON, not an object.
    Case("pause", b"\xff\xfe\xfd", False, None, "not UTF-8"),
    Case("pause", b'{"correlation_id": "c24", "camera": "\xff"}', False, "c24", "not UTF-8"),
    Case("pause", b"\x00\x00\x00", False, None, "not JSON"),
    Case("pause", b'{"correlation_id": "c26", "camera": "de\x00mo"}', False, "c26", "not JSON"),
    Case("pause", req("c27", '"camera": "de\\u0000mo"'), False, "c27", "no camera 'de\\x00mo'"),
    Case("pause", b"\xef\xbb\xbf" + req("c28", '"camera": "demo"'), False, None, "not JSON"),
    Case("pause", b"{not json", False, None, "not JSON"),
    Case("pause", b"[1, 2]", False, None, "must be a JSON object"),
    Case("pause", b'"demo"', False, None, "must be a JSON object"),
    Case("pause", b"42", False, None, "must be a JSON object"),
    Case("pause", b"null", False, None, "must be a JSON object"),
    Case("snapshot", b"true", False, None, "must be a JSON object"),
    Case("pause", b"", False, None, "camera: Field required"),
    Case("resume", b" \n\t ", False, None, "camera: Field required"),
    # Numbers: huge, NaN, infinite, where text or a boolean belongs.
    Case("pause", req("c37", '"camera": "demo", "paused": 1e999'), False, "c37", "paused"),
    Case("pause", req("c38", '"camera": "demo", "paused": ' + "9" * 4000), False, "c38", "paused"),
    Case("pause", req("c39", '"camera": "demo", "paused": NaN'), False, "c39", "paused"),
    Case("snapshot", req("c40", '"camera": Infinity'), False, "c40", "camera"),
    Case("digest", req("c41", '"name": -1e400'), False, "c41", "name"),
    # Wrong types and shapes.
    Case("snapshot", req("c42", '"camera": 7'), False, "c42", "camera: Input should be"),
    Case("pause", req("c43", '"camera": "demo", "paused": "yes"'), False, "c43", "paused"),
    Case("pause", req("c44", '"camera": "demo", "paused": 1'), False, "c44", "paused"),
    Case("snapshot", req("c45", '"camera": {"a": {"b": [1]}}'), False, "c45", "camera"),
    Case("digest", req("c46", '"name": ["daily"]'), False, "c46", "name"),
    Case("pause", b'{"camera": "demo", "correlation_id": 123}', False, None, "correlation_id"),
    Case(
        "resume",
        req(LONG_ID, '"camera": "demo"'),
        False,
        LONG_ID[:100],
        "correlation_id: String should have at most 100",
    ),
    Case(
        "resume",
        b'{"camera": "demo", "correlation_id": "\\ud800"}',
        False,
        None,
        "correlation_id: Input should be a valid string",
    ),
    Case("pause", req("c50", '"camera": "demo", "rm": "-rf"'), False, "c50", "rm: Extra inputs"),
    Case(
        "pause",
        req("c51", ", ".join(f'"k{i}": {i}' for i in range(250))),
        False,
        "c51",
        "more",
    ),
    Case("pause", req("c52", '"' + "k" * 3000 + '": 1, "camera": "demo"'), False, "c52", "kkkk"),
    Case("resume", req("c53", '"camera": "nope", "camera": "demo"'), True, "c53"),
    Case("snapshot", req("c54", '"camera": "garage"'), False, "c54", "no camera 'garage'"),
    Case("pause", req("c55", '"camera": "' + "c" * 300 + '"'), False, "c55", "at most 200"),
    Case("digest", req("c56", '"name": "weekly"'), False, "c56", "no digest 'weekly'"),
    Case("digest", b"[]", False, None, "must be a JSON object"),
    # Our own answers' topic is never obeyed and never answered.
    Case("result", req("c58", '"camera": "demo"'), None),
]


@pytest.fixture
def agent(mosquitto: Mosquitto, mqtt_base: str, tmp_path: Path) -> Iterator[AppConfig]:
    """The whole agent: the demo scene looping through the real detector, history, MQTT."""
    config = demo_config(realtime=True)
    camera = config.cameras[0].model_copy(
        update={"source": DemoSourceConfig(realtime=True, loop=True)}
    )
    mqtt = config.mqtt.model_copy(
        update={
            "host": "127.0.0.1",
            "port": mosquitto.port,
            "base_topic": mqtt_base,
            "client_id": f"eva-{mqtt_base}",
        }
    )
    config = config.model_copy(
        update={
            "mqtt": mqtt,
            "llm": TemplateLlmConfig(type="template"),
            "storage": StorageConfig(path=str(tmp_path)),
            "cameras": [camera],
        }
    )
    stop = threading.Event()
    workers: list[CameraWorker] = []
    runner = threading.Thread(
        target=lambda: workers.extend(run_agent(config, stop)), name="agent", daemon=True
    )
    runner.start()
    try:
        yield config
    finally:
        stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()
    assert [w.error for w in workers] == [None]


#: What the corpus itself sends to <base>/cmd/result: not an answer of the agent's.
SENT_AS_RESULTS = {case.payload for case in CORPUS if case.action == "result"}


def results(messages: list[Received], base: str) -> list[CommandResult]:
    return [
        CommandResult.model_validate_json(m.payload)
        for m in messages
        if m.topic == f"{base}/cmd/result" and m.payload not in SENT_AS_RESULTS
    ]


def test_no_command_payload_stops_the_agent(
    agent: AppConfig, mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    assert len(CORPUS) >= 40
    base = agent.mqtt.base_topic
    events_topic = f"{base}/{CAMERA}/events"
    caplog.set_level(logging.INFO, logger="agent")
    with Subscriber("127.0.0.1", mosquitto.port, f"{base}/#") as sub:
        sub.wait_for_payload(f"{base}/{CAMERA}/status", b"online", timeout=60)

        for n, case in enumerate(CORPUS):
            answered_before = len(results(sub.messages, base))
            snapshots_before = len(sub.on(f"{base}/{CAMERA}/snapshot"))
            sub.publish(f"{base}/cmd/{case.action}", case.payload)
            if not case.answered:  # a normal command next; its answer must be the next one
                sub.publish(f"{base}/cmd/resume", b'{"camera": "demo", "correlation_id": "next"}')
            msgs = sub.wait_for(
                lambda ms, k=answered_before: len(results(ms, base)) > k, timeout=20
            )
            answer = results(msgs, base)[answered_before]
            where = f"case {n} ({case.action[:20]!r}, {case.payload[:60]!r}): {answer}"
            if not case.answered:
                assert answer.correlation_id == "next" and answer.ok, where
                continue
            assert answer.ok is case.ok, where
            assert answer.correlation_id == case.correlation_id, where
            assert answer.action == case.action[:100], where
            assert case.error in (answer.error or ""), where
            assert len(answer.error or "") < 600, where  # nothing huge quoted back
            if case.action == "snapshot" and case.ok:  # ok means a picture was sent
                sub.wait_for(
                    lambda ms, k=snapshots_before: (
                        sum(m.topic == f"{base}/{CAMERA}/snapshot" for m in ms) > k
                    ),
                    timeout=10,
                )
                assert answer.result is not None
                assert answer.result["paused"] is (case.correlation_id == "c02")

        # A flood, sent without waiting: each message gets one answer, carried out or busy.
        # The snapshots first keep the handler waiting for frames (2 a second) meanwhile.
        answered_before = len(results(sub.messages, base))
        flood = [f"f{i}" for i in range(300)]
        for i, cid in enumerate(flood):
            action = "snapshot" if i < 4 else "pause" if i % 2 == 0 else "resume"
            payload = req(cid, f'"camera": "{CAMERA}"')
            sub.publish(f"{base}/cmd/{action}", payload, wait=False)
        msgs = sub.wait_for(
            lambda ms: len(results(ms, base)) >= answered_before + len(flood), timeout=60
        )
        flood_answers = results(msgs, base)[answered_before:]
        assert sorted(r.correlation_id or "" for r in flood_answers) == sorted(flood)
        busy = [r for r in flood_answers if r.error and r.error.startswith("busy: 64 commands")]
        assert busy and all(r.ok for r in flood_answers if r not in busy)

        # Still answering, still online, still producing events.
        sub.publish(f"{base}/cmd/resume", b'{"camera": "demo", "correlation_id": "after"}')
        msgs = sub.wait_for(
            lambda ms: any(r.correlation_id == "after" for r in results(ms, base)), timeout=20
        )
        after = next(r for r in results(msgs, base) if r.correlation_id == "after")
        assert after.ok and after.result is not None and after.result["paused"] is False
        events_before = len(sub.on(events_topic))
        sub.wait_for(lambda ms: sum(m.topic == events_topic for m in ms) > events_before, 60)
        assert sub.on(f"{base}/status")[-1].payload == b"online"
        assert sub.on(f"{base}/{CAMERA}/status")[-1].payload == b"online"
        answers = results(sub.messages, base)
        alive = {t.name for t in threading.enumerate()}
        assert {"commands", f"camera-{CAMERA}"} <= alive

    ids = [r.correlation_id for r in answers if r.correlation_id is not None]
    repeated = {i for i in ids if ids.count(i) > 1} - {"next"}
    assert not repeated, f"answered more than once: {sorted(repeated)[:10]}"
    died = [r for r in caplog.records if "command handler" in r.getMessage()]
    assert not died, [r.getMessage() for r in died]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]  # a bug says so here
    assert not errors, [r.getMessage() for r in errors]
