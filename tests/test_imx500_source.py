"""Imx500Source against fakes of picamera2 and its IMX500 helper.

The IMX500 fake keeps the real helper's behaviour where it matters (raspberrypi/picamera2
v0.3.36, picamera2/devices/imx500/imx500.py): it must be built before Picamera2,
`camera_num` is libcamera's "Num", `network_intrinsics` is None when the .rpk has none,
`get_outputs` rebuilds the tensors from the flat metadata list in Fortran order, the
inference region starts as the whole 4056x3040 sensor and `set_auto_aspect_ratio` makes it
a centred crop with the input tensor's aspect ratio, and `convert_inference_coords` scales
a box to the whole sensor, only clips it to that region, then maps it through the raw
size and the frame's ScalerCrop into the main stream (libcamera Rectangle arithmetic).

The networks are described as raspberrypi/imx500-models (commit ddfe4c7, July 2025) ships
them: the SSD and EfficientDet .rpk files carry `network_intrinsics` (copied below), the
YOLOv8n / YOLO11n ones carry none, and their four outputs hold 1200, 300, 300 and 1
values (network_info.txt `outputTensorDimSize1..4`).
"""

from __future__ import annotations

import json
import logging
import struct
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

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

from eva_errors import DetectorError
from pipelines.detectors.imx500_decode import coco90_names
from pipelines.detectors.on_sensor import OnSensorDetector, OnSensorDetectorConfig
from pipelines.sources.base import SourceError
from pipelines.sources.imx500 import NO_IMX500, Imx500Source, Imx500SourceConfig, probe
from pipelines.sources.picamera import SDK_MISSING

F32 = npt.NDArray[np.float32]
SENSOR = (4056, 3040)
ROWS = 100
YOLO_ROWS = 300
#: picamera2's examples/imx500/assets/coco_labels.txt, as the SSD .rpk's intrinsics carry it.
COCO90 = (  # noqa: SIM905 - the file's lines, kept readable
    "person,bicycle,car,motorcycle,airplane,bus,train,truck,boat,traffic light,"
    "fire hydrant,-,stop sign,parking meter,bench,bird,cat,dog,horse,sheep,cow,elephant,"
    "bear,zebra,giraffe,-,backpack,umbrella,-,-,handbag,tie,suitcase,frisbee,skis,"
    "snowboard,sports ball,kite,baseball bat,baseball glove,skateboard,surfboard,"
    "tennis racket,bottle,-,wine glass,cup,fork,knife,spoon,bowl,banana,apple,sandwich,"
    "orange,broccoli,carrot,hot dog,pizza,donut,cake,chair,couch,potted plant,bed,-,"
    "dining table,-,-,toilet,-,tv,laptop,mouse,remote,keyboard,cell phone,microwave,oven,"
    "toaster,sink,refrigerator,-,book,clock,vase,scissors,teddy bear,hair drier,toothbrush"
).split(",")
#: File name -> (input tensor size, network_intrinsics JSON or None), as shipped.
REAL_NETWORKS: dict[str, tuple[tuple[int, int], dict[str, Any] | None]] = {
    "imx500_network_ssd_mobilenetv2_fpnlite_320x320_pp.rpk": (
        (320, 320),
        {"inference_rate": 26, "task": "object detection", "classes": {"labels": COCO90}},
    ),
    "imx500_network_efficientdet_lite0_pp.rpk": (
        (320, 320),
        {
            "inference_rate": 23,
            "task": "object detection",
            "cpu": {"bbox_normalization": True},
            "input_aspect_ratio": {"width": 1, "height": 1},
            "classes": {"labels": COCO90},
        },
    ),
    "imx500_network_yolov8n_pp.rpk": ((640, 640), None),
    "imx500_network_yolo11n_pp.rpk": ((640, 640), None),
}
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

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> FakeIntrinsics:
        """What NetworkIntrinsics(val) answers for an .rpk's network_intrinsics JSON."""
        cpu = value.get("cpu", {})
        classes = value.get("classes", {})
        aspect = value.get("input_aspect_ratio")
        return cls(
            task=value.get("task"),
            inference_rate=value.get("inference_rate"),
            bbox_normalization=cpu.get("bbox_normalization"),
            bbox_order=cpu.get("bbox_order"),
            postprocess=cpu.get("post_processing"),
            labels=classes.get("labels"),
            ignore_dash_labels=classes.get("ignore_undefined"),
            preserve_aspect_ratio=None if aspect is None else aspect["width"] == aspect["height"],
        )


class Rect(NamedTuple):
    """libcamera.Rectangle with the operations picamera2's box mapping uses."""

    x: int
    y: int
    width: int
    height: int

    def scaled_by(self, num: tuple[int, int], den: tuple[int, int]) -> Rect:
        return Rect(
            self.x * num[0] // den[0],
            self.y * num[1] // den[1],
            self.width * num[0] // den[0],
            self.height * num[1] // den[1],
        )

    def bounded_to(self, b: Rect) -> Rect:
        left, top = max(self.x, b.x), max(self.y, b.y)
        right = min(self.x + self.width, b.x + b.width)
        bottom = min(self.y + self.height, b.y + b.height)
        return Rect(left, top, max(right - left, 0), max(bottom - top, 0))

    def translated_by(self, dx: int, dy: int) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.width, self.height)


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
        self.roi: Rect | None = None
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
        # The constructor ends with set_inference_roi_abs(full sensor).
        self.config: dict[str, Any] = {"roi": Rect(0, 0, *SENSOR)}

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
        conf = picam2.camera_configuration()
        isp = tuple(conf["main"]["size"])
        raw = tuple(conf["raw"]["size"])
        scaler_crop = Rect(*metadata["ScalerCrop"])
        y0, x0, y1, x1 = coords
        w, h = SENSOR
        obj = Rect(*(max(int(v), 0) for v in (x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h)))
        sensor_crop = scaler_crop.scaled_by(raw, SENSOR)
        obj = obj.bounded_to(self.config["roi"])  # clipped to the region, not mapped through it
        obj = obj.scaled_by(raw, SENSOR).bounded_to(sensor_crop)
        obj = obj.translated_by(-sensor_crop.x, -sensor_crop.y)
        return tuple(obj.scaled_by(isp, (sensor_crop.width, sensor_crop.height)))  # type: ignore[return-value]

    def set_auto_aspect_ratio(self) -> None:
        self.net.auto_aspect = True
        # set_inference_aspect_ratio(input size): the largest centred crop of that shape.
        in_w, in_h = self.net.input_size
        w, h = SENSOR
        if w * in_h > h * in_w:
            cw, ch = h * in_w // in_h, h
        else:
            cw, ch = w, w * in_h // in_w
        self.config["roi"] = self.net.roi = Rect((w - cw) // 2, (h - ch) // 2, cw, ch)


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


def write_rpk(path: Path, intrinsics: dict[str, Any] | None, outputs: tuple[int, ...]) -> Path:
    """An .rpk laid out as the real ones: one firmware block ("9464", size, flags, body,
    "3695") and a cpio "newc" archive with imx500_regs, network_info.txt and, when given,
    network_intrinsics."""
    size = 64
    block = b"9464" + struct.pack(">I", size) + bytes(8) + bytes(size + 44) + b"3695"
    info = "".join(f"outputTensorDimSize{i}={n}\n" for i, n in enumerate(outputs, start=1))
    files = {"imx500_regs": bytes(392), "network_info.txt": info.encode()}
    if intrinsics is not None:
        files["network_intrinsics"] = json.dumps(intrinsics).encode()
    archive = b""
    for name, data in [*files.items(), ("TRAILER!!!", b"")]:
        fields = [0, 0o100644, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0]
        header = b"070701" + b"".join(b"%08X" % v for v in fields)
        entry = header + name.encode() + b"\0"
        entry += bytes(-len(entry) % 4) + data
        archive += entry + bytes(-len(entry) % 4)
    path.write_bytes(block + archive)
    return path


def use_network(net: FakeNetwork, folder: Path, name: str) -> Path:
    """Install one of the real networks: its .rpk file and what picamera2 reads from it."""
    size, intrinsics = REAL_NETWORKS[name]
    yolo = intrinsics is None
    net.input_size = size
    net.intrinsics = None if intrinsics is None else FakeIntrinsics.from_json(intrinsics)
    return write_rpk(folder / name, intrinsics, (1200, 300, 300, 1) if yolo else (400, 100, 100, 1))


@pytest.fixture
def rpk(net: FakeNetwork, tmp_path: Path) -> Path:
    return use_network(net, tmp_path, "imx500_network_ssd_mobilenetv2_fpnlite_320x320_pp.rpk")


def ssd_outputs(rows: list[tuple[tuple[float, float, float, float], float, int]]) -> list[F32]:
    """SSD MobileNet pp: boxes [1,N,4] normalized y0,x0,y1,x1; scores; class ids; count."""
    boxes = np.zeros((1, ROWS, 4), np.float32)
    scores = np.zeros((1, ROWS), np.float32)
    classes = np.zeros((1, ROWS), np.float32)
    for i, (box, score, cls) in enumerate(rows):
        boxes[0, i], scores[0, i], classes[0, i] = box, score, cls
    return [boxes, scores, classes, np.array([[len(rows)]], np.float32)]


def yolo_outputs(rows: list[tuple[tuple[float, float, float, float], float, int]]) -> list[F32]:
    """YOLOv8n / YOLO11n pp at 640, as the .rpk's network_info.txt lays them out: boxes
    [1, 300, 4] (1200 values) in input pixels as x0, y0, x1, y1; scores [1, 300]; class ids
    [1, 300]; the number of valid rows [1, 1]."""
    boxes = np.zeros((1, YOLO_ROWS, 4), np.float32)
    scores = np.zeros((1, YOLO_ROWS), np.float32)
    classes = np.zeros((1, YOLO_ROWS), np.float32)
    for i, (box, score, cls) in enumerate(rows):
        boxes[0, i], scores[0, i], classes[0, i] = box, score, cls
    outs = [boxes, scores, classes, np.array([[len(rows)]], np.float32)]
    assert [o.size for o in outs] == [1200, 300, 300, 1]
    return outs


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


@pytest.mark.parametrize("name", ["imx500_network_yolov8n_pp.rpk", "imx500_network_yolo11n_pp.rpk"])
def test_yolo_networks_without_intrinsics_use_the_shipped_defaults(
    net: FakeNetwork, tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The old fallback (normalized, yx, 90 labels) clipped these pixel boxes to nothing."""
    rpk = use_network(net, tmp_path, name)
    assert net.intrinsics is None
    # x0, y0, x1, y1 in input pixels; Ultralytics' COCO id 16 is "dog", 2 is "car".
    net.default = yolo_outputs([((64.0, 320.0, 320.0, 640.0), 0.9, 16), ((0, 0, 64, 64), 0.8, 2)])
    src, _ = make(net, rpk)
    with caplog.at_level(logging.INFO, logger="pipelines.sources.imx500"):
        (frame,) = frames_of(src, 1)
    det = frame.detections
    assert det is not None and det.labels == ("dog", "car")
    np.testing.assert_allclose(det.boxes[0], [0.1, 0.5, 0.5, 1.0], atol=2e-3)
    assert "carries no network intrinsics; using the settings known for it" in caplog.text
    assert probe(Imx500SourceConfig(network=str(rpk))) is None


def test_the_label_list_is_a_setting(net: FakeNetwork, tmp_path: Path) -> None:
    rpk = use_network(net, tmp_path, "imx500_network_yolov8n_pp.rpk")
    net.default = yolo_outputs([((64.0, 320.0, 320.0, 640.0), 0.9, 16)])
    src, _ = make(net, rpk, labels="coco90")
    (frame,) = frames_of(src, 1)
    assert frame.detections is not None and frame.detections.labels == ("cat",)


def test_an_unknown_network_without_intrinsics_is_reported(
    net: FakeNetwork, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rpk = write_rpk(tmp_path / "my_yolo_pp.rpk", None, (1200, 300, 300, 1))
    net.intrinsics = None
    net.input_size = (640, 640)
    problem = probe(Imx500SourceConfig(network=str(rpk)))
    assert problem is not None and "my_yolo_pp.rpk carries no network intrinsics" in problem
    for setting in ("source.bbox_normalization", "source.bbox_order", "source.labels"):
        assert setting in problem
    configured = Imx500SourceConfig(network=str(rpk), bbox_order="xy", bbox_normalization=True)
    assert probe(configured) is None
    net.default = yolo_outputs([])
    src, _ = make(net, rpk)
    with caplog.at_level(logging.WARNING, logger="pipelines.sources.imx500"):
        frames_of(src, 1)
    assert "my_yolo_pp.rpk carries no network intrinsics" in caplog.text


def test_boxes_that_keep_collapsing_name_the_settings(
    net: FakeNetwork, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rpk = write_rpk(tmp_path / "my_yolo_pp.rpk", None, (1200, 300, 300, 1))
    net.intrinsics = None
    net.input_size = (640, 640)
    # Pixel boxes read as normalized ones clip to (1, 1, 1, 1): no area, no detection.
    net.default = yolo_outputs([((64.0, 320.0, 320.0, 640.0), 0.9, 16)])
    src, _ = make(net, rpk)
    with caplog.at_level(logging.WARNING, logger="pipelines.sources.imx500"):
        frames = frames_of(src, 12)
    assert all(f.detections is not None and len(f.detections) == 0 for f in frames)
    assert caplog.text.count("have no area after scaling") == 1
    assert "bbox_normalization=false, bbox_order=yx" in caplog.text
    assert "source.bbox_normalization, source.bbox_order and source.labels" in caplog.text


def test_a_square_inference_region_maps_boxes_through_it(net: FakeNetwork, tmp_path: Path) -> None:
    """efficientdet_lite0_pp asks for a 1:1 input: the sensor's centred 3040x3040 crop.
    picamera2's convert_inference_coords scales to the whole 4056 wide sensor instead."""
    rpk = use_network(net, tmp_path, "imx500_network_efficientdet_lite0_pp.rpk")
    # Its intrinsics say bbox_normalization: boxes in input pixels, y0, x0, y1, x1.
    net.default = ssd_outputs([((160.0, 80.0, 240.0, 160.0), 0.9, 0)])
    src, _ = make(net, rpk)
    (frame,) = frames_of(src, 1)
    assert net.roi == Rect(508, 0, 3040, 3040)
    left = 508
    det = frame.detections
    assert det is not None and det.labels == ("person",)
    x0 = (left + 0.25 * 3040) / SENSOR[0]
    x1 = (left + 0.5 * 3040) / SENSOR[0]
    np.testing.assert_allclose(det.boxes[0], [x0, 0.5, x1, 0.75], atol=2e-3)
