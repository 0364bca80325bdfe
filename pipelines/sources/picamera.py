"""Raspberry Pi cameras on the CSI connector, read with picamera2.

picamera2 (apt package python3-picamera2) is imported only inside `_Picamera2Adapter`, so
this module imports, validates configs and tests on any machine.

Two streams come from the same capture: "main" at full size, kept as `Frame.image` for
snapshots, and optionally "lores", a small image of the same view for the detector
(`Frame.analysis`). Boxes are normalized, so a detection on one is a detection on
the other as long as both show the same view; hence lores must have main's aspect ratio.

Colour order: picamera2 names formats after DRM fourccs, which list channels from the most
significant byte. "RGB888" is therefore B, G, R in memory, which is what OpenCV expects;
"BGR888" is R, G, B; "XRGB8888" is B, G, R, A and "XBGR8888" R, G, B, A. The lores stream
is YUV420 (the only lores format a Pi 4 can produce): three I420 planes stacked as an
array of (height * 3 / 2, stride), converted with cv2.COLOR_YUV2BGR_I420. Every frame
leaves this module in BGR.

Timestamps: request metadata carries "SensorTimestamp", nanoseconds on CLOCK_MONOTONIC
(the clock of `time.monotonic_ns`) when the frame was read out of the sensor. Adding the
wall-minus-monotonic offset measured when the camera starts gives epoch seconds that keep
the sensor's exact frame spacing. A Pi has no real-time clock, so the wall clock can jump
when NTP first syncs after boot; the offset is measured again whenever the two disagree by
more than `MAX_CLOCK_SKEW`. Frames without a SensorTimestamp get the wall clock.

A stalled camera: when the sensor stops delivering (libcamera logs "Camera frontend has
timed out!", e.g. a loose ribbon cable), picamera2's `capture_request()` waits for ever by
default. Every capture therefore passes `wait=<capture_timeout_seconds>`, which raises
TimeoutError; the source then cancels the pending request (`cancel_all_and_flush`), closes
the camera and reopens it with backoff. `close()` from another thread cancels a capture
that is waiting, so stopping the agent never waits for a dead camera. Both need picamera2
0.3.20 (July 2024) or later; with an older one a warning says so.

Camera numbers: `Picamera2(n)` takes the n-th entry of `Picamera2.global_camera_info()`,
which is sorted by camera id (as `rpicam-hello --list-cameras` numbers them), not
libcamera's own order (the "Num" of each entry). `camera_index` converts a "Num".
"""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    NamedTuple,
    Protocol,
    TypedDict,
    TypeVar,
    Unpack,
)

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from pipelines.frames import Frame
from pipelines.sources.base import SourceError, StoppableSource

if TYPE_CHECKING:
    from types import ModuleType

log = logging.getLogger(__name__)

UInt8Array = npt.NDArray[np.uint8]

SDK_MISSING = (
    "picamera2 is not installed: `sudo apt install python3-picamera2` and create the venv "
    "with --system-site-packages"
)
LIST_CAMERAS = "rpicam-hello --list-cameras"
#: Largest gap between a sensor timestamp and the wall clock before the offset is re-measured.
MAX_CLOCK_SKEW = 2.0
_ASPECT_TOLERANCE = 0.02

#: Longest wait for one frame before a camera counts as stalled (see the module docstring).
DEFAULT_CAPTURE_TIMEOUT = 5.0

MAIN_FORMAT = "RGB888"  # BGR in memory: OpenCV's order, no conversion needed
LORES_FORMAT = "YUV420"


class PiCameraSourceConfig(BaseModel):
    """A Raspberry Pi camera module (CSI), read with picamera2."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["picamera"] = Field(
        "picamera", description="Selects a Raspberry Pi camera read with picamera2."
    )
    camera_num: int = Field(
        0, ge=0, description="Which camera: its number in `rpicam-hello --list-cameras`."
    )
    main_size: tuple[PositiveInt, PositiveInt] = Field(
        (1920, 1080), description="Width and height of the full image, used for snapshots."
    )
    lores_size: tuple[PositiveInt, PositiveInt] | None = Field(
        (640, 360),
        description=(
            "Width and height of the small image the detector gets, with main_size's aspect "
            "ratio (640 wide = the usual detector input); empty = the detector gets the main "
            "image."
        ),
    )
    fps: float = Field(15.0, gt=0, le=120, description="Frames per second the camera delivers.")
    reconnect_max_seconds: float = Field(
        30.0, gt=0, description="Longest wait between attempts to reopen a failed camera."
    )
    capture_timeout_seconds: float = Field(
        DEFAULT_CAPTURE_TIMEOUT,
        gt=0,
        description="A camera that delivers no frame for this long counts as stalled and is "
        "reopened (at least three frame intervals are always allowed).",
    )

    @model_validator(mode="after")
    def _lores_fits_main(self) -> PiCameraSourceConfig:
        check_lores(self.main_size, self.lores_size)
        return self


def check_lores(main: tuple[int, int], lores: tuple[int, int] | None) -> None:
    """Raise ValueError, saying what to change, if the camera cannot make this lores stream."""
    if lores is None:
        return
    (mw, mh), (lw, lh) = main, lores
    if lw > mw or lh > mh:
        raise ValueError(
            f"lores_size {list(lores)} is larger than main_size {list(main)}: "
            "the small stream must fit inside the main one"
        )
    if lw % 2 or lh % 2:
        raise ValueError(f"lores_size {list(lores)} must have even width and height (YUV420)")
    if abs((lw / lh) / (mw / mh) - 1) > _ASPECT_TOLERANCE:
        suggest = [lw, 2 * round(lw * mh / mw / 2)]
        raise ValueError(
            f"lores_size {list(lores)} has a different shape from main_size {list(main)}, so "
            f"the two images would not show the same view: use {suggest}"
        )


def to_bgr(array: UInt8Array, fmt: str, width: int | None = None) -> UInt8Array:
    """A picamera2 array of format `fmt` as a BGR image; `width` trims YUV420 row padding."""
    import cv2

    if fmt == "RGB888":
        bgr = array
    elif fmt == "BGR888":
        bgr = array[..., ::-1]
    elif fmt == "XRGB8888":
        bgr = array[..., :3]
    elif fmt == "XBGR8888":
        bgr = array[..., 2::-1]
    elif fmt == "YUV420":
        if array.ndim != 2 or array.shape[0] % 3:
            raise SourceError(f"a YUV420 array has shape (h * 3 / 2, stride), got {array.shape}")
        bgr = np.asarray(cv2.cvtColor(array, cv2.COLOR_YUV2BGR_I420), np.uint8)
        if width is not None:
            bgr = bgr[:, :width]
    else:
        raise SourceError(f"unsupported picamera2 format {fmt!r}")
    if bgr.ndim != 3 or bgr.shape[2] != 3:
        raise SourceError(f"a {fmt} array should have 3 colour channels, got shape {array.shape}")
    return np.ascontiguousarray(bgr, np.uint8)


class Capture(NamedTuple):
    """One completed request: an array per stream and the frame's metadata."""

    arrays: dict[str, UInt8Array]
    metadata: Mapping[str, Any]


def import_picamera2() -> ModuleType:
    """The picamera2 module, or a SourceError saying how to install it."""
    try:
        import picamera2
    except ImportError as exc:
        missing = isinstance(exc, ModuleNotFoundError) and exc.name == "picamera2"
        # Anything else is picamera2 itself failing to load (e.g. libcamera out of step).
        raise SourceError(SDK_MISSING if missing else f"{SDK_MISSING} ({exc})") from exc
    module: ModuleType = picamera2
    return module


def camera_index(libcamera_num: int) -> int:
    """The `Picamera2(n)` index of the camera that libcamera numbers `libcamera_num`
    (what `IMX500.camera_num` returns)."""
    cameras = import_picamera2().Picamera2.global_camera_info()
    for index, camera in enumerate(cameras):
        if camera.get("Num") == libcamera_num:
            return index
    raise SourceError(
        f"libcamera camera {libcamera_num} is not in picamera2's camera list: check "
        f"`{LIST_CAMERAS}`"
    )


class CameraStalledError(SourceError):
    """The camera delivered no frame within the capture timeout."""


class _Picamera2Adapter:
    """The few picamera2 calls the sources make: configure, start, capture a request, stop."""

    def __init__(
        self,
        camera_num: int,
        main_size: tuple[int, int],
        lores_size: tuple[int, int] | None,
        fps: float,
        capture_timeout: float = DEFAULT_CAPTURE_TIMEOUT,
    ) -> None:
        # A slow frame rate must not look like a stall.
        self.timeout = max(capture_timeout, 3.0 / fps)
        self.camera_num = camera_num
        picamera2 = import_picamera2()
        cameras = picamera2.Picamera2.global_camera_info()
        if camera_num >= len(cameras):
            found = ", ".join(f"{i}: {c.get('Model', '?')}" for i, c in enumerate(cameras))
            raise SourceError(
                f"no camera number {camera_num} (found {found or 'none'}): check the ribbon "
                f"cable and that `{LIST_CAMERAS}` lists it, or change source.camera_num"
            )
        try:
            self.camera = picamera2.Picamera2(camera_num)
        except Exception as exc:  # libcamera reports a busy or broken camera in many ways
            raise SourceError(
                f"cannot open camera {camera_num}: {exc} (is another program such as rpicam-* "
                f"using it? check `{LIST_CAMERAS}`)"
            ) from exc
        streams = {"main": {"size": tuple(main_size), "format": MAIN_FORMAT}}
        if lores_size is not None:
            streams["lores"] = {"size": tuple(lores_size), "format": LORES_FORMAT}
        try:
            config = self.camera.create_video_configuration(
                main=streams["main"], lores=streams.get("lores"), controls={"FrameRate": fps}
            )
            self.camera.configure(config)
            # libcamera may adjust sizes while validating; the arrays follow what it chose.
            actual = self.camera.camera_configuration()
            self.sizes = {name: tuple(actual[name]["size"]) for name in streams}
            self.camera.start()
        except Exception as exc:
            self.close()
            raise SourceError(f"cannot start camera {camera_num}: {exc}") from exc
        if not hasattr(self.camera, "cancel_all_and_flush"):
            # Timeouts (and cancelling) came with picamera2 0.3.20; before, `wait` only blocks.
            log.warning(
                "this picamera2 is older than 0.3.20 and cannot time out a capture, so a stalled "
                "camera hangs until restarted: `sudo apt full-upgrade` updates python3-picamera2"
            )

    def capture(self) -> Capture:
        try:
            # Without `wait`, picamera2 waits for ever on a stalled camera.
            request = self.camera.capture_request(wait=self.timeout)
        except TimeoutError as exc:
            self.interrupt()  # the timed-out request is still queued; drop it before closing
            raise CameraStalledError(
                f"camera {self.camera_num} delivered no frame for {self.timeout:g} s "
                "(stalled: check the ribbon cable and `dmesg` for 'Camera frontend has timed out')"
            ) from exc
        try:
            arrays = {name: np.asarray(request.make_array(name)) for name in self.sizes}
            metadata = dict(request.get_metadata())
        finally:
            request.release()
        return Capture(arrays, metadata)

    def interrupt(self) -> None:
        """Cancel a capture that is waiting (from any thread); it raises CancelledError."""
        cancel = getattr(self.camera, "cancel_all_and_flush", None)
        if cancel is None:
            return
        try:
            cancel()
        except Exception as exc:  # a camera that already failed may fail again
            log.debug("cancelling the camera's pending capture: %s", exc)

    def close(self) -> None:
        for step in (self.camera.stop, self.camera.close):
            try:
                step()
            except Exception as exc:  # closing a camera that already failed may fail again
                log.debug("closing the camera: %s", exc)


class _Device(Protocol):
    def capture(self) -> Capture: ...

    def interrupt(self) -> None: ...

    def close(self) -> None: ...


D = TypeVar("D", bound=_Device)


class LiveTiming(TypedDict, total=False):
    """Clocks and retry pacing of a live camera; tests replace them, the agent never does."""

    clock: Callable[[], float]
    monotonic_ns: Callable[[], int]
    sleep: Callable[[float], object] | None
    initial_backoff: float
    max_attempts: int | None


class LiveCameraSource(StoppableSource, Generic[D]):
    """Opens a picamera2 device, yields its frames and reopens it with backoff when it fails.

    The first open raises SourceError (not installed, no camera, busy), since retrying
    cannot fix those; a camera lost later (an error, or no frame within the capture
    timeout) is reopened for ever (or `max_attempts` consecutive tries). `close()` from
    another thread ends the wait, cancels a capture in progress, and ends the iterator.
    `Frame.index` counts every captured frame, skipped ones included.
    """

    live = True

    def __init__(
        self,
        name: str,
        reconnect_max_seconds: float,
        *,
        clock: Callable[[], float] = time.time,
        monotonic_ns: Callable[[], int] = time.monotonic_ns,
        sleep: Callable[[float], object] | None = None,
        initial_backoff: float = 0.5,
        max_attempts: int | None = None,
    ) -> None:
        super().__init__(sleep)
        self._name = name
        self._reconnect_max = reconnect_max_seconds
        self._clock = clock
        self._monotonic_ns = monotonic_ns
        self._initial_backoff = initial_backoff
        self._max_attempts = max_attempts
        self._offset_ns: int | None = None
        self._device: D | None = None  # the open device, for close() from another thread

    @abstractmethod
    def _open(self) -> D:
        """Open and start the device; SourceError says what is wrong."""

    @abstractmethod
    def _frame(self, device: D, capture: Capture, timestamp: float, index: int) -> Frame | None:
        """The frame for one capture, or None to skip it."""

    def frames(self) -> Iterator[Frame]:
        """Frames in capture order until close(); the camera opens at the first next()."""
        return self._track(self._run())

    def close(self) -> None:
        """Stop the iterator, cancelling a capture that is waiting for a frame."""
        self._stop.set()
        device = self._device
        if device is not None:
            device.interrupt()
        super().close()

    def timestamp(self, metadata: Mapping[str, Any]) -> float:
        """Epoch seconds of a capture, from its SensorTimestamp when it has one."""
        now = self._clock()
        sensor_ns = metadata.get("SensorTimestamp")
        if not isinstance(sensor_ns, int) or isinstance(sensor_ns, bool) or sensor_ns <= 0:
            return now
        if self._offset_ns is not None:
            t = (sensor_ns + self._offset_ns) / 1e9
            if abs(t - now) <= MAX_CLOCK_SKEW:
                return t
        self._measure_offset()
        assert self._offset_ns is not None
        t = (sensor_ns + self._offset_ns) / 1e9
        # Still far off: this timestamp is not on the monotonic clock; trust the wall clock.
        return t if abs(t - now) <= MAX_CLOCK_SKEW else now

    def _measure_offset(self) -> None:
        self._offset_ns = round(self._clock() * 1e9) - self._monotonic_ns()

    def _open_timed(self) -> D:
        device = self._open()
        self._device = device
        self._measure_offset()
        return device

    def _run(self) -> Generator[Frame, None, None]:
        device: D | None = self._open_timed()
        index = 0
        attempts = 0
        delay = self._initial_backoff
        lost = False
        try:
            while not self._stop.is_set():
                if device is None:
                    if self._max_attempts is not None and attempts >= self._max_attempts:
                        log.warning("giving up on %s after %d attempts", self._name, attempts)
                        return
                    self._sleep(delay)
                    attempts += 1
                    delay = min(delay * 2, self._reconnect_max)
                    if self._stop.is_set():
                        return
                    try:
                        device = self._open_timed()
                    except Exception as exc:  # keep trying; the log says why it failed
                        log.debug("reopening %s failed: %s", self._name, exc)
                        continue
                try:
                    capture = device.capture()
                except Exception as exc:  # any SDK error (or a stall) means the stream is gone
                    if self._stop.is_set():
                        return  # close() cancelled the capture
                    if not lost:
                        log.warning(
                            "lost %s (%s); reopening with backoff up to %gs",
                            self._name,
                            exc,
                            self._reconnect_max,
                        )
                    lost = True
                    self._device = None
                    device.close()
                    device = None
                    continue
                if lost:
                    # Reset only once frames flow again, so open-then-fail cycles still back off.
                    log.info("%s is back after %d attempts", self._name, attempts)
                    lost = False
                    attempts = 0
                    delay = self._initial_backoff
                frame = self._frame(device, capture, self.timestamp(capture.metadata), index)
                index += 1
                if frame is not None:
                    yield frame
        finally:
            self._device = None
            if device is not None:
                device.close()


class PiCameraSource(LiveCameraSource[_Picamera2Adapter]):
    """Frames from a Raspberry Pi camera: main as `image`, lores (if set) as `analysis`."""

    def __init__(
        self,
        config: PiCameraSourceConfig,
        **timing: Unpack[LiveTiming],
    ) -> None:
        super().__init__(f"camera {config.camera_num}", config.reconnect_max_seconds, **timing)
        self.config = config

    def _open(self) -> _Picamera2Adapter:
        c = self.config
        return _Picamera2Adapter(
            c.camera_num, c.main_size, c.lores_size, c.fps, c.capture_timeout_seconds
        )

    def _frame(
        self, device: _Picamera2Adapter, capture: Capture, timestamp: float, index: int
    ) -> Frame:
        image = to_bgr(capture.arrays["main"], MAIN_FORMAT)
        lores = capture.arrays.get("lores")
        analysis = None
        if lores is not None:
            analysis = to_bgr(lores, LORES_FORMAT, width=int(device.sizes["lores"][0]))
        return Frame(image, timestamp, index, analysis=analysis)


def camera_models() -> list[str] | str:
    """Sensor models of the attached cameras (e.g. imx708, imx500), or why they cannot be
    listed (picamera2 missing, libcamera failing)."""
    try:
        cameras = import_picamera2().Picamera2.global_camera_info()
    except SourceError:
        return "picamera2 not installed"
    except Exception as exc:  # libcamera failing to start is reported, not raised
        return f"libcamera cannot list cameras: {exc}"
    return [str(c.get("Model", "unknown")) for c in cameras]


def probe(camera_num: int) -> str | None:
    """None when picamera2 imports and lists camera `camera_num`; otherwise what to fix."""
    try:
        cameras = import_picamera2().Picamera2.global_camera_info()
    except SourceError as exc:
        return str(exc)
    except Exception as exc:  # libcamera failing to start is reported, not raised
        return f"libcamera cannot list cameras: {exc}"
    if camera_num >= len(cameras):
        return (
            f"no camera number {camera_num} ({len(cameras)} found): check the ribbon cable "
            f"and `{LIST_CAMERAS}`"
        )
    return None
