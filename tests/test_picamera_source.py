"""PiCameraSource against a fake picamera2 that hands out real-looking buffers.

The fake replaces the SDK at the seam only: `picamera2.Picamera2` with the calls the adapter
makes, returning a real photo in the memory layouts picamera2 documents ("RGB888" is B, G, R
in memory; YUV420 is I420 planes of (h * 3 / 2, stride)). The IMX500 tests reuse it.

It behaves as raspberrypi/picamera2 v0.3.36 (picamera2/picamera2.py, picamera2/job.py) does:

- `global_camera_info()` lists cameras sorted by id, descending, USB cameras last, each with
  libcamera's own number as "Num"; `Picamera2(n)` opens `global_camera_info()[n]["Num"]`.
- `capture_request(wait=None)` waits for ever for a frame (`Job.get_result(timeout=None)`);
  with a number it raises TimeoutError (concurrent.futures.TimeoutError, the builtin one
  since Python 3.11) after that many seconds and leaves the job queued.
  `cancel_all_and_flush()` cancels queued jobs, so a waiting call raises CancelledError.
  A stalled camera ("Camera frontend has timed out!") never completes a request again.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from pydantic import ValidationError

from pipelines.frames import Frame
from pipelines.sources.base import SourceError
from pipelines.sources.picamera import (
    SDK_MISSING,
    PiCameraSource,
    PiCameraSourceConfig,
    probe,
    to_bgr,
)

skimage_data = pytest.importorskip("skimage.data")

UInt8 = npt.NDArray[np.uint8]
MONO0 = 7_000_000_000  # monotonic ns when the test starts
WALL0 = 1_700_000_000.0  # epoch seconds at the same moment
PERIOD_NS = 66_666_667  # 15 fps
READOUT_NS = 20_000_000  # a frame reaches Python 20 ms after the sensor read it out
RED_RGB = (255, 0, 0)
PATCH = (slice(100, 200), slice(300, 420))  # rows, columns of the red patch in the 512x512 photo


def photo_rgb() -> UInt8:
    """skimage's astronaut (RGB) with a pure red patch at a known place."""
    rgb = np.array(skimage_data.astronaut(), np.uint8)
    rgb[PATCH] = RED_RGB
    return rgb


def resize(image: UInt8, size: tuple[int, int]) -> UInt8:
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)


def patch_centre(size: tuple[int, int]) -> tuple[int, int]:
    """(row, column) of the red patch's centre in an image of (width, height)."""
    w, h = size
    return int(150 / 512 * h), int(360 / 512 * w)


def i420_with_stride(bgr: UInt8, stride: int) -> UInt8:
    """A BGR image as picamera2 returns a YUV420 stream: I420 planes padded to `stride`."""
    h, w = bgr.shape[:2]
    i420 = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), np.uint8)
    y = i420[:h]
    chroma = i420[h:].reshape(-1)
    u = chroma[: chroma.size // 2].reshape(h // 2, w // 2)
    v = chroma[chroma.size // 2 :].reshape(h // 2, w // 2)

    def pad(plane: UInt8, width: int) -> UInt8:
        return np.pad(plane, ((0, 0), (0, width - plane.shape[1])), constant_values=99)

    planes = [pad(y, stride), pad(u, stride // 2), pad(v, stride // 2)]
    return np.concatenate([p.reshape(-1) for p in planes]).reshape(-1, stride)


class FakeSdk:
    """What the fake picamera2 knows: cameras, the scene, failures, and what was called."""

    def __init__(self) -> None:
        self.cameras: list[dict[str, Any]] = [
            {"Model": "imx708", "Num": 0, "Id": "/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a"}
        ]
        self.scene = photo_rgb()
        self.mono_ns = MONO0
        self.wall_jump = 0.0
        self.captures = 0
        self.fail_captures: set[int] = set()
        #: Capture numbers at which the camera stalls: no request completes after them.
        self.stall_captures: set[int] = set()
        #: Set to let every waiting capture go (test teardown), like unplugging the Pi.
        self.release_waiters = threading.Event()
        self.waits: list[float | None] = []
        self.cancelled = 0
        self.open_failures = 0
        self.open_error: Exception | None = None
        self.with_timestamp = True
        self.lores_stride: int | None = None
        self.opened: list[FakePicamera2] = []
        self.events: list[str] = []
        self.unreleased = 0
        #: Extra metadata per capture number (the IMX500 fake adds its tensors here).
        self.metadata_hook: Callable[[int, FakePicamera2], dict[str, Any]] | None = None

    def clock(self) -> float:
        return WALL0 + (self.mono_ns - MONO0) / 1e9 + self.wall_jump

    def monotonic_ns(self) -> int:
        return self.mono_ns


class FakeRequest:
    def __init__(self, sdk: FakeSdk, arrays: dict[str, UInt8], metadata: dict[str, Any]) -> None:
        self._sdk = sdk
        self._arrays = arrays
        self._metadata = metadata
        self._released = False
        sdk.unreleased += 1

    def make_array(self, name: str) -> UInt8:
        assert not self._released, "make_array after release"
        return self._arrays[name].copy()

    def get_metadata(self) -> dict[str, Any]:
        return dict(self._metadata)

    def release(self) -> None:
        assert not self._released, "released twice"
        self._released = True
        self._sdk.unreleased -= 1


class FakePicamera2:
    """picamera2.Picamera2, reduced to what the adapters call."""

    sdk: FakeSdk

    @staticmethod
    def global_camera_info() -> list[dict[str, Any]]:
        cameras = [dict(c) for c in FakePicamera2.sdk.cameras]
        return sorted(cameras, key=lambda c: ("/usb" not in c["Id"], c["Id"]), reverse=True)

    def __init__(self, camera_num: int = 0) -> None:
        sdk = self.sdk
        if sdk.open_error is not None:
            raise sdk.open_error
        if sdk.open_failures:
            sdk.open_failures -= 1
            raise RuntimeError("Camera __init__ sequence did not complete.")
        info = self.global_camera_info()[camera_num]  # IndexError like picamera2
        sdk.events.append(f"Picamera2({camera_num})")
        sdk.opened.append(self)
        self.camera_num = camera_num
        self.model = info["Model"]
        self.config: dict[str, Any] | None = None
        self.started = False
        self.stopped = False
        self.closed = False
        self.stalled = False
        self._cancel = threading.Event()

    def create_video_configuration(
        self,
        main: dict[str, Any] | None = None,
        lores: dict[str, Any] | None = None,
        controls: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return {
            "main": dict(main or {"size": (1280, 720), "format": "XBGR8888"}),
            "lores": None if lores is None else dict(lores),
            "controls": dict(controls or {}),
            "buffer_count": 6,
        }

    def configure(self, config: dict[str, Any]) -> None:
        assert not self.started, "configure while running"
        assert config["main"]["format"] in ("RGB888", "BGR888", "XRGB8888", "XBGR8888")
        if config["lores"] is not None:
            assert config["lores"]["format"] == "YUV420", "lores must be YUV420 on a Pi 4"
        self.config = config

    def camera_configuration(self) -> dict[str, Any]:
        assert self.config is not None
        return {**self.config, "raw": {"size": (2028, 1520), "format": "SRGGB12_CSI2P"}}

    def start(self) -> None:
        assert self.config is not None, "start before configure"
        self.started = True

    def capture_request(
        self, wait: bool | float | None = None, signal_function: Any = None, flush: Any = None
    ) -> FakeRequest:
        sdk = self.sdk
        assert self.started and not self.closed
        assert signal_function is None and flush is None
        timeout = None if wait in (None, True) else float(wait)
        sdk.waits.append(timeout)
        sdk.captures += 1
        if sdk.captures in sdk.stall_captures:
            self.stalled = True
        if self.stalled:
            # The request never completes: wait for ever, or time out, or be cancelled.
            self._cancel.clear()
            deadline_hit = not _wait_any(self._cancel, sdk.release_waiters, timeout)
            if deadline_hit:
                raise TimeoutError()
            raise CancelledError()
        sdk.mono_ns += PERIOD_NS
        if sdk.captures in sdk.fail_captures:
            raise RuntimeError("Camera frontend has timed out!")
        assert self.config is not None
        main_w, main_h = self.config["main"]["size"]
        rgb = resize(sdk.scene, (main_w, main_h))
        arrays = {"main": np.ascontiguousarray(rgb[..., ::-1])}  # "RGB888" is BGR in memory
        if self.config["lores"] is not None:
            lw, lh = self.config["lores"]["size"]
            small = resize(sdk.scene[..., ::-1], (lw, lh))
            arrays["lores"] = i420_with_stride(small, sdk.lores_stride or lw)
        metadata: dict[str, Any] = {
            "ExposureTime": 10_000,
            "FrameDuration": PERIOD_NS // 1000,
            "ScalerCrop": (0, 0, 4056, 3040),
        }
        if sdk.with_timestamp:
            metadata["SensorTimestamp"] = sdk.mono_ns - READOUT_NS
        if sdk.metadata_hook is not None:
            metadata.update(sdk.metadata_hook(sdk.captures, self))
        return FakeRequest(sdk, arrays, metadata)

    def cancel_all_and_flush(self) -> None:
        self.sdk.cancelled += 1
        self._cancel.set()

    def stop(self) -> None:
        self.stopped = True

    def close(self) -> None:
        self.closed = True


def _wait_any(a: threading.Event, b: threading.Event, timeout: float | None) -> bool:
    """Wait until either event is set (True) or the timeout passes (False)."""
    step = 0.01
    waited = 0.0
    while not (a.is_set() or b.is_set()):
        if timeout is not None and waited >= timeout:
            return False
        a.wait(step)
        waited += step
    return True


def install(monkeypatch: pytest.MonkeyPatch, sdk: FakeSdk) -> types.ModuleType:
    """Put a fake `picamera2` module in sys.modules, backed by `sdk`."""
    module = types.ModuleType("picamera2")
    module.Picamera2 = FakePicamera2  # type: ignore[attr-defined]
    monkeypatch.setattr(FakePicamera2, "sdk", sdk, raising=False)
    monkeypatch.setitem(sys.modules, "picamera2", module)
    return module


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSdk]:
    fake = FakeSdk()
    install(monkeypatch, fake)
    yield fake
    fake.release_waiters.set()  # no thread stays blocked after the test


def source(sdk: FakeSdk, **config: Any) -> tuple[PiCameraSource, list[float]]:
    delays: list[float] = []
    src = PiCameraSource(
        PiCameraSourceConfig(**config),
        clock=sdk.clock,
        monotonic_ns=sdk.monotonic_ns,
        sleep=delays.append,
        max_attempts=5,
    )
    return src, delays


def take(frames: Iterator[Any], n: int) -> list[Any]:
    out = []
    for frame in frames:
        out.append(frame)
        if len(out) == n:
            break
    return out


def test_configures_main_and_lores_streams_and_frame_rate(sdk: FakeSdk) -> None:
    src, _ = source(sdk, camera_num=0, fps=12.5)
    take(src.frames(), 1)
    src.close()
    cam = sdk.opened[0]
    assert cam.config is not None
    assert cam.config["main"] == {"size": (1920, 1080), "format": "RGB888"}
    assert cam.config["lores"] == {"size": (640, 360), "format": "YUV420"}
    assert cam.config["controls"] == {"FrameRate": 12.5}
    assert cam.stopped and cam.closed
    assert sdk.unreleased == 0


def test_main_frame_is_the_photo_in_bgr_order(sdk: FakeSdk) -> None:
    src, _ = source(sdk)
    (frame,) = take(src.frames(), 1)
    src.close()
    assert isinstance(frame, Frame)
    assert frame.image.shape == (1080, 1920, 3) and frame.image.dtype == np.uint8
    expected = resize(sdk.scene, (1920, 1080))[..., ::-1]
    np.testing.assert_array_equal(frame.image, expected)
    row, col = patch_centre((1920, 1080))
    assert frame.image[row, col].tolist() == [0, 0, 255]  # red, in B, G, R


def test_lores_arrives_as_a_bgr_analysis_image_with_stride_padding_removed(
    sdk: FakeSdk,
) -> None:
    sdk.lores_stride = 640  # a 600-wide YUV420 buffer padded to 640 bytes per row
    src, _ = source(sdk, lores_size=(600, 338))
    (frame,) = take(src.frames(), 1)
    src.close()
    assert frame.analysis is not None
    assert frame.analysis.shape == (338, 600, 3)
    row, col = patch_centre((600, 338))
    b, g, r = frame.analysis[row, col].tolist()
    assert r > 200 and g < 60 and b < 60, (b, g, r)
    # The whole image survives the YUV round trip: close to the photo, right edge included.
    expected = resize(sdk.scene[..., ::-1], (600, 338))
    diff = np.abs(frame.analysis.astype(int) - expected.astype(int))
    assert diff.mean() < 6 and diff[:, -4:].mean() < 10


def test_without_lores_the_frame_has_no_analysis_image(sdk: FakeSdk) -> None:
    src, _ = source(sdk, lores_size=None)
    (frame,) = take(src.frames(), 1)
    src.close()
    assert frame.analysis is None
    assert sdk.opened[0].config is not None and sdk.opened[0].config["lores"] is None


def test_timestamps_come_from_sensor_timestamp(sdk: FakeSdk) -> None:
    src, _ = source(sdk)
    frames = take(src.frames(), 3)
    src.close()
    # Sensor time of capture k is MONO0 + k * PERIOD - READOUT, on the same clock as MONO0.
    for k, frame in enumerate(frames, start=1):
        expected = WALL0 + (k * PERIOD_NS - READOUT_NS) / 1e9
        assert frame.timestamp == pytest.approx(expected, abs=1e-6)
    assert [f.index for f in frames] == [0, 1, 2]


def test_wall_clock_step_after_boot_moves_the_offset(sdk: FakeSdk) -> None:
    src, _ = source(sdk)
    frames = src.frames()
    first = take(frames, 2)
    sdk.wall_jump = 3600.0  # NTP synced: the wall clock jumps an hour ahead
    later = take(frames, 2)
    src.close()
    assert first[1].timestamp - first[0].timestamp == pytest.approx(PERIOD_NS / 1e9, abs=1e-6)
    assert later[0].timestamp == pytest.approx(sdk.clock() - READOUT_NS / 1e9 - PERIOD_NS / 1e9)
    assert later[1].timestamp - later[0].timestamp == pytest.approx(PERIOD_NS / 1e9, abs=1e-6)


def test_frames_without_sensor_timestamp_use_the_wall_clock(sdk: FakeSdk) -> None:
    sdk.with_timestamp = False
    src, _ = source(sdk)
    (frame,) = take(src.frames(), 1)
    src.close()
    assert frame.timestamp == pytest.approx(sdk.clock())


def test_missing_sdk_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)
    src = PiCameraSource(PiCameraSourceConfig())
    with pytest.raises(SourceError) as err:
        next(iter(src.frames()))
    assert str(err.value) == SDK_MISSING
    assert "sudo apt install python3-picamera2" in str(err.value)
    assert "--system-site-packages" in str(err.value)
    assert probe(0) == SDK_MISSING


@pytest.mark.parametrize("cameras", [0, 1])
def test_missing_camera_names_the_listing_command(sdk: FakeSdk, cameras: int) -> None:
    sdk.cameras = sdk.cameras[:cameras]
    src, _ = source(sdk, camera_num=1 if cameras else 0)
    with pytest.raises(SourceError, match="rpicam-hello --list-cameras"):
        next(iter(src.frames()))
    assert "rpicam-hello --list-cameras" in (probe(1 if cameras else 0) or "")
    assert sdk.opened == []


def test_busy_camera_fails_at_once_with_a_hint(sdk: FakeSdk) -> None:
    sdk.open_error = RuntimeError("Failed to acquire camera: Device or resource busy")
    src, delays = source(sdk)
    with pytest.raises(SourceError, match="another program"):
        next(iter(src.frames()))
    assert delays == []


def test_probe_is_quiet_when_the_camera_is_there(sdk: FakeSdk) -> None:
    assert probe(0) is None


def test_capture_failure_reopens_the_camera_with_backoff(sdk: FakeSdk) -> None:
    sdk.fail_captures = {3}
    sdk.open_failures = 0
    src, delays = source(sdk)
    frames = src.frames()
    got = take(frames, 2)
    sdk.open_failures = 2  # the first two reopen attempts fail as well
    got += take(frames, 3)
    src.close()
    assert [f.index for f in got] == [0, 1, 2, 3, 4]
    assert delays == [0.5, 1.0, 2.0]
    assert len(sdk.opened) == 2
    assert sdk.opened[0].stopped and sdk.opened[0].closed
    assert sdk.opened[1].closed
    assert sdk.unreleased == 0
    # Time keeps flowing from the sensor across the reopen.
    assert all(b.timestamp > a.timestamp for a, b in zip(got, got[1:], strict=False))


def test_gives_up_after_max_attempts_when_the_camera_stays_away(sdk: FakeSdk) -> None:
    sdk.fail_captures = {2}
    src, delays = source(sdk)
    frames = src.frames()
    take(frames, 1)
    sdk.cameras = []  # unplugged
    assert list(frames) == []
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_a_camera_that_opens_but_never_delivers_still_backs_off(sdk: FakeSdk) -> None:
    sdk.fail_captures = set(range(2, 100))
    src, delays = source(sdk)
    frames = src.frames()
    take(frames, 1)
    assert list(frames) == []
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert all(cam.closed for cam in sdk.opened)


def test_close_from_another_thread_ends_the_iterator(sdk: FakeSdk) -> None:
    src = PiCameraSource(PiCameraSourceConfig(), clock=sdk.clock, monotonic_ns=sdk.monotonic_ns)
    seen: list[int] = []
    started = threading.Event()

    def consume() -> None:
        for frame in src.frames():
            seen.append(frame.index)
            started.set()

    worker = threading.Thread(target=consume)
    worker.start()
    assert started.wait(5)
    src.close()
    worker.join(5)
    assert not worker.is_alive()
    assert sdk.opened[0].closed and sdk.unreleased == 0


@pytest.mark.parametrize(
    ("fmt", "make"),
    [
        ("RGB888", lambda bgr: bgr),
        ("BGR888", lambda bgr: bgr[..., ::-1]),
        ("XRGB8888", lambda bgr: np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)])),
        ("XBGR8888", lambda bgr: np.dstack([bgr[..., ::-1], np.zeros(bgr.shape[:2], np.uint8)])),
    ],
)
def test_every_rgb_format_comes_out_bgr(fmt: str, make: Callable[[UInt8], UInt8]) -> None:
    bgr = resize(photo_rgb()[..., ::-1], (64, 48))
    out = to_bgr(np.ascontiguousarray(make(bgr)), fmt)
    np.testing.assert_array_equal(out, bgr)
    assert out.flags.c_contiguous


def test_unknown_format_and_bad_shapes_raise() -> None:
    with pytest.raises(SourceError, match="unsupported"):
        to_bgr(np.zeros((4, 4, 3), np.uint8), "MJPEG")
    with pytest.raises(SourceError, match="YUV420"):
        to_bgr(np.zeros((4, 4), np.uint8), "YUV420")
    with pytest.raises(SourceError, match="3 colour channels"):
        to_bgr(np.zeros((4, 4), np.uint8), "RGB888")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"lores_size": (640, 640)}, r"same view: use \[640, 360\]"),
        ({"lores_size": (2560, 1440)}, "larger than main_size"),
        ({"lores_size": (641, 361)}, "even"),
        ({"main_size": (0, 480)}, "greater than 0"),
        ({"fps": 0}, "greater than 0"),
        ({"resolution": (640, 480)}, "Extra inputs"),
    ],
)
def test_config_errors_say_what_to_change(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PiCameraSourceConfig(**settings)


def test_config_defaults_and_yaml_lists() -> None:
    c = PiCameraSourceConfig.model_validate({"type": "picamera", "main_size": [1280, 720]})
    assert c.main_size == (1280, 720) and c.lores_size == (640, 360) and c.fps == 15
    four_three = PiCameraSourceConfig(main_size=(2028, 1520), lores_size=(640, 480))
    assert four_three.lores_size == (640, 480)
    for name, field in PiCameraSourceConfig.model_fields.items():
        assert field.description, name


def run_in_thread(src: PiCameraSource, n: int) -> tuple[threading.Thread, list[Frame]]:
    """Consume up to n frames in a worker thread (a hung camera must not hang the test)."""
    got: list[Frame] = []

    def consume() -> None:
        for frame in src.frames():
            got.append(frame)
            if len(got) == n:
                break

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    return worker, got


def test_a_stalled_camera_times_out_and_is_reopened(
    sdk: FakeSdk, caplog: pytest.LogCaptureFixture
) -> None:
    """picamera2 waits for ever without `wait`; the old code hung here and never reopened."""
    sdk.stall_captures = {3}
    src, delays = source(sdk, capture_timeout_seconds=0.2)
    with caplog.at_level("WARNING", logger="pipelines.sources.picamera"):
        worker, got = run_in_thread(src, 4)
        worker.join(10)
    src.close()
    assert not worker.is_alive(), "the source hung on a stalled camera"
    assert [f.index for f in got] == [0, 1, 2, 3]
    assert sdk.waits and all(w == pytest.approx(0.2) for w in sdk.waits)
    assert sdk.cancelled >= 1  # the timed-out request was dropped before closing
    assert len(sdk.opened) == 2 and sdk.opened[0].closed and sdk.opened[0].stalled
    assert delays == [0.5]
    assert "delivered no frame for 0.2 s" in caplog.text and "reopening" in caplog.text


def test_the_capture_timeout_allows_three_frame_intervals(sdk: FakeSdk) -> None:
    src, _ = source(sdk, fps=1.0, capture_timeout_seconds=0.5)
    take(src.frames(), 1)
    src.close()
    assert sdk.waits == [3.0]


def test_close_cancels_a_capture_waiting_on_a_stalled_camera(sdk: FakeSdk) -> None:
    sdk.stall_captures = {2}
    src, _ = source(sdk, capture_timeout_seconds=600.0)
    worker, got = run_in_thread(src, 5)
    for _ in range(500):  # until the second capture is waiting
        if len(sdk.waits) >= 2:
            break
        threading.Event().wait(0.01)
    assert len(sdk.waits) == 2 and len(got) == 1
    src.close()
    worker.join(5)
    assert not worker.is_alive(), "close() did not interrupt the waiting capture"
    assert sdk.cancelled >= 1
    assert sdk.opened[0].closed and len(sdk.opened) == 1


def test_camera_num_is_the_listed_number(sdk: FakeSdk) -> None:
    """`rpicam-hello --list-cameras` and `Picamera2(n)` both sort by id (descending)."""
    sdk.cameras = [
        {"Model": "imx500", "Num": 0, "Id": "/base/axi/pcie@120000/rp1/i2c@80000/imx500@1a"},
        {"Model": "imx708", "Num": 1, "Id": "/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a"},
    ]
    src, _ = source(sdk, camera_num=0)
    take(src.frames(), 1)
    src.close()
    assert sdk.opened[0].model == "imx708"


def test_a_picamera2_without_timeouts_is_warned_about(
    sdk: FakeSdk, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """cancel_all_and_flush and a numeric `wait` came together in picamera2 0.3.20."""

    class OldPicamera2(FakePicamera2):
        def __getattribute__(self, name: str) -> Any:
            if name == "cancel_all_and_flush":
                raise AttributeError(name)
            return super().__getattribute__(name)

    monkeypatch.setattr(sys.modules["picamera2"], "Picamera2", OldPicamera2)
    src, _ = source(sdk)
    with caplog.at_level("WARNING", logger="pipelines.sources.picamera"):
        take(src.frames(), 1)
    src.close()
    assert "older than 0.3.20" in caplog.text and "sudo apt full-upgrade" in caplog.text
