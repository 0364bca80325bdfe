"""The Hailo detector end to end, with hailo_platform replaced by a fake at the SDK seam.

The fake (tests/support/hailo_fake.py) exposes exactly the classes and methods
`_HailoRuntime` and `detect_architecture` use, and answers like HailoRT does for a
HailoRT-postprocess HEF: a list with one (n, 5) float32 array per class, rows y_min, x_min,
y_max, x_max, score, normalized to the network input. Its refusals follow hailo-ai/hailort
v4.23.0 and hailort-drivers (branch hailo8, v4.23.0); its docstring cites the files: one
VDevice per process (vdevice.cpp, linux/vdma/ioctl.c), statuses 26/91/92 (hailort.h,
pyhailort.py), Hailo-8L HEFs on a Hailo-8 (device_internal.cpp), the HEF's NMS threshold.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from support.hailo_fake import (
    CLASSES,
    INPUT_SHAPE,
    FakeArch,
    FakeHailo,
    HailoRTException,
    HailoRTHEFNotCompatibleWithDevice,
    HailoRTInvalidHEFException,
    HailoRTStatusException,
    HailoRTTimeout,
    empty_classes,
    status_exception,
)

from eva_errors import DetectorError
from pipelines.detectors.hailo import chip as hailo_chip
from pipelines.detectors.hailo import runtime as hailo_runtime
from pipelines.detectors.hailo.chip import detect_architecture, normalize_architecture
from pipelines.detectors.hailo.config import HailoDetectorConfig
from pipelines.detectors.hailo.detector import HailoDetector, letterbox_rgb_uint8
from pipelines.detectors.hailo.errors import DRIVER_MISMATCH, SDK_MISSING
from pipelines.detectors.hailo.hef import hef_architecture
from pipelines.detectors.letterbox import PAD_VALUE, letterbox
from pipelines.models.hailo_manifest import load_manifest

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("EVA_MODELS_DIR", str(folder))
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(hailo_chip, "hailortcli_architecture", lambda: None)
    return folder


@pytest.fixture(autouse=True)
def fresh_chip(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no VDevice open in the process."""
    monkeypatch.setattr(hailo_runtime, "_CHIP", hailo_runtime.SharedChip())


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, models_dir: Path) -> Iterator[FakeHailo]:
    state = FakeHailo()
    monkeypatch.setitem(sys.modules, "hailo_platform", state.module())
    yield state


def put_hef(folder: Path, name: str, arch: str | None = None) -> Path:
    """A HEF file; `arch` (default: from the name) is the chip HailoRT finds in it."""
    arch = arch or ("hailo8l" if "_h8l" in name else "hailo8" if "_h8" in name else None)
    path = folder / name
    marker = f"arch={arch};" if arch else ""
    path.write_bytes(f"HEF fake bytes {marker} {name}".encode())
    return path


def content_box(frame: npt.NDArray[np.uint8]) -> tuple[int, int, int, int]:
    """(x1, y1, x2, y2) in input pixels of what is not letterbox grey."""
    not_grey = np.any(frame != PAD_VALUE, axis=2)
    ys, xs = np.flatnonzero(not_grey.any(axis=1)), np.flatnonzero(not_grey.any(axis=0))
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


#: Where the fake "finds" a person: a fraction (x1, y1, x2, y2) of the picture it was given.
PERSON = (0.30, 0.05, 0.65, 0.95)


def person_in_picture(frame: npt.NDArray[np.uint8]) -> list[npt.NDArray[np.float32]]:
    """A model that sees a person at PERSON of the picture area, wherever the borders are."""
    x1, y1, x2, y2 = content_box(frame)
    in_h, in_w = frame.shape[:2]
    px1, py1, px2, py2 = PERSON
    row = [
        (y1 + py1 * (y2 - y1)) / in_h,
        (x1 + px1 * (x2 - x1)) / in_w,
        (y1 + py2 * (y2 - y1)) / in_h,
        (x1 + px2 * (x2 - x1)) / in_w,
        0.87,
    ]
    out = empty_classes()
    out[0] = np.array([row], np.float32)
    out[2] = np.array([[0.0, 0.0, 0.01, 0.01, 0.1]], np.float32)  # below the threshold
    return out


def astronaut_bgr(height: int, width: int) -> npt.NDArray[np.uint8]:
    """A real photo (skimage's astronaut, RGB) as a BGR frame of the given size."""
    rgb = skimage_data.astronaut()
    frame = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(frame[..., ::-1])


@pytest.mark.parametrize(("height", "width"), [(360, 640), (600, 400)])
def test_end_to_end_on_a_photo(fake: FakeHailo, models_dir: Path, height: int, width: int) -> None:
    fake.respond = person_in_picture
    hef = put_hef(models_dir, "yolov8s_h8l.hef")
    detector = HailoDetector.open(HailoDetectorConfig(timeout_ms=750))
    frame = astronaut_bgr(height, width)
    det = detector.detect(frame)

    # Set up the way the brief and HailoRT's InferModel flow require.
    assert fake.loaded == [str(hef)]
    assert fake.scheduling == ["ROUND_ROBIN"]
    assert fake.batch_sizes == [1]
    assert fake.formats["input"] == "UINT8"
    assert fake.formats[fake.output_names[0]] == "FLOAT32"
    assert fake.timeouts == [750]
    (buffers,) = fake.output_buffers
    (buf,) = buffers.values()
    assert buf.dtype == np.float32 and buf.shape == (CLASSES * 501,)

    # The frame given to set_buffer: uint8 RGB at the model's (H, W, C), letterboxed in grey.
    (given,) = fake.inputs
    assert given.dtype == np.uint8 and given.shape == INPUT_SHAPE
    x1, y1, x2, y2 = content_box(given)
    scale = min(640 / width, 640 / height)
    assert (x2 - x1, y2 - y1) == (round(width * scale), round(height * scale))
    assert (x1, y1) == ((640 - (x2 - x1)) // 2, (640 - (y2 - y1)) // 2)
    assert np.all(given[:y1] == PAD_VALUE) and np.all(given[y2:] == PAD_VALUE)
    assert np.all(given[:, :x1] == PAD_VALUE) and np.all(given[:, x2:] == PAD_VALUE)
    expected_rgb = cv2.resize(frame, (x2 - x1, y2 - y1), interpolation=cv2.INTER_LINEAR)[..., ::-1]
    np.testing.assert_array_equal(given[y1:y2, x1:x2], expected_rgb)

    # The box comes back normalized to the original frame.
    assert det.labels == ("person",)
    np.testing.assert_allclose(det.boxes[0], PERSON, atol=2 / min(height, width))
    assert det.scores[0] == pytest.approx(0.87)
    assert detector.names[:3] == ("person", "bicycle", "car")
    detector.close()
    assert fake.open_vdevices == 0 and fake.configured_open == 0


def test_model_name_picks_the_file_for_the_chip(fake: FakeHailo, models_dir: Path) -> None:
    fake.arch = FakeArch.HAILO8
    put_hef(models_dir, "yolov8s_h8l.hef")
    h8 = put_hef(models_dir, "yolov8s_h8.hef")
    HailoDetector.open(HailoDetectorConfig(model="yolov8s")).close()
    assert fake.loaded == [str(h8)]


def test_hailo8_hef_on_a_hailo8l_is_refused(fake: FakeHailo, models_dir: Path) -> None:
    fake.arch = FakeArch.HAILO8L
    hef = put_hef(models_dir, "yolov8s_h8.hef")
    with pytest.raises(DetectorError) as err:
        HailoDetector.open(HailoDetectorConfig(model=str(hef)))
    msg = str(err.value)
    assert "built for the Hailo-8 " in msg and "has a Hailo-8L" in msg
    assert "detector.model to 'yolov8s'" in msg and "yolov8s_h8l.hef" in msg
    assert "eva models fetch yolov8s" in msg
    assert fake.loaded == []
    assert fake.open_vdevices == 0  # released on failure


def test_hailo8l_hef_on_a_hailo8_runs_with_a_warning(
    fake: FakeHailo, models_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """HailoRT only warns here (device_internal.cpp); the old code refused the file."""
    fake.arch = FakeArch.HAILO8
    fake.respond = person_in_picture
    hef = put_hef(models_dir, "yolov8s_h8l.hef")
    with caplog.at_level("WARNING", logger="pipelines.detectors.hailo"):
        detector = HailoDetector.open(HailoDetectorConfig(model=str(hef)))
    assert fake.loaded == [str(hef)]
    assert fake.warnings and "lower performance" in fake.warnings[0]
    assert "slower" in caplog.text and "yolov8s_h8.hef" in caplog.text
    assert "eva models fetch yolov8s" in caplog.text
    assert detector.detect(astronaut_bgr(200, 300)).labels == ("person",)
    detector.close()


def test_a_hailo8_falls_back_to_the_installed_hailo8l_file(
    fake: FakeHailo, models_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The Pi's hailo-models package installs only *_h8l.hef files."""
    fake.arch = FakeArch.HAILO8
    h8l = put_hef(models_dir, "yolov8s_h8l.hef")
    with caplog.at_level("WARNING", logger="pipelines.detectors.hailo"):
        HailoDetector.open(HailoDetectorConfig(model="yolov8s")).close()
    assert fake.loaded == [str(h8l)]
    assert "yolov8s_h8.hef" in caplog.text


def test_model_zoo_layout_tells_the_chip(fake: FakeHailo, tmp_path: Path) -> None:
    fake.arch = FakeArch.HAILO8L
    hef = tmp_path / "hailo8" / "yolov11n.hef"
    hef.parent.mkdir()
    hef.write_bytes(b"x")
    with pytest.raises(DetectorError, match=r"'yolo11n'.*yolov11n_h8l\.hef"):
        HailoDetector.open(HailoDetectorConfig(model=str(hef)))


def test_hailort_incompatibility_names_the_right_entry(fake: FakeHailo, tmp_path: Path) -> None:
    fake.fail_load = HailoRTHEFNotCompatibleWithDevice("HEF file is not compatible with device")
    hef = tmp_path / "yolov8n.hef"  # nothing in the name tells the chip
    hef.write_bytes(b"x")
    with pytest.raises(DetectorError, match=r"another Hailo chip.*'yolov8n'.*yolov8n_h8l\.hef"):
        HailoDetector.open(HailoDetectorConfig(model=str(hef)))
    assert fake.open_vdevices == 0


@pytest.mark.parametrize(
    "exc",
    [
        HailoRTException("libhailort failed with error: 76 (HAILO_INVALID_DRIVER_VERSION)"),
        HailoRTStatusException(76),
    ],
    ids=["wrapped", "status-76"],
)
def test_driver_version_mismatch(fake: FakeHailo, exc: Exception) -> None:
    fake.fail_create = exc
    with pytest.raises(DetectorError) as err:
        HailoDetector.open(HailoDetectorConfig())
    msg = str(err.value)
    assert msg == DRIVER_MISMATCH
    for word in ("hailort", "hailo-dkms", "python3-hailort", "same version", "reboot"):
        assert word in msg


def test_missing_sdk(monkeypatch: pytest.MonkeyPatch, models_dir: Path) -> None:
    monkeypatch.setitem(sys.modules, "hailo_platform", None)  # makes the import fail
    put_hef(models_dir, "yolov8s_h8l.hef")
    with pytest.raises(DetectorError) as err:
        HailoDetector.open(HailoDetectorConfig())
    assert str(err.value) == (
        "hailo_platform is not installed: `sudo apt install hailo-all` and create the venv "
        "with --system-site-packages (scripts/install-pi.sh does both)"
    )
    assert str(err.value) == SDK_MISSING
    assert isinstance(err.value.__cause__, ImportError)


def test_missing_hef_names_the_fetch_command(fake: FakeHailo) -> None:
    with pytest.raises(DetectorError, match=r"yolov8n_h8l\.hef.*`eva models fetch yolov8n`"):
        HailoDetector.open(HailoDetectorConfig(model="yolov8n"))
    assert fake.open_vdevices == 0


@pytest.mark.parametrize("status", [26, 91, 92])
def test_damaged_hef_names_the_fetch_command(
    fake: FakeHailo, models_dir: Path, status: int
) -> None:
    """HailoRT 4.21+ reports 91/92 as a plain HailoRTException (no class of their own)."""
    put_hef(models_dir, "yolov8s_h8l.hef")
    fake.fail_load = status_exception(status)
    if status == 26:
        assert isinstance(fake.fail_load, HailoRTInvalidHEFException)
    with pytest.raises(
        DetectorError, match=r"not a valid HEF.*delete it and run `eva models fetch`"
    ):
        HailoDetector.open(HailoDetectorConfig())
    assert fake.open_vdevices == 0


def test_unsupported_chip(fake: FakeHailo) -> None:
    fake.arch = FakeArch.HAILO10H
    with pytest.raises(DetectorError, match="HAILO10H.*Hailo-8 and Hailo-8L"):
        HailoDetector.open(HailoDetectorConfig())


def test_identify_falls_back_to_hailortcli(
    fake: FakeHailo, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.arch = FakeArch.HAILO8
    fake.fail_identify = HailoRTException("control failed")
    monkeypatch.setattr(hailo_chip, "hailortcli_architecture", lambda: "HAILO8")
    h8 = put_hef(models_dir, "yolov8s_h8.hef")
    HailoDetector.open(HailoDetectorConfig()).close()
    assert fake.loaded == [str(h8)]


def test_unknown_chip_is_an_error(fake: FakeHailo) -> None:
    fake.fail_identify = HailoRTException("control failed")
    with pytest.raises(DetectorError, match="Hailo-8 or a Hailo-8L"):
        HailoDetector.open(HailoDetectorConfig())


def test_inference_timeout_is_explained(fake: FakeHailo, models_dir: Path) -> None:
    put_hef(models_dir, "yolov8s_h8l.hef")
    fake.fail_run = HailoRTTimeout("Received a timeout")
    detector = HailoDetector.open(HailoDetectorConfig())
    with pytest.raises(DetectorError, match="timed out.*timeout_ms"):
        detector.detect(astronaut_bgr(120, 160))
    detector.close()


def test_hef_without_nms_output_is_refused(fake: FakeHailo, models_dir: Path) -> None:
    put_hef(models_dir, "yolov8s_h8l.hef")
    fake.output_names = ("conv1", "conv2", "conv3")
    with pytest.raises(DetectorError, match="3 outputs.*NMS"):
        HailoDetector.open(HailoDetectorConfig())
    assert fake.open_vdevices == 0


def test_labels_file(fake: FakeHailo, models_dir: Path, tmp_path: Path) -> None:
    put_hef(models_dir, "yolov8s_h8l.hef")
    labels = tmp_path / "labels.txt"
    labels.write_text("sheep\ngoat\n\n")
    fake.respond = person_in_picture
    detector = HailoDetector.open(HailoDetectorConfig(labels_file=str(labels)))
    assert detector.names == ("sheep", "goat")
    assert detector.detect(astronaut_bgr(200, 300)).labels == ("sheep",)
    detector.close()


def test_close_is_idempotent_and_detect_after_close_fails(
    fake: FakeHailo, models_dir: Path
) -> None:
    put_hef(models_dir, "yolov8s_h8l.hef")
    detector = HailoDetector.open(HailoDetectorConfig())
    detector.close()
    detector.close()
    assert fake.open_vdevices == 0
    with pytest.raises(DetectorError, match="after close"):
        detector.detect(astronaut_bgr(100, 100))


def test_detect_architecture(fake: FakeHailo) -> None:
    fake.arch = FakeArch.HAILO8
    assert detect_architecture() == "hailo8"


def test_detect_architecture_without_sdk_or_cli(
    monkeypatch: pytest.MonkeyPatch, models_dir: Path
) -> None:
    monkeypatch.setitem(sys.modules, "hailo_platform", None)
    assert detect_architecture() is None


@pytest.mark.parametrize(
    ("raw", "arch"),
    [
        (FakeArch.HAILO8L, "hailo8l"),
        (FakeArch.HAILO8, "hailo8"),
        ("HAILO8_B0", "hailo8"),  # what older hailortcli prints for a Hailo-8
        ("HAILO8L", "hailo8l"),
        ("DeviceArchitectureTypes.HAILO8L", "hailo8l"),
    ],
)
def test_normalize_architecture(raw: object, arch: str) -> None:
    assert normalize_architecture(raw) == arch


@pytest.mark.parametrize(
    ("name", "arch"),
    [
        ("yolov8s_h8l.hef", "hailo8l"),
        ("yolov8s_h8.hef", "hailo8"),
        ("yolov5n_seg_h8l_mz.hef", "hailo8l"),
        ("yolov8s_pose_h8l_pi.hef", "hailo8l"),
        ("hailo8l/yolov8s.hef", "hailo8l"),
        ("custom.hef", None),
    ],
)
def test_hef_architecture(name: str, arch: str | None) -> None:
    assert hef_architecture(Path("/models") / name, load_manifest()) == arch


@pytest.mark.parametrize("size", [(640, 640), (416, 256)])
@pytest.mark.parametrize("frame_hw", [(360, 640), (640, 360), (480, 640), (77, 1000), (640, 640)])
def test_uint8_letterbox_matches_the_float_one(
    frame_hw: tuple[int, int], size: tuple[int, int]
) -> None:
    frame = astronaut_bgr(*frame_hw)
    u8 = letterbox_rgb_uint8(frame, size)
    ref = letterbox(frame, size)
    assert (u8.scale, u8.pad_x, u8.pad_y) == (ref.scale, ref.pad_x, ref.pad_y)
    assert u8.tensor.shape == (1, size[1], size[0], 3) and u8.tensor.flags.c_contiguous
    back = np.rint(ref.tensor[0].transpose(1, 2, 0) * 255).astype(np.uint8)
    np.testing.assert_array_equal(u8.tensor[0], back)


def test_unreadable_labels_file_releases_the_device(fake: FakeHailo, models_dir: Path) -> None:
    put_hef(models_dir, "yolov8s_h8l.hef")
    with pytest.raises(DetectorError, match="cannot read labels_file"):
        HailoDetector.open(HailoDetectorConfig(labels_file=str(models_dir / "none.txt")))
    assert fake.open_vdevices == 0 and fake.configured_open == 0


def test_two_cameras_share_one_chip(fake: FakeHailo, models_dir: Path) -> None:
    """The fake refuses a second VDevice, as HailoRT does; the old code opened one per camera."""
    fake.respond = person_in_picture
    hef = put_hef(models_dir, "yolov8s_h8l.hef")
    detectors: list[HailoDetector] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            detectors.append(HailoDetector.open(HailoDetectorConfig()))
        except BaseException as exc:  # reported below
            errors.append(exc)

    # Each camera opens its detector in its own thread, as the runner does.
    threads = [threading.Thread(target=open_one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
        assert not t.is_alive()
    assert errors == []
    assert len(fake.vdevice_params) == 1 and fake.open_vdevices == 1
    assert fake.scheduling == ["ROUND_ROBIN"]
    assert fake.loaded == [str(hef), str(hef)]
    first, second = detectors
    assert first.detect(astronaut_bgr(200, 300)).labels == ("person",)
    assert second.detect(astronaut_bgr(300, 200)).labels == ("person",)
    first.close()
    assert fake.open_vdevices == 1  # the other camera still uses the chip
    assert second.detect(astronaut_bgr(120, 160)).labels == ("person",)
    second.close()
    assert fake.open_vdevices == 0 and fake.configured_open == 0


def test_two_cameras_with_two_models_on_one_chip(fake: FakeHailo, models_dir: Path) -> None:
    put_hef(models_dir, "yolov8s_h8l.hef")
    small = put_hef(models_dir, "yolov8n_h8l.hef")
    dog = empty_classes()
    dog[16] = np.array([[0.2, 0.2, 0.6, 0.6, 0.9]], np.float32)
    fake.respond = person_in_picture
    fake.respond_by_hef[str(small)] = lambda frame: dog
    big_model = HailoDetector.open(HailoDetectorConfig(model="yolov8s"))
    small_model = HailoDetector.open(HailoDetectorConfig(model="yolov8n"))
    frame = astronaut_bgr(240, 320)
    assert small_model.detect(frame).labels == ("dog",)
    assert big_model.detect(frame).labels == ("person",)
    assert fake.runs == [str(small), str(models_dir / "yolov8s_h8l.hef")]
    assert len(fake.vdevice_params) == 1
    small_model.close()
    big_model.close()
    assert fake.open_vdevices == 0


def test_a_chip_held_by_another_program_says_how_to_share_it(
    fake: FakeHailo, models_dir: Path
) -> None:
    put_hef(models_dir, "yolov8s_h8l.hef")
    fake.open_vdevices = 1  # another program holds the chip
    with pytest.raises(DetectorError) as err:
        HailoDetector.open(HailoDetectorConfig())
    msg = str(err.value)
    assert "HAILO_OUT_OF_PHYSICAL_DEVICES" in msg and "multi_process_service" in msg
    assert "hailort.service" in msg


def test_the_multi_process_service_is_asked_for(fake: FakeHailo, models_dir: Path) -> None:
    put_hef(models_dir, "yolov8s_h8l.hef")
    fake.open_vdevices = 1  # e.g. hailo-apps, also through the service
    config = HailoDetectorConfig(multi_process_service=True, group_id="farm")
    detector = HailoDetector.open(config)
    (params,) = fake.vdevice_params
    assert params.multi_process_service is True and params.group_id == "farm"
    assert params.scheduling_algorithm == "ROUND_ROBIN"
    with pytest.raises(DetectorError, match="same detector.multi_process_service"):
        HailoDetector.open(HailoDetectorConfig())
    detector.close()
    assert fake.open_vdevices == 1  # only the other program's


def test_a_low_score_threshold_is_set_on_the_hefs_nms(fake: FakeHailo, models_dir: Path) -> None:
    """Boxes under the HEF's NMS threshold (0.2) never leave HailoRT unless it is lowered."""
    put_hef(models_dir, "yolov8s_h8l.hef")
    faint = empty_classes()
    faint[18] = np.array([[0.1, 0.1, 0.5, 0.5, 0.15]], np.float32)  # a sheep at 0.15
    fake.respond = lambda frame: faint
    detector = HailoDetector.open(HailoDetectorConfig(score_threshold=0.1))
    assert detector.detect(astronaut_bgr(200, 200)).labels == ("sheep",)
    assert list(fake.nms_thresholds.values()) == [pytest.approx(0.1)]
    detector.close()


def test_a_low_score_threshold_on_an_unknown_hef_is_warned_about(
    fake: FakeHailo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hef = put_hef(tmp_path, "custom.hef", arch="hailo8l")
    with caplog.at_level("WARNING", logger="pipelines.detectors.hailo"):
        HailoDetector.open(HailoDetectorConfig(model=str(hef), score_threshold=0.05)).close()
    assert "score_threshold 0.05 is below the 0.2" in caplog.text
    assert fake.nms_thresholds == {}


def test_a_broken_sdk_install_gives_the_install_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """hailo_platform/__init__.py raises MissingPyHRTLib (not an ImportError) when its C
    library is missing (hailo-ai/hailort v4.23.0, bindings/python/platform)."""
    package = tmp_path / "site" / "hailo_platform"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "class MissingPyHRTLib(Exception):\n"
        "    pass\n"
        "raise MissingPyHRTLib('pyhailort/ should include a _pyhailort library')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "hailo_platform", raising=False)
    with pytest.raises(DetectorError) as err:
        hailo_chip.import_sdk()
    assert str(err.value).startswith(SDK_MISSING)
    assert "MissingPyHRTLib" in str(err.value)
    assert detect_architecture() is None  # eva check's hardware line does not crash either


def test_a_hef_that_refuses_the_lower_threshold_still_loads(
    fake: FakeHailo, models_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    put_hef(models_dir, "yolov8s_h8l.hef")
    fake.host_nms = False
    with caplog.at_level("WARNING", logger="pipelines.detectors.hailo"):
        detector = HailoDetector.open(HailoDetectorConfig(score_threshold=0.1))
    assert "does not take a lower NMS score threshold" in caplog.text
    assert len(fake.loaded) == 2 and fake.configured_open == 1
    detector.close()
    assert fake.open_vdevices == 0 and fake.configured_open == 0
