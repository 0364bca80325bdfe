"""The Hailo detector end to end, with hailo_platform replaced by a fake at the SDK seam.

The fake exposes exactly the classes and methods `_HailoRuntime` and `detect_architecture`
use, and answers like HailoRT does for a HailoRT-postprocess HEF: a list with one
(n, 5) float32 array per class, rows y_min, x_min, y_max, x_max, score, normalized to the
network input.
"""

from __future__ import annotations

import sys
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
)

from pipelines.detectors import hailo as hailo_mod
from pipelines.detectors.base import DetectorError
from pipelines.detectors.hailo import (
    DRIVER_MISMATCH,
    SDK_MISSING,
    HailoDetector,
    HailoDetectorConfig,
    detect_architecture,
    hef_architecture,
    letterbox_rgb_uint8,
    normalize_architecture,
)
from pipelines.detectors.letterbox import PAD_VALUE, letterbox
from pipelines.models.hailo_manifest import load_manifest

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("EVA_MODELS_DIR", str(folder))
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(hailo_mod, "hailortcli_architecture", lambda: None)
    return folder


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, models_dir: Path) -> Iterator[FakeHailo]:
    state = FakeHailo()
    monkeypatch.setitem(sys.modules, "hailo_platform", state.module())
    yield state


def put_hef(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(b"HEF fake bytes " + name.encode())
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


def test_hef_for_the_other_chip_is_refused(fake: FakeHailo, models_dir: Path) -> None:
    fake.arch = FakeArch.HAILO8
    hef = put_hef(models_dir, "yolov8s_h8l.hef")
    with pytest.raises(DetectorError) as err:
        HailoDetector.open(HailoDetectorConfig(model=str(hef)))
    msg = str(err.value)
    assert "built for the Hailo-8L" in msg and "has a Hailo-8" in msg
    assert "detector.model to 'yolov8s'" in msg and "yolov8s_h8.hef" in msg
    assert "eva models fetch yolov8s" in msg
    assert fake.loaded == []
    assert fake.open_vdevices == 0  # released on failure


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


def test_corrupt_hef_names_the_fetch_command(fake: FakeHailo, models_dir: Path) -> None:
    put_hef(models_dir, "yolov8s_h8l.hef")
    fake.fail_load = HailoRTInvalidHEFException("Invalid HEF. See hailort.log")
    with pytest.raises(DetectorError, match=r"not a valid HEF.*`eva models fetch`"):
        HailoDetector.open(HailoDetectorConfig())


def test_unsupported_chip(fake: FakeHailo) -> None:
    fake.arch = FakeArch.HAILO10H
    with pytest.raises(DetectorError, match="HAILO10H.*Hailo-8 and Hailo-8L"):
        HailoDetector.open(HailoDetectorConfig())


def test_identify_falls_back_to_hailortcli(
    fake: FakeHailo, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.fail_identify = HailoRTException("control failed")
    monkeypatch.setattr(hailo_mod, "hailortcli_architecture", lambda: "HAILO8")
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
