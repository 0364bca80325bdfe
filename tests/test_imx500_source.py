"""Imx500Source against fakes of picamera2 and its IMX500 helper.

The IMX500 fake keeps the real helper's behaviour where it matters: it must be built
before Picamera2, `get_outputs` rebuilds the tensors from the flat metadata list in
Fortran order as picamera2 does, and `convert_inference_coords` maps through the
4056x3040 sensor and the frame's ScalerCrop into the main stream.
"""

from __future__ import annotations

import logging
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from test_picamera_source import (
    MONO0,
    PERIOD_NS,
    READOUT_NS,
    WALL0,
    FakePicamera2,
    FakeSdk,
    install,
    patch_centre,
    take,
)

from pipelines.detectors.base import DetectorError
from pipelines.detectors.imx500_decode import coco90_names
from pipelines.detectors.on_sensor import OnSensorDetector, OnSensorDetectorConfig
from pipelines.sources.base import SourceError
from pipelines.sources.imx500 import NO_IMX500, Imx500Source, Imx500SourceConfig, probe
from pipelines.sources.picamera import SDK_MISSING

F32 = npt.NDArray[np.float32]
SENSOR = (4056, 3040)
ROWS = 100
# The astronaut fills most of the photo; the red patch is on the right of her helmet.
PERSON_YX = (0.04, 0.12, 0.98, 0.78)


class FakeIntrinsics:
    """NetworkIntrinsics: attributes are None until set; defaults fill inference_rate."""

    def __init__(self, **values: Any) -> None:
        self.task: str | None = None
        self.inference_rate: float | None = None
        self.bbox_normalization: bool | None = None
        self.bbox_order: str | None = None
        self.labels: list[str] | None = None
        self.ignore_dash_labels: bool | None = None
        self.preserve_aspect_ratio: bool | None = None
        self.postprocess: str | None = None
        for key, value in values.items():
            assert hasattr(self, key), key
            setattr(self, key, value)

    def update_with_defaults(self) -> None:
        if self.inference_rate is None:
            self.inference_rate = 30.0


class FakeNetwork:
    """What the IMX500 fake knows: is it there, the network, and the tensors per capture."""

    def __init__(self, sdk: FakeSdk) -> None:
        self.sdk = sdk
        self.present = True
        self.intrinsics: FakeIntrinsics | None = FakeIntrinsics(task="object detection")
        self.input_size = (320, 320)
        self.scaler_crop = (0, 0, *SENSOR)
        self.loaded: list[str] = []
        self.auto_aspect = False
        #: Capture number -> output tensors (as get_outputs returns them, batch included).
        self.outputs: dict[int, list[F32]] = {}
        self.default: list[F32] | None = None


class FakeIMX500:
    """picamera2.devices.imx500.IMX500, reduced to what the adapter calls."""

    net: FakeNetwork

    def __init__(self, network_file: str, camera_id: str = "") -> None:
        net = self.net
        if not net.present:
            raise RuntimeError("IMX500: Requested camera dev-node not found")
        assert all(c.closed for c in net.sdk.opened), "IMX500 must be created before Picamera2"
        net.sdk.events.append("IMX500")
        net.loaded.append(network_file)

    @property
    def camera_num(self) -> int:
        # As picamera2 does: libcamera's "Num" of the imx500 entry, not its place in the list.
        cameras = self.net.sdk.cameras
        return next(c["Num"] for c in cameras if c["Model"] == "imx500")

    @property
    def network_intrinsics(self) -> FakeIntrinsics | None:
        return self.net.intrinsics

    def get_input_size(self) -> tuple[int, int]:
        return self.net.input_size

    def get_outputs(self, metadata: dict[str, Any], add_batch: bool = False) -> list[F32] | None:
        flat = metadata.get("CnnOutputTensor")
        if not flat:
            return None
        data = np.fromiter(flat, dtype=np.float32)
        outputs, offset = [], 0
        for shape in metadata["CnnOutputTensorInfo"]:
            size = int(np.prod(shape))
            t = data[offset : offset + size].reshape(shape, order="F")
            outputs.append(np.expand_dims(t, 0) if add_batch else t)
            offset += size
        return outputs

    def convert_inference_coords(
        self, coords: tuple[float, ...], metadata: dict[str, Any], picam2: FakePicamera2
    ) -> tuple[int, int, int, int]:
        main_w, main_h = picam2.camera_configuration()["main"]["size"]
        cx, cy, cw, ch = metadata["ScalerCrop"]
        y0, x0, y1, x1 = coords
        left, top = max(x0 * SENSOR[0], cx), max(y0 * SENSOR[1], cy)
        right, bottom = min(x1 * SENSOR[0], cx + cw), min(y1 * SENSOR[1], cy + ch)
        sx, sy = main_w / cw, main_h / ch
        w, h = max(right - left, 0), max(bottom - top, 0)
        return (int((left - cx) * sx), int((top - cy) * sy), int(w * sx), int(h * sy))

    def set_auto_aspect_ratio(self) -> None:
        self.net.auto_aspect = True


def metadata_for(net: FakeNetwork, capture: int) -> dict[str, Any]:
    """The tensors as libcamera puts them in metadata: one flat float list plus shapes."""
    outs = net.outputs.get(capture, net.default)
    md: dict[str, Any] = {"ScalerCrop": net.scaler_crop}
    if outs is None:
        return md
    unbatched = [o[0] for o in outs]
    md["CnnOutputTensor"] = [float(v) for o in unbatched for v in o.reshape(-1, order="F")]
    md["CnnOutputTensorInfo"] = [o.shape for o in unbatched]
    return md


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    sdk = FakeSdk()
    sdk.cameras = [
        {"Model": "imx500", "Num": 0, "Id": "/base/axi/pcie@120000/rp1/i2c@88000/imx500@1a"}
    ]
    module = install(monkeypatch, sdk)
    network = FakeNetwork(sdk)
    devices = types.ModuleType("picamera2.devices")
    imx500 = types.ModuleType("picamera2.devices.imx500")
    imx500.IMX500 = FakeIMX500  # type: ignore[attr-defined]
    imx500.NetworkIntrinsics = FakeIntrinsics  # type: ignore[attr-defined]
    devices.imx500 = imx500  # type: ignore[attr-defined]
    module.devices = devices  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "picamera2.devices", devices)
    monkeypatch.setitem(sys.modules, "picamera2.devices.imx500", imx500)
    monkeypatch.setattr(FakeIMX500, "net", network, raising=False)
    sdk.metadata_hook = lambda n, cam: metadata_for(network, n)
    return network


@pytest.fixture
def rpk(tmp_path: Path) -> Path:
    path = tmp_path / "imx500_network_ssd_mobilenetv2_fpnlite_320x320_pp.rpk"
    path.write_bytes(b"9464" + bytes(60))
    return path


def ssd_outputs(rows: list[tuple[tuple[float, float, float, float], float, int]]) -> list[F32]:
    """SSD MobileNet pp: boxes [1,N,4] normalized y0,x0,y1,x1; scores; class ids; count."""
    boxes = np.zeros((1, ROWS, 4), np.float32)
    scores = np.zeros((1, ROWS), np.float32)
    classes = np.zeros((1, ROWS), np.float32)
    for i, (box, score, cls) in enumerate(rows):
        boxes[0, i], scores[0, i], classes[0, i] = box, score, cls
    return [boxes, scores, classes, np.array([[len(rows)]], np.float32)]


def yolo_outputs(rows: list[tuple[tuple[float, float, float, float], float, int]]) -> list[F32]:
    """YOLOv8n pp at 640: boxes [1,N,4] in input pixels x0,y0,x1,y1; scores; class ids."""
    boxes = np.zeros((1, ROWS, 4), np.float32)
    scores = np.zeros((1, ROWS), np.float32)
    classes = np.zeros((1, ROWS), np.float32)
    for i, (box, score, cls) in enumerate(rows):
        boxes[0, i], scores[0, i], classes[0, i] = box, score, cls
    return [boxes, scores, classes]


def make(net: FakeNetwork, rpk: Path, **config: Any) -> tuple[Imx500Source, list[float]]:
    delays: list[float] = []
    src = Imx500Source(
        Imx500SourceConfig(network=str(rpk), **config),
        clock=net.sdk.clock,
        monotonic_ns=net.sdk.monotonic_ns,
        sleep=delays.append,
        max_attempts=3,
    )
    return src, delays


def frames_of(src: Imx500Source, n: int) -> list[Any]:
    frames: Iterator[Any] = src.frames()
    got = take(frames, n)
    src.close()
    return got


def test_imx500_comes_first_and_the_camera_runs_at_the_inference_rate(
    net: FakeNetwork, rpk: Path
) -> None:
    net.intrinsics = FakeIntrinsics(task="object detection", inference_rate=25.0)
    net.default = ssd_outputs([])
    src, _ = make(net, rpk)
    frames_of(src, 1)
    assert net.sdk.events == ["IMX500", "Picamera2(0)"]
    assert net.loaded == [str(rpk)]
    cam = net.sdk.opened[0]
    assert cam.config is not None
    assert cam.config["main"] == {"size": (2028, 1520), "format": "RGB888"}
    assert cam.config["lores"] is None
    assert cam.config["controls"] == {"FrameRate": 25.0}
    assert cam.closed and net.sdk.unreleased == 0


def test_ssd_detections_arrive_on_bgr_frames_in_main_coordinates(
    net: FakeNetwork, rpk: Path
) -> None:
    dog = (0.55, 0.60, 0.95, 0.98)
    net.default = ssd_outputs([(PERSON_YX, 0.87, 0), (dog, 0.61, 17), (dog, 0.2, 2)])
    src, _ = make(net, rpk)
    (frame,) = frames_of(src, 1)
    assert frame.image.shape == (1520, 2028, 3)
    row, col = patch_centre((2028, 1520))
    assert frame.image[row, col].tolist() == [0, 0, 255]  # red, in B, G, R
    det = frame.detections
    assert det is not None
    assert det.labels == ("person", "dog")  # labels default to COCO with picamera2's dashes
    assert det.class_ids.tolist() == [0, 17]
    np.testing.assert_allclose(det.scores, [0.87, 0.61], atol=1e-6)
    y0, x0, y1, x1 = PERSON_YX
    np.testing.assert_allclose(det.boxes[0], [x0, y0, x1, y1], atol=2e-3)
    np.testing.assert_allclose(det.boxes[1], [0.60, 0.55, 0.98, 0.95], atol=2e-3)


def test_yolo_pixel_boxes_and_dash_free_labels(net: FakeNetwork, rpk: Path) -> None:
    net.input_size = (640, 640)
    net.intrinsics = FakeIntrinsics(
        task="object detection",
        bbox_normalization=True,
        bbox_order="xy",
        labels=list(coco90_names()),
        ignore_dash_labels=True,
    )
    # x0, y0, x1, y1 in input pixels; YOLO's id 16 is "dog" in the 80-class list.
    net.default = yolo_outputs([((64.0, 320.0, 320.0, 640.0), 0.9, 16)])
    src, _ = make(net, rpk)
    (frame,) = frames_of(src, 1)
    det = frame.detections
    assert det is not None and det.labels == ("dog",)
    np.testing.assert_allclose(det.boxes, [[0.1, 0.5, 0.5, 1.0]], atol=2e-3)


def test_a_16_9_main_stream_shows_a_crop_and_boxes_follow_it(net: FakeNetwork, rpk: Path) -> None:
    net.scaler_crop = (0, 380, 4056, 2280)
    above = (0.0, 0.3, 0.1, 0.5)  # only in the rows the crop leaves out
    net.default = ssd_outputs([((0.5, 0.25, 0.75, 0.5), 0.9, 0), (above, 0.9, 16)])
    src, _ = make(net, rpk, main_size=(1920, 1080))
    (frame,) = frames_of(src, 1)
    det = frame.detections
    assert frame.image.shape == (1080, 1920, 3)
    assert det is not None and det.labels == ("person",)
    top, bottom = (1520 - 380) / 2280, (2280 - 380) / 2280
    np.testing.assert_allclose(det.boxes, [[0.25, top, 0.5, bottom]], atol=2e-3)


def test_frames_without_a_tensor_are_skipped_but_counted(
    net: FakeNetwork, rpk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    net.outputs = {n: ssd_outputs([(PERSON_YX, 0.9, 0)]) for n in (3, 4, 6)}
    src, _ = make(net, rpk)
    with caplog.at_level(logging.INFO, logger="pipelines.sources.imx500"):
        frames = frames_of(src, 3)
    assert [f.index for f in frames] == [2, 3, 5]
    assert all(f.detections is not None and f.detections.labels == ("person",) for f in frames)
    assert "waiting for the IMX500 network's first output" in caplog.text


def test_timestamps_come_from_sensor_timestamp(net: FakeNetwork, rpk: Path) -> None:
    net.default = ssd_outputs([])
    src, _ = make(net, rpk)
    frames = frames_of(src, 2)
    for k, frame in enumerate(frames, start=1):
        assert frame.timestamp == pytest.approx(WALL0 + (k * PERIOD_NS - READOUT_NS) / 1e9)
        assert frame.detections is not None and len(frame.detections) == 0
    assert net.sdk.mono_ns == MONO0 + 2 * PERIOD_NS


def test_undecodable_output_skips_the_frame_and_logs_once(
    net: FakeNetwork, rpk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    net.default = [np.zeros((1, 10), np.float32)]  # not a detection network's outputs
    net.outputs = {4: ssd_outputs([(PERSON_YX, 0.9, 0)])}
    src, _ = make(net, rpk)
    with caplog.at_level(logging.ERROR, logger="pipelines.sources.imx500"):
        (frame,) = frames_of(src, 1)
    assert frame.index == 3
    assert caplog.text.count("cannot decode the IMX500 output") == 1


def test_overrides_for_a_network_without_intrinsics(
    net: FakeNetwork, rpk: Path, tmp_path: Path
) -> None:
    net.intrinsics = None
    net.input_size = (640, 640)
    labels = tmp_path / "farm.txt"
    labels.write_text("cow\n-\nsheep\n", encoding="utf-8")
    net.default = yolo_outputs([((0.0, 0.0, 320.0, 320.0), 0.8, 1)])
    src, _ = make(
        net,
        rpk,
        labels_file=str(labels),
        bbox_order="xy",
        bbox_normalization=True,
        ignore_dash_labels=True,
        fps=10,
    )
    (frame,) = frames_of(src, 1)
    assert frame.detections is not None and frame.detections.labels == ("sheep",)
    np.testing.assert_allclose(frame.detections.boxes, [[0.0, 0.0, 0.5, 0.5]], atol=2e-3)
    cam = net.sdk.opened[0]
    assert cam.config is not None and cam.config["controls"] == {"FrameRate": 10.0}


def test_preserve_aspect_ratio_sets_the_inference_crop(net: FakeNetwork, rpk: Path) -> None:
    net.intrinsics = FakeIntrinsics(task="object detection", preserve_aspect_ratio=True)
    net.default = ssd_outputs([])
    src, _ = make(net, rpk)
    frames_of(src, 1)
    assert net.auto_aspect


def test_lost_camera_is_reopened_imx500_first(net: FakeNetwork, rpk: Path) -> None:
    net.default = ssd_outputs([(PERSON_YX, 0.9, 0)])
    net.sdk.fail_captures = {2}
    src, delays = make(net, rpk)
    frames = frames_of(src, 2)
    assert [f.index for f in frames] == [0, 1]
    assert net.sdk.events == ["IMX500", "Picamera2(0)", "IMX500", "Picamera2(0)"]
    assert delays == [0.5]


def test_missing_network_file_says_how_to_install_it(net: FakeNetwork, tmp_path: Path) -> None:
    src, _ = make(net, tmp_path / "nope.rpk")
    with pytest.raises(SourceError, match="sudo apt install imx500-all") as err:
        next(iter(src.frames()))
    assert "nope.rpk" in str(err.value)
    assert net.sdk.events == []
    assert "sudo apt install imx500-all" in (probe(Imx500SourceConfig(network=str(tmp_path))) or "")


def test_no_imx500_is_a_clear_error(net: FakeNetwork, rpk: Path) -> None:
    net.present = False
    src, delays = make(net, rpk)
    with pytest.raises(SourceError) as err:
        next(iter(src.frames()))
    assert str(err.value) == NO_IMX500
    assert "rpicam-hello --list-cameras" in NO_IMX500
    assert delays == []


@pytest.mark.parametrize(
    ("intrinsics", "message"),
    [
        ({"task": "segmentation"}, "segmentation network"),
        ({"task": "object detection", "postprocess": "nanodet"}, "_pp"),
    ],
)
def test_networks_this_source_cannot_decode_are_refused(
    net: FakeNetwork, rpk: Path, intrinsics: dict[str, Any], message: str
) -> None:
    net.intrinsics = FakeIntrinsics(**intrinsics)
    src, _ = make(net, rpk)
    with pytest.raises(SourceError, match=message):
        next(iter(src.frames()))


def test_missing_sdk_says_what_to_install(monkeypatch: pytest.MonkeyPatch, rpk: Path) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)
    src = Imx500Source(Imx500SourceConfig(network=str(rpk)))
    with pytest.raises(SourceError) as err:
        next(iter(src.frames()))
    assert str(err.value) == SDK_MISSING


def test_missing_imx500_helper_says_what_to_install(
    net: FakeNetwork, rpk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "picamera2.devices.imx500", None)
    src, _ = make(net, rpk)
    with pytest.raises(SourceError, match="imx500-all"):
        next(iter(src.frames()))


def test_probe(net: FakeNetwork, rpk: Path) -> None:
    assert probe(Imx500SourceConfig(network=str(rpk))) is None
    net.sdk.cameras = [{"Model": "imx708", "Num": 0, "Id": "/base/imx708@1a"}]
    assert probe(Imx500SourceConfig(network=str(rpk))) == NO_IMX500


def test_config_defaults_and_descriptions() -> None:
    c = Imx500SourceConfig()
    assert c.network.endswith("imx500_network_ssd_mobilenetv2_fpnlite_320x320_pp.rpk")
    assert c.score_threshold == 0.5 and c.fps is None and c.main_size == (2028, 1520)
    for name, field in Imx500SourceConfig.model_fields.items():
        assert field.description, name
    with pytest.raises(ValueError, match="Extra inputs"):
        Imx500SourceConfig.model_validate({"type": "imx500", "model": "x.rpk"})


def test_on_sensor_detector_is_only_a_marker() -> None:
    config = OnSensorDetectorConfig()
    assert config.type == "imx500"
    description = OnSensorDetectorConfig.model_fields["type"].description or ""
    assert "sensor" in description and "source" in description
    with pytest.raises(DetectorError, match="use source type imx500 with detector type imx500"):
        OnSensorDetector(config).detect(np.zeros((8, 8, 3), np.uint8))


def test_with_two_cameras_the_ai_camera_is_the_one_opened(net: FakeNetwork, rpk: Path) -> None:
    """IMX500.camera_num is libcamera's "Num", but Picamera2(n) indexes the sorted list
    (picamera2 v0.3.36 picamera2.py: `global_camera_info()[camera_num]['Num']`)."""
    net.sdk.cameras = [
        {"Model": "imx500", "Num": 0, "Id": "/base/axi/pcie@120000/rp1/i2c@80000/imx500@1a"},
        {"Model": "imx708", "Num": 1, "Id": "/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a"},
    ]
    net.default = ssd_outputs([])
    src, _ = make(net, rpk)
    frames_of(src, 1)
    assert [cam.model for cam in net.sdk.opened] == ["imx500"]
    assert net.sdk.events == ["IMX500", "Picamera2(1)"]
