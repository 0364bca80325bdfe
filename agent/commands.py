"""Commands over MQTT: `<base>/cmd/<action>` with a JSON payload; every request gets a result
or an error on `<base>/cmd/result`, and nothing a sender writes can stop the agent."""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from agent.control import CameraControl
from agent.mqtt import topics

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 4096
MAX_QUEUED = 64
Action = Literal["ask", "digest", "pause", "resume", "snapshot"]
ACTIONS: tuple[Action, ...] = ("ask", "digest", "pause", "resume", "snapshot")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=200)

    correlation_id: str | None = Field(
        None, max_length=100, description="Echoed in the result, to match it to the request."
    )


class DigestRequest(_Request):
    """`digest`: publish a digest now."""

    name: str | None = Field(
        None, description="A configured digest's name; empty = the first one, or the last 24 h."
    )


class CameraRequest(_Request):
    """`snapshot` and `resume`: one camera."""

    camera: str = Field(description="The camera's name from the configuration.")


class PauseRequest(CameraRequest):
    """`pause`: stop analysing a camera's frames (or resume with paused=false)."""

    paused: bool = Field(True, description="true pauses, false resumes.")


class AskRequest(_Request):
    """`ask`: a question about what the cameras saw; the answer comes from the history."""

    model_config = ConfigDict(extra="forbid", str_max_length=MAX_PAYLOAD_BYTES)

    question: str = Field(description="The question, in English or Ukrainian.")


_REQUESTS: dict[Action, type[_Request]] = {
    "ask": AskRequest,
    "digest": DigestRequest,
    "pause": PauseRequest,
    "resume": CameraRequest,
    "snapshot": CameraRequest,
}


class CommandResult(BaseModel):
    """The answer to one command, on <base>/cmd/result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(1, description="Version of this schema.")
    action: str = Field(description="The action requested (as received, at most 100 chars).")
    correlation_id: str | None = Field(description="The request's correlation_id, if it had one.")
    ok: bool = Field(description="Whether the command was carried out.")
    error: str | None = Field(None, description="Why not, when ok is false.")
    result: dict[str, Any] | None = Field(None, description="What the command produced.")
    at: AwareDatetime = Field(description="When the agent answered (ISO 8601).")


class CommandError(Exception):
    """A request that cannot be carried out; the message goes back to the sender."""


DigestRunner = Callable[[str | None], dict[str, Any]]
AskRunner = Callable[[str], dict[str, Any]]


class CommandHandler:
    """Validates and carries out commands on its own thread (never on MQTT's)."""

    def __init__(
        self,
        base_topic: str,
        controls: dict[str, CameraControl],
        publish: Callable[[str, bytes, bool], object],
        run_digest: DigestRunner | None = None,
        ask: AskRunner | None = None,
    ) -> None:
        self._base = base_topic
        self._controls = controls
        self._publish = publish
        self._run_digest = run_digest
        self._ask = ask
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(MAX_QUEUED)
        self._thread = threading.Thread(target=self._run, name="commands", daemon=True)
        self._prefix = topics.command(base_topic, "")

    def start(self) -> None:
        self._thread.start()
        for camera in self._controls.values():
            self._publish_paused(camera)

    def stop(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=5)
        self._thread.join(timeout=5)

    def on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        """MQTT handler for `<base>/cmd/+`: queue the request, never block."""
        action = topic.removeprefix(self._prefix)
        if action == "result" or retained:
            return  # our own answers; a stale retained command must not run again
        try:
            self._queue.put_nowait((action, payload))
        except queue.Full:
            self._answer(self._result(action, None, error="too many commands at once; try again"))

    def handle(self, action: str, payload: bytes) -> CommandResult:
        """Carry out one request and say how it went; never raises."""
        correlation_id: str | None = None
        try:
            request = self._parse(action, payload)
            correlation_id = request.correlation_id
            result = self._execute(action, request)
            return self._result(action, correlation_id, result=result)
        except CommandError as e:
            correlation_id = correlation_id or _peek_correlation_id(payload)
            return self._result(action, correlation_id, error=str(e))
        except Exception as e:  # a bug must not take the agent down
            log.exception("command %s failed", action[:100])
            return self._result(action, correlation_id, error=f"internal error: {e}")

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            action, payload = item
            result = self.handle(action, payload)
            level = logging.INFO if result.ok else logging.WARNING
            log.log(level, "command %s: %s", result.action, "ok" if result.ok else result.error)
            self._answer(result)

    def _parse(self, action: str, payload: bytes) -> _Request:
        if action not in _REQUESTS:
            raise CommandError(f"unknown action {action[:100]!r}; use one of {', '.join(ACTIONS)}")
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise CommandError(f"payload too large ({len(payload)} bytes, at most 4096)")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CommandError("payload is not UTF-8 text") from e
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError as e:
            raise CommandError(f"payload is not JSON: {e}") from e
        if not isinstance(data, dict):
            raise CommandError('payload must be a JSON object, e.g. {"camera": "barn"}')
        try:
            return _REQUESTS[action].model_validate(data)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'payload'}: {err['msg']}"
                for err in e.errors()
            )
            raise CommandError(f"invalid {action} request: {problems}") from e

    def _execute(self, action: str, request: _Request) -> dict[str, Any]:
        if isinstance(request, AskRequest):  # read-only: answering never runs a command
            if self._ask is None:
                raise CommandError("questions need the event history, which is not available")
            return self._ask(request.question)
        if isinstance(request, DigestRequest):
            if self._run_digest is None:
                raise CommandError("digests need the event history, which is not available")
            return self._run_digest(request.name)
        assert isinstance(request, CameraRequest)
        control = self._controls.get(request.camera)
        if control is None:
            names = ", ".join(sorted(self._controls))
            raise CommandError(f"no camera {request.camera[:100]!r}; cameras: {names}")
        if action == "snapshot":
            control.request_snapshot()
            return {"camera": control.camera, "topic": topics.snapshot(self._base, control.camera)}
        paused = request.paused if isinstance(request, PauseRequest) else False
        changed = control.set_paused(paused)
        self._publish_paused(control)
        if changed:
            log.info("camera %s %s", control.camera, "paused" if paused else "resumed")
        return {"camera": control.camera, "paused": paused, "changed": changed}

    def _publish_paused(self, control: CameraControl) -> None:
        state = b"ON" if control.paused else b"OFF"
        self._publish(topics.paused(self._base, control.camera), state, True)

    def _result(
        self,
        action: str,
        correlation_id: str | None,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> CommandResult:
        return CommandResult(
            action=action[:100],
            correlation_id=correlation_id,
            ok=error is None,
            error=error,
            result=result,
            at=datetime.now(UTC),
        )

    def _answer(self, result: CommandResult) -> None:
        try:
            self._publish(
                topics.command_result(self._base), result.model_dump_json().encode(), False
            )
        except Exception:
            log.exception("cannot publish the result of command %s", result.action)


def _peek_correlation_id(payload: bytes) -> str | None:
    """The correlation id of a request that failed validation, when one can be read."""
    try:
        data = json.loads(payload[:MAX_PAYLOAD_BYTES].decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    value = data.get("correlation_id") if isinstance(data, dict) else None
    return value[:100] if isinstance(value, str) else None
