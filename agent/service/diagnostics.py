"""Diagnostic figures for operators and Home Assistant, published retained every few seconds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from agent.adapters.mqtt import topics
from agent.llm.wording import WordingQueue
from agent.service.camera_worker import CameraWorker
from agent.service.periodic import PeriodicThread

log = logging.getLogger(__name__)


class CameraDiagnostics(BaseModel):
    """One camera's figures, retained on <base>/<camera>/diagnostics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fps: float = Field(description="Frames analysed per second since the camera started.")
    detector_ms: float = Field(description="Mean detector time per frame, in milliseconds.")
    frames: int = Field(description="Frames analysed since start.")
    events: int = Field(description="Events created since start.")
    paused: bool = Field(description="Whether the camera is paused by a command.")
    running: bool = Field(description="Whether the camera's thread is running.")
    restarts: int = Field(
        0, description="Times the camera was restarted after an unexpected failure."
    )
    error: str | None = Field(
        None,
        description="Why the camera stopped, or its latest unexpected failure; null if none.",
    )


class AgentDiagnostics(BaseModel):
    """Agent-wide figures, retained on <base>/diagnostics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_seconds_p50: float | None = Field(
        description="Median time the language model took per worded event, latest 100; "
        "null before the first."
    )
    pending_summaries: int = Field(description="Events waiting for the model or being worded.")
    outbox_depth: int | None = Field(
        description="Messages not yet acknowledged by the broker (null without MQTT)."
    )
    wording: dict[str, int] = Field(description="How event summaries ended up, per outcome.")


def camera_diagnostics(worker: CameraWorker) -> CameraDiagnostics:
    s = worker.stats
    return CameraDiagnostics(
        fps=round(s.fps, 2),
        detector_ms=round(s.detect_ms, 1),
        frames=s.frames,
        events=s.events,
        paused=worker.control.paused,
        running=worker.is_alive() and worker.control.not_running is None,
        restarts=worker.restarts,
        error=worker.error or worker.last_crash,
    )


def agent_diagnostics(wording: WordingQueue | None, outbox_depth: int | None) -> AgentDiagnostics:
    return AgentDiagnostics(
        model_seconds_p50=wording.model_seconds_p50() if wording else None,
        pending_summaries=wording.pending if wording else 0,
        outbox_depth=outbox_depth,
        wording=wording.counters.as_dict() if wording else {},
    )


class DiagnosticsReporter(PeriodicThread):
    """Publishes the figures every `interval` seconds until `stop` is set."""

    def __init__(
        self,
        base_topic: str,
        workers: Sequence[CameraWorker],
        wording: WordingQueue | None,
        publish: Callable[[str, bytes, bool], object],
        outbox_depth: Callable[[], int | None],
        interval: float,
        stop: threading.Event,
    ) -> None:
        super().__init__("diagnostics", self.report, interval, stop)
        self._base = base_topic
        self._workers = workers
        self._wording = wording
        self._publish = publish
        self._outbox_depth = outbox_depth

    def report(self) -> None:
        for w in self._workers:
            payload = camera_diagnostics(w).model_dump_json().encode()
            self._publish(topics.diagnostics(self._base, w.camera.name), payload, True)
        agent = agent_diagnostics(self._wording, self._outbox_depth())
        self._publish(topics.agent_diagnostics(self._base), agent.model_dump_json().encode(), True)
