"""Running cameras: frames through the detector and the camera core, results to sinks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from agent.camera import CameraCore
from agent.config import CameraConfig, Language
from agent.control import CameraControl
from agent.events import CameraState, Event, EventUpdate
from pipelines.detections import Detections
from pipelines.detectors import build_detector
from pipelines.detectors.base import Detector, DetectorError
from pipelines.frames import Frame
from pipelines.sources import open_source
from pipelines.sources.base import FrameSource, SourceError

log = logging.getLogger(__name__)
T = TypeVar("T")


class Sink(Protocol):
    """Where a camera's events and state changes go (MQTT, stdout, a test)."""

    def event(self, event: Event) -> None: ...
    def state(self, state: CameraState) -> None: ...
    def update(self, update: EventUpdate) -> None: ...


@dataclass(slots=True)
class CameraStats:
    """Running figures for one camera, for logs and diagnostics."""

    frames: int = 0
    events: int = 0
    detector_errors: int = 0
    detect_seconds: float = 0.0
    #: time.monotonic() when the source last delivered a frame (paused or not).
    last_frame_at: float | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def fps(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.frames / elapsed if elapsed > 0 else 0.0

    @property
    def detect_ms(self) -> float:
        return 1000 * self.detect_seconds / self.frames if self.frames else 0.0


SnapshotHook = Callable[[CameraConfig, Frame, Detections], None]


def process_stream(
    camera: CameraConfig,
    language: Language,
    source: FrameSource,
    detector: Detector,
    sinks: Sequence[Sink],
    stop: threading.Event,
    stats: CameraStats | None = None,
    control: CameraControl | None = None,
    on_snapshot: SnapshotHook | None = None,
) -> CameraStats:
    """Run one camera until its input ends or `stop` is set; always sends pending events.

    While `control` says paused, frames are still read (a live stream must not lag behind)
    but not analysed. `on_snapshot` gets the frame of every event and requested snapshots.
    """
    stats = stats or CameraStats()
    core = CameraCore(camera, language)

    def emit(events: list[Event], state: CameraState | None = None) -> None:
        for e in events:
            stats.events += 1
            for s in sinks:
                deliver(s.event, e, camera.name)
        if state is not None:
            for s in sinks:
                deliver(s.state, state, camera.name)

    try:
        for frame in source.frames():
            stats.last_frame_at = time.monotonic()
            if stop.is_set():
                break
            if control is not None and control.paused:
                continue
            t0 = time.perf_counter()
            try:
                detections = (
                    frame.detections
                    if frame.detections is not None
                    else detector.detect(frame.detector_input)
                )
            except Exception as e:  # a broken frame must not stop the camera
                stats.detector_errors += 1
                if stats.detector_errors == 1 or stats.detector_errors % 100 == 0:
                    log.error(
                        "camera %s: detector failed (%d so far): %s",
                        camera.name,
                        stats.detector_errors,
                        e,
                    )
                continue
            stats.detect_seconds += time.perf_counter() - t0
            stats.frames += 1
            result = core.step(detections, frame.timestamp)
            emit(result.events, result.state)
            wanted = control is not None and control.take_snapshot_request()
            if on_snapshot is not None and (result.events or wanted):
                try:
                    on_snapshot(camera, frame, detections)
                except Exception:  # a snapshot is a nicety; the camera goes on
                    log.exception("camera %s: snapshot failed", camera.name)
    finally:
        emit(core.finish())
    return stats


def deliver(fn: Callable[[T], None], item: T, camera: str) -> None:
    """Hand one item to one sink; a failing sink is logged, never raised into the camera."""
    try:
        fn(item)
    except Exception:  # one failing sink must not starve the others
        log.exception("camera %s: a sink failed", camera)


class CameraWorker(threading.Thread):
    """One camera in its own thread; opens its source and detector when it starts."""

    def __init__(
        self,
        camera: CameraConfig,
        language: Language,
        sinks: Sequence[Sink],
        stop: threading.Event,
        control: CameraControl | None = None,
        on_snapshot: SnapshotHook | None = None,
    ) -> None:
        super().__init__(name=f"camera-{camera.name}", daemon=True)
        self.control = control or CameraControl(camera.name)
        self._on_snapshot = on_snapshot
        self.camera = camera
        self.stats = CameraStats()
        self.error: str | None = None
        self._language = language
        self._sinks = sinks
        self._stop_event = stop

    def run(self) -> None:
        try:
            detector = build_detector(self.camera.detector)
            source = open_source(self.camera.source)
        except (DetectorError, SourceError) as e:
            self.error = str(e)
            log.error("camera %s cannot start: %s", self.camera.name, e)
            return
        log.info("camera %s started", self.camera.name)
        try:
            with source:
                process_stream(
                    self.camera,
                    self._language,
                    source,
                    detector,
                    self._sinks,
                    self._stop_event,
                    self.stats,
                    self.control,
                    self._on_snapshot,
                )
        except SourceError as e:
            self.error = str(e)
            log.error("camera %s stopped: %s", self.camera.name, e)
        finally:
            detector.close()
        s = self.stats
        log.info(
            "camera %s finished: %d frames, %d events, %.1f frames/s, detector %.1f ms/frame",
            self.camera.name,
            s.frames,
            s.events,
            s.fps,
            s.detect_ms,
        )
