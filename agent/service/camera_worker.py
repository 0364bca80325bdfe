"""Running cameras: frames through the detector and the camera core, results to sinks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from agent.config.schema import CameraConfig
from agent.core.camera import CameraCore
from agent.core.events import CameraState, Event, EventUpdate
from agent.core.kinds import Language
from agent.service.camera_control import CameraControl, SnapshotRequest
from eva_errors import DetectorError
from pipelines.detections import Detections
from pipelines.detectors import build_detector
from pipelines.detectors.base import Detector
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


class CoreAndSinks:
    """One camera's core and its sinks behind a lock.

    Frames arrive on the camera's thread. When they stop (a stalled stream), the
    availability watcher calls `flush` from its own thread, so events that were collecting
    go out now instead of when the next frame comes.
    """

    def __init__(
        self, camera: CameraConfig, language: Language, sinks: Sequence[Sink], stats: CameraStats
    ) -> None:
        self._camera = camera
        self._core = CameraCore(camera, language)
        self._sinks = sinks
        self._stats = stats
        self._lock = threading.Lock()

    def step(self, detections: Detections, taken_at: float) -> list[Event]:
        """Advance by one frame and deliver what it produced; returns the events."""
        with self._lock:
            result = self._core.step(detections, taken_at)
            self._emit(result.events, result.state)
        return result.events

    def flush(self) -> int:
        """Deliver the events still collecting; returns how many."""
        with self._lock:
            events = self._core.finish()
            self._emit(events)
        return len(events)

    def _emit(self, events: list[Event], state: CameraState | None = None) -> None:
        for e in events:
            self._stats.events += 1
            for s in self._sinks:
                deliver(s.event, e, self._camera.name)
        if state is not None:
            for s in self._sinks:
                deliver(s.state, state, self._camera.name)


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
    core: CoreAndSinks | None = None,
) -> CameraStats:
    """Run one camera until its input ends or `stop` is set; always sends pending events.

    While `control` says paused, frames are still read (a live stream must not lag behind)
    but not analysed. `on_snapshot` gets the frame of every event and requested snapshots.
    """
    stats = stats or CameraStats()
    core = core or CoreAndSinks(camera, language, sinks, stats)
    try:
        for frame in source.frames():
            try:
                stats.last_frame_at = time.monotonic()
                if control is not None:
                    control.frame_arrived()
                if stop.is_set():
                    break
                if control is not None and control.paused:
                    # Paused means no analysis; an asked-for snapshot still shows the scene.
                    if (wanted := control.take_snapshot_request()) is not None:
                        _snapshot(camera, frame, Detections.empty(), on_snapshot, wanted)
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
                events = core.step(detections, frame.timestamp)
                wanted = control.take_snapshot_request() if control is not None else None
                if wanted is not None or (events and on_snapshot is not None):
                    _snapshot(camera, frame, detections, on_snapshot, wanted)
            finally:
                # Not held while the source reads the next one: one frame in memory, not two.
                del frame
    finally:
        core.flush()
    return stats


def _snapshot(
    camera: CameraConfig,
    frame: Frame,
    detections: Detections,
    hook: SnapshotHook | None,
    wanted: SnapshotRequest | None,
) -> None:
    """Publish a snapshot, and tell whoever asked for it how that went."""
    if hook is None:
        if wanted is not None:
            wanted.finish("this agent publishes no snapshots (no MQTT)")
        return
    try:
        hook(camera, frame, detections)
    except Exception as e:  # a snapshot is a nicety; the camera goes on
        log.exception("camera %s: snapshot failed", camera.name)
        if wanted is not None:
            wanted.finish(f"{type(e).__name__}: {str(e)[:200]}")
        return
    if wanted is not None:
        wanted.finish()


def deliver(fn: Callable[[T], None], item: T, camera: str) -> None:
    """Hand one item to one sink; a failing sink is logged, never raised into the camera."""
    try:
        fn(item)
    except Exception:  # one failing sink must not starve the others
        log.exception("camera %s: a sink failed", camera)


def _close_on_stop(stop: threading.Event, done: threading.Event, source: FrameSource) -> None:
    """Close `source` once `stop` is set, unless the camera's run ends first."""
    while not done.wait(0.2):
        if stop.is_set():
            source.close()
            return


class CameraWorker(threading.Thread):
    """One camera in its own thread; opens its source and detector when it starts.

    A camera that fails in a way nobody foresaw (a bug in a source, a detector or the core)
    does not die silently. A live camera is restarted after a growing pause (1 s doubling to
    60 s) and reported: one ERROR log line (the traceback at DEBUG), `offline` on its status
    topic, and `running`, `restarts` and `error` in its diagnostics. A file or folder is not
    replayed, which would repeat its events: the camera stops with `error` set, and `eva run`
    exits 1.
    """

    #: Pause before the first restart; it doubles up to restart_max_seconds.
    restart_first_seconds = 1.0
    restart_max_seconds = 60.0
    #: A camera that ran this long before failing starts again from the first pause.
    restart_reset_seconds = 300.0

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
        #: Why the camera stopped for good (it could not start, its input failed, it crashed).
        self.error: str | None = None
        #: The latest unexpected failure, restarted or not.
        self.last_crash: str | None = None
        self.restarts = 0
        self._language = language
        self._sinks = sinks
        self._stop_event = stop
        self._core_sinks: CoreAndSinks | None = None
        self._live = False  # known once the source is opened

    def flush_pending(self) -> int:
        """Send the events still collecting (the stream stalled); returns how many."""
        core = self._core_sinks
        return core.flush() if core is not None else 0

    def run(self) -> None:
        delay = self.restart_first_seconds
        try:
            while not self._stop_event.is_set():
                started = time.monotonic()
                try:
                    self._run_once()
                    return
                except Exception as e:
                    if time.monotonic() - started >= self.restart_reset_seconds:
                        delay = self.restart_first_seconds
                    if not self._failed(e, delay):
                        return
                if self._stop_event.wait(delay):
                    return
                self.restarts += 1
                delay = min(delay * 2, self.restart_max_seconds)
        finally:
            self.control.set_not_running(self.error or "stopped")

    def _failed(self, e: Exception, delay: float) -> bool:
        """Record and report an unexpected failure; True when the camera is to be restarted
        after `delay` seconds."""
        self._core_sinks = None  # a broken core must not be flushed by another thread
        self.stats.last_frame_at = None  # offline at once, not after stall_seconds
        self.last_crash = f"{type(e).__name__}: {str(e)[:300]}"
        name = self.camera.name
        # One line for the operator; the traceback, for a bug report, at DEBUG.
        if self._live:
            self.control.set_not_running(f"restarting after a failure: {self.last_crash}")
            log.error(
                "camera %s failed (a bug): %s; restarting in %g s (restart %d)",
                name,
                self.last_crash,
                delay,
                self.restarts + 1,
            )
        else:
            self.error = f"failed: {self.last_crash}"
            log.error(
                "camera %s failed (a bug) and stopped; a file is not replayed: %s",
                name,
                self.last_crash,
            )
        log.debug("camera %s: traceback of that failure", name, exc_info=e)
        return self._live

    def _run_once(self) -> None:
        """Open the source and detector and process frames until the input ends or `stop`;
        an error the user can fix ends the camera with `error` set, anything else raises."""
        try:
            source = open_source(self.camera.source)
            self._live = source.live
            detector = build_detector(self.camera.detector)
        except (DetectorError, SourceError) as e:
            self.error = str(e)
            log.error("camera %s cannot start: %s", self.camera.name, e)
            return
        log.info("camera %s started", self.camera.name)
        self.control.set_not_running(None)
        self._core_sinks = CoreAndSinks(self.camera, self._language, self._sinks, self.stats)
        done = threading.Event()
        # A live source may be waiting on a stalled camera, where no frame comes to notice
        # `stop`; closing it from outside cancels that wait.
        threading.Thread(
            target=_close_on_stop,
            args=(self._stop_event, done, source),
            name=f"close-{self.camera.name}",
            daemon=True,
        ).start()
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
                    self._core_sinks,
                )
        except SourceError as e:
            self.error = str(e)
            log.error("camera %s stopped: %s", self.camera.name, e)
        finally:
            done.set()
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
