"""Commands: validated, carried out off the MQTT thread, always answered, never fatal."""

from __future__ import annotations

import json
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.cameras import FramesArriving
from support.mqtt_helpers import Mosquitto, Subscriber

from agent.adapters.mqtt import MqttPublisher
from agent.config.schema import MqttConfig
from agent.service.camera_control import CameraControl
from agent.service.commands import (
    MAX_QUESTIONS_QUEUED,
    MAX_QUEUED,
    CommandHandler,
    CommandResult,
    Request,
)

Sent = list[tuple[str, bytes, bool]]


def handler(
    digest_calls: list[str | None] | None = None, controls: dict[str, CameraControl] | None = None
) -> tuple[CommandHandler, Sent]:
    sent: Sent = []
    controls = (
        controls if controls is not None else {n: CameraControl(n) for n in ("barn", "porch")}
    )

    def run_digest(name: str | None) -> dict[str, object]:
        assert digest_calls is not None
        digest_calls.append(name)
        return {"name": name or "daily"}

    h = CommandHandler(
        "eva",
        controls,
        lambda t, p, r: sent.append((t, p, r)),
        run_digest if digest_calls is not None else None,
    )
    return h, sent


def test_pause_and_resume_switch_the_camera_and_its_retained_state() -> None:
    h, sent = handler()
    r = h.handle("pause", b'{"camera": "barn", "correlation_id": "c1"}')
    assert (
        r.ok
        and r.correlation_id == "c1"
        and r.result
        == {
            "camera": "barn",
            "paused": True,
            "changed": True,
        }
    )
    assert sent[-1] == ("eva/barn/paused", b"ON", True)
    assert h.handle("pause", b'{"camera": "barn", "paused": false}').ok
    assert sent[-1] == ("eva/barn/paused", b"OFF", True)
    assert h.handle("pause", b'{"camera": "barn"}').ok
    r = h.handle("resume", b'{"camera": "barn"}')
    assert r.ok and r.result is not None and r.result["paused"] is False
    assert sent[-1] == ("eva/barn/paused", b"OFF", True)


def test_snapshot_and_digest_requests() -> None:
    calls: list[str | None] = []
    controls = {n: CameraControl(n) for n in ("barn", "porch")}
    h, _ = handler(calls, controls)
    with FramesArriving(controls.values()) as camera:
        r = h.handle("snapshot", b'{"camera": "porch"}')
    assert r.ok and r.result == {"camera": "porch", "topic": "eva/porch/snapshot", "paused": False}
    assert camera.snapshots == ["porch"]
    assert h.handle("digest", b"").ok and h.handle("digest", b'{"name": "morning"}').ok
    assert calls == [None, "morning"]


def test_a_snapshot_is_ok_only_once_the_camera_published_it() -> None:
    controls = {"barn": CameraControl("barn")}
    h = CommandHandler("eva", controls, lambda t, p, r: None, snapshot_wait_seconds=0.2)
    barn = controls["barn"]
    r = h.handle("snapshot", b'{"camera": "barn", "correlation_id": "s1"}')
    assert not r.ok and r.correlation_id == "s1"
    assert r.error == "camera barn has not delivered a frame yet; no snapshot"

    barn.frame_arrived()  # frames arrive, but nobody takes the request (a stalled loop)
    r = h.handle("snapshot", b'{"camera": "barn"}')
    assert not r.ok and r.error == "no frame from camera barn within 0.2 s; no snapshot"
    assert barn.take_snapshot_request() is None  # withdrawn: no picture later, unasked

    barn.set_not_running("restarting after a failure: RuntimeError: boom")
    r = h.handle("snapshot", b'{"camera": "barn"}')
    assert not r.ok and r.error is not None and "is not running (restarting" in r.error

    def fail_next_snapshot() -> None:
        while (wanted := barn.take_snapshot_request()) is None:
            barn.frame_arrived()
            time.sleep(0.005)
        wanted.finish("OSError: disk full")

    barn.frame_arrived()
    failing = threading.Thread(target=fail_next_snapshot)
    failing.start()
    r = h.handle("snapshot", b'{"camera": "barn"}')
    failing.join()
    assert not r.ok and r.error == "snapshot of camera barn failed: OSError: disk full"


def test_a_stale_camera_answers_at_once_instead_of_waiting() -> None:
    controls = {"barn": CameraControl("barn")}
    h = CommandHandler("eva", controls, lambda t, p, r: None, snapshot_wait_seconds=0.0)
    controls["barn"].frame_arrived()
    time.sleep(0.01)
    r = h.handle("snapshot", b'{"camera": "barn"}')
    assert not r.ok and r.error is not None and "has sent no frame for" in r.error


@pytest.mark.parametrize(
    ("action", "payload", "error"),
    [
        ("reboot", b"{}", "unknown action 'reboot'"),
        ("pause", b"{}", "camera: Field required"),
        ("pause", b'{"camera": "garage"}', "no camera 'garage'; cameras: barn, porch"),
        ("pause", b'{"camera": "barn", "paused": "maybe"}', "paused"),
        ("pause", b'{"camera": "barn", "rm": "-rf"}', "rm: Extra inputs are not permitted"),
        ("pause", b"[1, 2]", "must be a JSON object"),
        ("pause", b"{not json", "not JSON"),
        ("pause", b"\xff\xfe", "not UTF-8"),
        ("pause", b'{"camera": "' + b"x" * 5000 + b'"}', "too large"),
        ("snapshot", b'{"camera": 7}', "camera"),
        ("digest", b"{}", "need the event history"),
    ],
)
def test_bad_requests_get_a_clear_error(action: str, payload: bytes, error: str) -> None:
    h, _ = handler()
    r = h.handle(action, payload)
    assert not r.ok and r.error is not None and error in r.error
    assert r.result is None


def test_the_correlation_id_comes_back_even_when_the_request_is_invalid() -> None:
    h, _ = handler()
    r = h.handle("pause", b'{"camera": "garage", "correlation_id": "nr-7"}')
    assert not r.ok and r.correlation_id == "nr-7"


@settings(max_examples=300, deadline=None)
@given(
    action=st.one_of(st.sampled_from(["pause", "resume", "snapshot", "digest"]), st.text()),
    payload=st.one_of(
        st.binary(max_size=6000),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
            lambda c: st.lists(c) | st.dictionaries(st.text(), c),
            max_leaves=20,
        ).map(lambda v: json.dumps(v).encode()),
    ),
)
def test_any_payload_gets_an_answer_and_never_raises(action: str, payload: bytes) -> None:
    calls: list[str | None] = []
    h, _ = handler(calls)
    r = h.handle(action, payload)
    assert isinstance(r, CommandResult)
    assert r.ok or r.error
    CommandResult.model_validate_json(r.model_dump_json())  # always a valid payload


@pytest.mark.broker
def test_commands_over_mqtt_are_answered_on_the_result_topic(
    mosquitto: Mosquitto, mqtt_base: str
) -> None:
    cfg = MqttConfig(
        host="127.0.0.1", port=mosquitto.port, base_topic=mqtt_base, client_id=f"eva-{mqtt_base}"
    )
    publisher = MqttPublisher(cfg, "127.0.0.1", mosquitto.port)
    publisher.start()
    controls = {"barn": CameraControl("barn")}
    h = CommandHandler(mqtt_base, controls, lambda t, p, r: publisher.publish(t, p, retain=r))
    h.start()
    publisher.subscribe(f"{mqtt_base}/cmd/+", h.on_message)
    try:
        with Subscriber("127.0.0.1", mosquitto.port, f"{mqtt_base}/#") as sub:
            sub.wait_for(lambda ms: any(m.topic.endswith("/paused") for m in ms))
            sub.publish(f"{mqtt_base}/cmd/pause", b'{"camera": "barn", "correlation_id": "a"}')
            sub.publish(f"{mqtt_base}/cmd/pause", b"\x00\x01garbage")
            sub.publish(f"{mqtt_base}/cmd/explode", b"{}")
            sub.publish(f"{mqtt_base}/cmd/resume", b'{"camera": "barn", "correlation_id": "b"}')
            msgs = sub.wait_for(
                lambda ms: sum(m.topic.endswith("/cmd/result") for m in ms) >= 4, timeout=10
            )
        results = [
            CommandResult.model_validate_json(m.payload)
            for m in msgs
            if m.topic == f"{mqtt_base}/cmd/result"
        ]
        assert [(r.action, r.ok, r.correlation_id) for r in results] == [
            ("pause", True, "a"),
            ("pause", False, None),
            ("explode", False, None),
            ("resume", True, "b"),
        ]
        paused = [m.payload for m in msgs if m.topic == f"{mqtt_base}/barn/paused"]
        # The initial OFF may come twice (retained, and re-sent after the publisher connects).
        assert paused[-2:] == [b"ON", b"OFF"] and paused.count(b"ON") == 1
        assert not controls["barn"].paused
    finally:
        h.stop()
        publisher.close()
    assert threading.active_count() < 50


def test_a_full_queue_is_answered_busy_with_the_correlation_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h, sent = handler()  # not started: nothing takes requests off the queue
    for i in range(MAX_QUEUED + 5):
        h.on_message(
            "eva/cmd/pause", f'{{"correlation_id": "q{i}", "camera": "barn"}}'.encode(), False
        )
    h.on_message("eva/cmd/pause", b'{"correlation_id": "deep", "camera": ' + b"[" * 2000, False)
    busy = [CommandResult.model_validate_json(p) for t, p, _ in sent if t == "eva/cmd/result"]
    assert [r.correlation_id for r in busy] == [
        f"q{i}" for i in range(MAX_QUEUED, MAX_QUEUED + 5)
    ] + ["deep"]
    assert all(r.error == "busy: 64 commands are waiting; try again shortly" for r in busy)
    assert [m for m in caplog.messages if "busy" in m] == [
        "commands: 64 waiting; answering 'busy' until they are done"
    ]  # once per flood, not once per message


class Killed(BaseException):
    """Ends a thread the way nothing in `handle` can: not an Exception."""


def test_a_dead_handler_thread_is_restarted_and_its_death_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, sent = handler()
    handle = h.handle

    def die_once(action: str, payload: bytes) -> CommandResult:
        monkeypatch.setattr(h, "handle", handle)
        raise Killed

    monkeypatch.setattr(h, "handle", die_once)
    h.start()
    try:
        h.on_message("eva/cmd/pause", b'{"camera": "barn", "correlation_id": "lost"}', False)
        deadline = time.monotonic() + 5
        while h.restarts == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert h.running  # a new thread took over at once
        h.on_message("eva/cmd/pause", b'{"camera": "barn", "correlation_id": "again"}', False)
        deadline = time.monotonic() + 5
        while not any(t == "eva/cmd/result" for t, _, _ in sent) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        h.stop()
    answers = [CommandResult.model_validate_json(p) for t, p, _ in sent if t == "eva/cmd/result"]
    assert [(r.correlation_id, r.ok) for r in answers] == [("again", True)]
    assert h.restarts == 1
    logged = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "agent.service.commands"
    ]
    assert ("CRITICAL", "command handler stopped unexpectedly: Killed") in logged
    assert ("ERROR", "command handler restarted (restart 1)") in logged


class NoteRequest(Request):
    text: str


def test_an_added_action_gets_the_same_limits_and_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h, _ = handler()
    notes: list[str] = []

    def note(request: NoteRequest) -> dict[str, object]:
        if request.text == "divide":
            return {"x": 1 / 0}  # a bug in an action
        notes.append(request.text)
        return {"notes": len(notes)}

    h.add_action("note", NoteRequest, note)
    r = h.handle("note", b'{"text": "hello", "correlation_id": "n1"}')
    assert r.ok and r.correlation_id == "n1" and r.result == {"notes": 1}
    r = h.handle("note", b'{"text": 5, "correlation_id": "n2"}')
    assert (
        not r.ok
        and r.correlation_id == "n2"
        and "text: Input should be a valid string" in (r.error or "")
    )
    r = h.handle("note", b'{"correlation_id": "n3", "text": ' + b"[" * 10_000)
    assert not r.ok and r.correlation_id == "n3" and "too large" in (r.error or "")
    r = h.handle("note", b'{"text": "divide", "correlation_id": "n4"}')
    assert not r.ok and r.correlation_id == "n4" and r.error == "internal error: ZeroDivisionError"
    assert "command note failed (a bug): ZeroDivisionError: division by zero" in caplog.messages
    assert "note" in (h.handle("nope", b"{}").error or "")  # listed among the actions
    for taken in ("note", "pause", "result", "", "a/b"):
        with pytest.raises(ValueError, match="cannot add command action"):
            h.add_action(taken, NoteRequest, note)


def test_oversized_payloads_are_answered_at_once_and_never_queued() -> None:
    h, sent = handler()  # not started: a queued request would get no answer here
    for i in range(MAX_QUEUED + 10):
        payload = b'{"correlation_id": "big%03d", "camera": "' % i + b"x" * 100_000 + b'"}'
        h.on_message("eva/cmd/pause", payload, False)
    answers = [CommandResult.model_validate_json(p) for t, p, _ in sent if t == "eva/cmd/result"]
    assert [r.correlation_id for r in answers] == [f"big{i:03d}" for i in range(MAX_QUEUED + 10)]
    assert all(r.error == "payload too large (100042 bytes, at most 4096)" for r in answers)


class QuestionRequest(Request):
    question: str


def _results(sent: Sent) -> list[CommandResult]:
    return [CommandResult.model_validate_json(p) for t, p, _ in sent if t == "eva/cmd/result"]


def test_a_slow_question_never_holds_pause_resume_or_snapshot() -> None:
    h, sent = handler()
    release = threading.Event()
    started = threading.Event()

    def slow(request: QuestionRequest) -> dict[str, object]:
        started.set()
        release.wait(10)  # a model reading the question
        return {"text": request.question}

    h.add_action("ask", QuestionRequest, slow, lane="questions")
    h.start()
    try:
        h.on_message("eva/cmd/ask", b'{"question": "slow?", "correlation_id": "q"}', False)
        assert started.wait(5)
        h.on_message("eva/cmd/pause", b'{"camera": "barn", "correlation_id": "p"}', False)
        deadline = time.monotonic() + 5
        while not _results(sent) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [r.correlation_id for r in _results(sent)] == ["p"]  # the question still runs
        release.set()
        deadline = time.monotonic() + 5
        while len(_results(sent)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [r.correlation_id for r in _results(sent)] == ["p", "q"]
    finally:
        release.set()
        h.stop()


def test_questions_have_a_bounded_queue_of_their_own() -> None:
    h, sent = handler()  # not started: nothing takes requests off the queues
    h.add_action("ask", QuestionRequest, lambda r: {}, lane="questions")
    for i in range(MAX_QUESTIONS_QUEUED + 2):
        h.on_message(
            "eva/cmd/ask", f'{{"question": "?", "correlation_id": "q{i}"}}'.encode(), False
        )
    h.on_message("eva/cmd/pause", b'{"camera": "barn", "correlation_id": "p"}', False)
    busy = _results(sent)
    assert [r.correlation_id for r in busy] == [
        f"q{MAX_QUESTIONS_QUEUED}",
        f"q{MAX_QUESTIONS_QUEUED + 1}",
    ]
    assert busy[0].error == f"busy: {MAX_QUESTIONS_QUEUED} questions are waiting; try again shortly"
