"""Commands over MQTT: `<base>/cmd/<action>` with a JSON payload; every request gets at most
one result or error on `<base>/cmd/result`, and nothing a sender writes can stop the agent.

Each action is a row of one table: a request model and the function that carries it out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from agent.adapters.mqtt import topics
from agent.adapters.mqtt.fleet import Owner
from agent.adapters.mqtt.json_guard import nesting_exceeds, peek_string
from agent.service.camera_control import CameraControl
from eva_errors import EvaError

log = logging.getLogger(__name__)

#: Larger requests are refused unread; real ones are well under 1 KiB.
MAX_PAYLOAD_BYTES = 4096
#: Deeper JSON is refused before parsing (requests are flat objects).
MAX_NESTING = 8
#: Requests waiting for the handler; more at once are answered "busy" at once.
MAX_QUEUED = 64
#: Questions waiting for their own worker (a model may take seconds over each one), so that
#: pause, resume and snapshot never wait behind a question; more are answered "busy".
MAX_QUESTIONS_QUEUED = 8
Lane = Literal["commands", "questions"]
#: How long a snapshot request waits for the camera's next frame.
SNAPSHOT_WAIT_SECONDS = 5.0
#: Error details quoted back to the sender, at most.
_MAX_PROBLEMS = 3
_MAX_NAME = 100

#: Every action the agent obeys: the built-in ones, and `ask` (agent/ask/build.py).
ACTIONS: tuple[str, ...] = (
    "ask",
    "digest",
    "pause",
    "resume",
    "snapshot",
    "watches",
    "unwatch",
)


class Request(BaseModel):
    """Fields every request may carry; each action's request model derives from it."""

    # strict: JSON `1` is not `true`, and `"7"` is not a number.
    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=200)

    correlation_id: str | None = Field(
        None, max_length=_MAX_NAME, description="Echoed in the result, to match it to the request."
    )


class DigestRequest(Request):
    """`digest`: publish a digest now."""

    name: str | None = Field(
        None, description="A configured digest's name; empty = the first one, or the last 24 h."
    )


class CameraRequest(Request):
    """`snapshot` and `resume`: one camera."""

    camera: str = Field(description="The camera's name from the configuration.")


class PauseRequest(CameraRequest):
    """`pause`: stop analysing a camera's frames (or resume with paused=false)."""

    paused: bool = Field(True, description="true pauses, false resumes.")


class CommandResult(BaseModel):
    """The answer to one command, on <base>/cmd/result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[2] = Field(
        2, description="Version of this schema; 2 added `agent` (several agents on one broker)."
    )
    agent: str | None = Field(
        None, description="Id of the agent (or hub) that answered; empty from a bare handler."
    )
    action: str = Field(description="The action requested (as received, at most 100 chars).")
    correlation_id: str | None = Field(description="The request's correlation_id, if it had one.")
    ok: bool = Field(description="Whether the command was carried out.")
    error: str | None = Field(None, description="Why not, when ok is false.")
    result: dict[str, Any] | None = Field(None, description="What the command produced.")
    at: AwareDatetime = Field(description="When the agent answered (ISO 8601).")


class CommandError(EvaError):
    """A request that cannot be carried out; the message goes back to the sender."""


R = TypeVar("R", bound=Request)


@dataclass(frozen=True)
class Action(Generic[R]):
    """One command: the request it accepts and what carries it out.

    `run` gets the validated request and returns the result's `result` object; it raises
    CommandError with a message for the sender when it cannot do what was asked. It runs on
    the thread of its lane, so a slow action delays the ones queued behind it in that lane
    only: questions have a lane of their own.
    """

    request: type[R]
    run: Callable[[R], dict[str, Any]]
    lane: Lane = "commands"


class _Worker:
    """One thread and its bounded queue: the requests of one lane, in order. Should the
    thread die, the death is logged and a new thread takes over."""

    def __init__(
        self, lane: Lane, size: int, title: str, work: Callable[[tuple[str, bytes]], None]
    ) -> None:
        self.lane = lane
        self.size = size
        self.title = title  # 'command handler', 'question worker': for the logs
        self.queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(size)
        self.busy = False  # the queue was full at the last message (paho's thread only)
        self.restarts = 0
        self._work = work
        self._lock = threading.Lock()  # guards thread, stopping, restarts
        self._stopping = False
        self.thread = self._new_thread()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            thread = self.thread
        with contextlib.suppress(queue.Full):
            self.queue.put(None, timeout=5)
        if thread.ident is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        with self._lock:
            return self.thread.is_alive()

    def keep_running(self) -> None:
        """Restart the thread if it died (called for every incoming message)."""
        thread = self.thread
        if thread.ident is not None and not thread.is_alive():  # started once, and gone
            self._replace(thread)

    def _new_thread(self) -> threading.Thread:
        return threading.Thread(target=self._serve, name=self.lane, daemon=True)

    def _serve(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                self._work(item)
        except BaseException as e:
            log.critical("%s stopped unexpectedly: %s", self.title, type(e).__name__)
            log.debug("traceback of that failure", exc_info=e)
            self._replace(threading.current_thread())

    def _replace(self, dead: threading.Thread) -> None:
        with self._lock:
            if self._stopping or self.thread is not dead:
                return  # stopping, or already replaced
            self.restarts += 1
            self.thread = self._new_thread()
            self.thread.start()
        log.error("%s restarted (restart %d)", self.title, self.restarts)


DigestRunner = Callable[[str | None], dict[str, Any]]


class Router(Protocol):
    """Who in the fleet answers a request (agent.adapters.mqtt.fleet.FleetView)."""

    def owner(self, camera: str) -> Owner: ...

    def answers_for_fleet(self) -> bool: ...

    def fleet_cameras(self) -> list[str]: ...


class CommandHandler:
    """Validates and carries out commands on its own thread (never on MQTT's), and restarts
    that thread should it ever die."""

    def __init__(
        self,
        base_topic: str,
        controls: dict[str, CameraControl],
        publish: Callable[[str, bytes, bool], object],
        run_digest: DigestRunner | None = None,
        snapshot_wait_seconds: float = SNAPSHOT_WAIT_SECONDS,
        router: Router | None = None,
        agent_id: str | None = None,
        builtins: bool = True,
    ) -> None:
        self._base = base_topic
        self._router = router
        self._agent_id = agent_id
        self._controls = controls
        self._publish = publish
        self._run_digest = run_digest
        self._snapshot_wait = snapshot_wait_seconds
        self._prefix = topics.command(base_topic, "")
        self._workers: dict[Lane, _Worker] = {
            "commands": _Worker("commands", MAX_QUEUED, "command handler", self._carry_out),
            "questions": _Worker(
                "questions", MAX_QUESTIONS_QUEUED, "question worker", self._carry_out
            ),
        }
        self._actions: dict[str, Action[Any]] = {}
        if not builtins:  # a handler for one agent's own topics: only the actions added
            return
        self.add_action("digest", DigestRequest, self._digest)
        self.add_action("pause", PauseRequest, self._pause)
        self.add_action("resume", CameraRequest, self._resume)
        self.add_action("snapshot", CameraRequest, self._snapshot)

    def add_action(
        self,
        name: str,
        request: type[R],
        run: Callable[[R], dict[str, Any]],
        lane: Lane = "commands",
    ) -> None:
        """Accept `<base>/cmd/<name>` with payloads of `request` (a Request subclass), carried
        out by `run` on the worker of `lane`; call before start(). Limits, parsing,
        correlation ids and answers are the handler's: `run` only does the work (or raises
        CommandError saying why not)."""
        if name in self._actions or name == "result" or not name or "/" in name:
            raise ValueError(f"cannot add command action {name!r}")
        self._actions[name] = Action(request, run, lane)

    def start(self) -> None:
        for worker in self._workers.values():
            worker.start()
        for camera in self._controls.values():
            self._publish_paused(camera)

    def stop(self) -> None:
        for worker in self._workers.values():
            worker.stop()

    @property
    def running(self) -> bool:
        """Whether the handler's threads are alive."""
        return all(w.running for w in self._workers.values())

    @property
    def restarts(self) -> int:
        return sum(w.restarts for w in self._workers.values())

    def on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        """MQTT handler for `<base>/cmd/+`: queue the request, never block, never raise."""
        action = topic.removeprefix(self._prefix)
        if action == "result" or retained:
            return  # our own answers; a stale retained command must not run again
        if len(payload) > MAX_PAYLOAD_BYTES:  # refused at once, cheaply: never held in the queue
            if self._answers(action, payload):
                self._answer(self.handle(action, payload))
            return
        spec = self._actions.get(action)
        worker = self._workers[spec.lane if spec is not None else "commands"]
        try:
            worker.keep_running()
            worker.queue.put_nowait((action, payload))
            worker.busy = False
        except queue.Full:
            if not worker.busy:  # once per flood
                worker.busy = True
                log.warning(
                    "%s: %d waiting; answering 'busy' until they are done",
                    worker.lane,
                    worker.size,
                )
            busy = f"busy: {worker.size} {worker.lane} are waiting; try again shortly"
            if self._answers(action, payload):
                self._answer(self._result(action, _peek_correlation_id(payload), error=busy))
        except Exception as e:  # e.g. no thread can be started: answer, stay up
            log.error("command %s not queued: %s: %s", action[:_MAX_NAME], type(e).__name__, e)
            error = f"internal error: {type(e).__name__}"
            self._answer(self._result(action, _peek_correlation_id(payload), error=error))

    def handle(self, action: str, payload: bytes) -> CommandResult:
        """Carry out one request and say how it went; never raises."""
        try:
            return self._handle(action, payload)
        except Exception as e:  # a bug must not take the handler down
            log.error("command %s failed (a bug): %s: %s", action[:_MAX_NAME], type(e).__name__, e)
            log.debug("traceback of that failure", exc_info=e)
            error = f"internal error: {type(e).__name__}"
            return self._result(action, _peek_correlation_id(payload), error=error)

    def _handle(self, action: str, payload: bytes) -> CommandResult:
        try:
            spec, data = self._decode(action, payload)
        except CommandError as e:
            return self._result(action, _peek_correlation_id(payload), error=str(e))
        correlation_id = _trimmed(data.get("correlation_id"))
        try:
            request = spec.request.model_validate(data)
        except ValidationError as e:
            return self._result(action, correlation_id, error=_problems(action, e))
        except RecursionError:
            return self._result(action, correlation_id, error="payload is nested too deeply")
        try:
            result = spec.run(request)
        except CommandError as e:
            return self._result(action, correlation_id, error=str(e))
        return self._result(action, correlation_id, result=result)

    def _decode(self, action: str, payload: bytes) -> tuple[Action[Any], dict[str, Any]]:
        """The action and its payload as a JSON object; bounded in size and depth before
        anything parses it."""
        spec = self._actions.get(action)
        if spec is None:
            known = ", ".join(self._actions)
            raise CommandError(f"unknown action {action[:_MAX_NAME]!r}; use one of {known}")
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise CommandError(
                f"payload too large ({len(payload)} bytes, at most {MAX_PAYLOAD_BYTES})"
            )
        if nesting_exceeds(payload, MAX_NESTING):
            raise CommandError(f"payload is nested too deeply (at most {MAX_NESTING} levels)")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CommandError("payload is not UTF-8 text") from e
        try:
            data = json.loads(text) if text.strip() else {}
        except RecursionError as e:  # the depth check should make this unreachable
            raise CommandError("payload is nested too deeply") from e
        except ValueError as e:
            raise CommandError(f"payload is not JSON: {e}") from e
        if not isinstance(data, dict):
            raise CommandError('payload must be a JSON object, e.g. {"camera": "barn"}')
        return spec, data

    def _carry_out(self, item: tuple[str, bytes]) -> None:
        action, payload = item
        if not self._answers(action, payload):
            log.debug("command %s: left to the agent that owns it", action[:_MAX_NAME])
            return
        result = self.handle(action, payload)
        level = logging.INFO if result.ok else logging.WARNING
        log.log(level, "command %s: %s", result.action, "ok" if result.ok else result.error)
        self._answer(result)

    def _answers(self, action: str, payload: bytes) -> bool:
        """Whether this agent answers the request, so that a fleet answers it once: a camera's
        own agent answers for it; the fleet's answerer (the hub, else the online agent with
        the smallest id) answers everything else, unknown cameras included."""
        if self._router is None:
            return True
        camera = None
        if action in self._actions:
            with contextlib.suppress(CommandError):
                _, data = self._decode(action, payload)
                camera = data.get("camera")
        if isinstance(camera, str) and camera:
            owner = self._router.owner(camera)
            if owner.kind == "mine":
                return True
            if owner.kind == "other":
                return False
        return self._router.answers_for_fleet()

    # The actions.

    def _digest(self, request: DigestRequest) -> dict[str, Any]:
        if self._run_digest is None:
            raise CommandError("digests need the event history, which is not available")
        return self._run_digest(request.name)

    def _pause(self, request: PauseRequest) -> dict[str, Any]:
        return self._set_paused(self._control(request.camera), request.paused)

    def _resume(self, request: CameraRequest) -> dict[str, Any]:
        return self._set_paused(self._control(request.camera), False)

    def _snapshot(self, request: CameraRequest) -> dict[str, Any]:
        """Published, or an error saying why not: never ok for a picture that never came."""
        control = self._control(request.camera)
        name = control.camera
        age = control.seconds_since_frame()
        if control.not_running is not None:
            raise CommandError(f"camera {name} is not running ({control.not_running}); no snapshot")
        if age is None:
            raise CommandError(f"camera {name} has not delivered a frame yet; no snapshot")
        if age > self._snapshot_wait:
            raise CommandError(f"camera {name} has sent no frame for {age:.0f} s; no snapshot")
        wanted = control.request_snapshot()
        # A request the camera took just before the withdrawal is being published: wait for it.
        if not wanted.wait(self._snapshot_wait) and (
            control.withdraw(wanted) or not wanted.wait(self._snapshot_wait)
        ):
            raise CommandError(
                f"no frame from camera {name} within {self._snapshot_wait:g} s; no snapshot"
            )
        if wanted.error is not None:
            raise CommandError(f"snapshot of camera {name} failed: {wanted.error}")
        return {
            "camera": name,
            "topic": topics.snapshot(self._base, name),
            "paused": control.paused,
        }

    def _control(self, camera: str) -> CameraControl:
        control = self._controls.get(camera)
        if control is not None:
            return control
        if self._router is not None:
            owner = self._router.owner(camera)
            if owner.kind == "offline":
                raise CommandError(
                    f"camera {camera[:_MAX_NAME]!r} belongs to agent {owner.agent}, "
                    "which is offline"
                )
            names = ", ".join(self._router.fleet_cameras())
            raise CommandError(f"no camera {camera[:_MAX_NAME]!r} in the fleet; cameras: {names}")
        names = ", ".join(sorted(self._controls))
        raise CommandError(f"no camera {camera[:_MAX_NAME]!r}; cameras: {names}")

    def _set_paused(self, control: CameraControl, paused: bool) -> dict[str, Any]:
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
            agent=self._agent_id,
            action=action[:_MAX_NAME],
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
    """The correlation id of a request that could not be parsed, read from its first bytes
    without a parser (bounded in time and stack)."""
    return _trimmed(peek_string(payload[:MAX_PAYLOAD_BYTES], "correlation_id"))


def _trimmed(value: object) -> str | None:
    """A correlation id fit to echo: a string, cut to 100 chars, encodable (JSON allows lone
    surrogates, which no answer could carry)."""
    if not isinstance(value, str):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value[:_MAX_NAME]


def _problems(action: str, error: ValidationError) -> str:
    """A validation error in one line, without quoting what the sender wrote at length."""
    errors = error.errors(include_input=False, include_url=False)
    shown = [
        f"{'.'.join(str(p)[:40] for p in err['loc']) or 'payload'}: {err['msg']}"
        for err in errors[:_MAX_PROBLEMS]
    ]
    more = f"; and {len(errors) - _MAX_PROBLEMS} more" if len(errors) > _MAX_PROBLEMS else ""
    return f"invalid {action} request: {'; '.join(shown)}{more}"
