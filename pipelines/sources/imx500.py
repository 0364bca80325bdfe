"""The Raspberry Pi AI Camera (Sony IMX500): frames whose detections the sensor computed.

The network (.rpk) runs on the sensor; each frame's metadata carries its output tensors,
decoded by `pipelines.detectors.imx500_decode` and mapped onto the main image. Frames
therefore arrive with `Frame.detections` set and the runner skips the detector (the
camera's detector section says `type: imx500`, see `pipelines.detectors.on_sensor`).

picamera2 and its IMX500 helper are imported only inside `_Imx500Adapter`. Colour order
and timestamps are as in `pipelines.sources.picamera`.

Box layout and labels come, in order, from the source settings (bbox_order,
bbox_normalization, labels_file / labels), the network's own `network_intrinsics`, the
defaults we ship for known networks without intrinsics (the YOLO ones, see
`pipelines.detectors.imx500_networks`), and last picamera2's defaults (normalized boxes,
y-first, COCO with gaps), which are logged as a guess.

Inference region: networks with a 1:1 input aspect ratio (efficientdet_lite0_pp) run on a
centred square crop of the 4056x3040 sensor (`set_auto_aspect_ratio`). picamera2's
`convert_inference_coords` scales boxes to the whole sensor and only clips them to that
region, so `_Imx500Adapter.convert` first maps them through the region itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Unpack

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from pipelines.detectors.imx500_decode import (
    SensorDetections,
    TensorLayout,
    coco90_names,
    decode_outputs,
    map_to_frame,
)
from pipelines.detectors.imx500_networks import (
    LabelSet,
    RpkError,
    known_defaults,
    rpk_intrinsics,
)
from pipelines.frames import Frame
from pipelines.models.labels import coco80_names, read_labels
from pipelines.sources.base import SourceError
from pipelines.sources.picamera import (
    DEFAULT_CAPTURE_TIMEOUT,
    LIST_CAMERAS,
    MAIN_FORMAT,
    Capture,
    LiveCameraSource,
    LiveTiming,
    _Picamera2Adapter,
    camera_index,
    import_picamera2,
    to_bgr,
)

log = logging.getLogger(__name__)

DEFAULT_NETWORK = "/usr/share/imx500-models/imx500_network_ssd_mobilenetv2_fpnlite_320x320_pp.rpk"
INSTALL_MODELS = "sudo apt install imx500-all"
NO_IMX500 = (
    f"no Raspberry Pi AI Camera (IMX500) found: check the ribbon cable and that "
    f"`{LIST_CAMERAS}` lists an imx500 (after `{INSTALL_MODELS}` and a reboot)"
)
_LOG_EVERY = 100
#: Full sensor size; picamera2's IMX500 helper hard-codes it too (inference region units).
SENSOR_SIZE = (4056, 3040)
#: Frames in a row whose scored boxes all collapse before the layout is called wrong.
DEGENERATE_FRAMES = 10
LAYOUT_SETTINGS = "source.bbox_normalization, source.bbox_order and source.labels"


class Imx500SourceConfig(BaseModel):
    """A Raspberry Pi AI Camera (IMX500) running a detection network on the sensor."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["imx500"] = Field(
        "imx500", description="Selects the AI Camera; use it with detector type imx500."
    )
    network: str = Field(
        DEFAULT_NETWORK,
        description=(
            "The post-processed (_pp) object detection network (.rpk) the sensor runs; "
            f"`{INSTALL_MODELS}` puts them in /usr/share/imx500-models."
        ),
    )
    score_threshold: float = Field(
        0.5, gt=0, le=1, description="Drop detections scoring below this."
    )
    main_size: tuple[PositiveInt, PositiveInt] = Field(
        (2028, 1520),
        description="Width and height of the image kept with each frame (snapshots); 4:3 "
        "shows all the sensor sees.",
    )
    fps: float | None = Field(
        None, gt=0, le=60, description="Frames per second; empty = the network's inference rate."
    )
    labels_file: str | None = Field(
        None,
        description="Class names, one per line ('-' for unused ids); empty = `labels`, else "
        "the network's, else the known default for its file name, else COCO with gaps.",
    )
    labels: LabelSet | None = Field(
        None,
        description="A built-in class list: coco80 (ids 0-79, Ultralytics YOLO) or coco90 "
        "(ids with '-' gaps, TensorFlow SSD); empty = the network's, else the known default.",
    )
    bbox_order: Literal["xy", "yx"] | None = Field(
        None, description="Box corner order the network outputs; empty = from the network."
    )
    bbox_normalization: bool | None = Field(
        None,
        description="True if the network's boxes are in input pixels (YOLO) rather than 0..1; "
        "empty = from the network.",
    )
    ignore_dash_labels: bool | None = Field(
        None,
        description="Drop '-' entries from the labels before class ids index them (YOLO on "
        "COCO); empty = from the network.",
    )
    reconnect_max_seconds: float = Field(
        30.0, gt=0, description="Longest wait between attempts to reopen a failed camera."
    )
    capture_timeout_seconds: float = Field(
        DEFAULT_CAPTURE_TIMEOUT,
        gt=0,
        description="A camera that delivers no frame for this long counts as stalled and is "
        "reopened (at least three frame intervals are always allowed).",
    )


class _Imx500Adapter:
    """IMX500 (network upload, intrinsics, tensors, box mapping) plus its picamera2 camera."""

    def __init__(self, config: Imx500SourceConfig) -> None:
        import_picamera2()
        try:
            from picamera2.devices.imx500 import IMX500, NetworkIntrinsics
        except ImportError as exc:
            raise SourceError(
                f"picamera2's IMX500 support cannot be imported ({exc}): "
                "`sudo apt install python3-picamera2 imx500-all` (installs or upgrades both)"
            ) from exc
        network = Path(config.network).expanduser()
        if not network.is_file():
            raise SourceError(
                f"IMX500 network {network} not found: install the networks with "
                f"`{INSTALL_MODELS}`, or point source.network at an .rpk file"
            )
        log.info("loading %s onto the IMX500 (a network's first upload takes minutes)", network)
        try:
            # Before Picamera2: the constructor uploads the network and finds the camera.
            self.imx500 = IMX500(str(network))
        except Exception as exc:  # the helper raises RuntimeError, OSError or StopIteration
            if isinstance(exc, PermissionError):
                raise SourceError(
                    f"no permission to use the IMX500 ({exc}): add the user to the 'video' group"
                ) from exc
            if "not found" in str(exc) or isinstance(exc, StopIteration):
                raise SourceError(NO_IMX500) from exc
            raise SourceError(f"cannot load {network} onto the IMX500: {exc}") from exc
        described = self.imx500.network_intrinsics is not None
        intrinsics = self.imx500.network_intrinsics or NetworkIntrinsics()
        intrinsics.update_with_defaults()
        _check_task(intrinsics, network)
        self.layout = _layout(config, intrinsics, tuple(self.imx500.get_input_size()))
        if not described:
            _log_missing_intrinsics(config, network)
        fps = config.fps or float(intrinsics.inference_rate or 30.0)
        # IMX500.camera_num is libcamera's number; Picamera2(n) wants its place in the list.
        self._camera = _Picamera2Adapter(
            camera_index(self.imx500.camera_num),
            config.main_size,
            None,
            fps,
            config.capture_timeout_seconds,
        )
        self.camera = self._camera.camera
        if intrinsics.preserve_aspect_ratio:
            self.imx500.set_auto_aspect_ratio()
        names = self.layout.names
        log.info(
            "%s: input %dx%d, boxes %s in %s order, %d labels (%s...), %g fps",
            network.name,
            *self.layout.input_size,
            "in pixels" if self.layout.bbox_normalization else "normalized",
            self.layout.bbox_order,
            len(names),
            ", ".join(names[:3]),
            fps,
        )

    def capture(self) -> Capture:
        return self._camera.capture()

    def interrupt(self) -> None:
        self._camera.interrupt()

    def outputs(self, metadata: Mapping[str, Any]) -> Sequence[npt.NDArray[np.float32]] | None:
        result: Sequence[npt.NDArray[np.float32]] | None = self.imx500.get_outputs(
            metadata, add_batch=True
        )
        return result

    def convert(
        self, box: tuple[float, float, float, float], metadata: Mapping[str, Any]
    ) -> tuple[float, float, float, float]:
        r = self.imx500.convert_inference_coords(
            through_roi(box, self._roi()), metadata, self.camera
        )
        if hasattr(r, "width"):  # a libcamera Rectangle in some picamera2 versions
            return (r.x, r.y, r.width, r.height)
        x, y, w, h = r
        return (x, y, w, h)

    def _roi(self) -> tuple[int, int, int, int]:
        """The inference region (x, y, width, height) on the full sensor."""
        roi = getattr(self.imx500, "config", {}).get("roi")
        if roi is None:
            return (0, 0, *SENSOR_SIZE)
        if hasattr(roi, "width"):  # a libcamera Rectangle
            return (int(roi.x), int(roi.y), int(roi.width), int(roi.height))
        x, y, w, h = roi
        return (int(x), int(y), int(w), int(h))

    def close(self) -> None:
        self._camera.close()


def through_roi(
    box: tuple[float, float, float, float], roi: tuple[int, int, int, int]
) -> tuple[float, float, float, float]:
    """A box normalized to the input tensor (y0, x0, y1, x1) as fractions of the full sensor.

    The input tensor shows only the inference region, so 0..1 spans the region, not the
    sensor; `convert_inference_coords` expects fractions of the sensor.
    """
    rx, ry, rw, rh = roi
    sw, sh = SENSOR_SIZE
    y0, x0, y1, x1 = box
    return (
        (ry + y0 * rh) / sh,
        (rx + x0 * rw) / sw,
        (ry + y1 * rh) / sh,
        (rx + x1 * rw) / sw,
    )


def _log_missing_intrinsics(config: Imx500SourceConfig, network: Path) -> None:
    known = known_defaults(network)
    if known is not None:
        log.info(
            "%s carries no network intrinsics; using the settings known for it (boxes %s, "
            "%s order, %s labels)",
            network.name,
            "in pixels" if known.bbox_normalization else "normalized",
            known.bbox_order,
            known.labels,
        )
    elif config.bbox_order is None or config.bbox_normalization is None:
        log.warning("%s", no_intrinsics_message(network))


def no_intrinsics_message(network: Path) -> str:
    """What to do about a network that describes neither its boxes nor its labels."""
    return (
        f"{network.name} carries no network intrinsics and is not a network we know: "
        "assuming normalized boxes in y0, x0, y1, x1 order and COCO labels with gaps; if no "
        f"or odd detections arrive, set {LAYOUT_SETTINGS} (YOLO exports: bbox_normalization: "
        "true, bbox_order: xy, labels: coco80)"
    )


def _check_task(intrinsics: Any, network: Path) -> None:
    task = intrinsics.task
    if task not in (None, "object detection"):
        raise SourceError(
            f"{network.name} is a {task} network; source type imx500 needs an object "
            "detection network such as imx500_network_ssd_mobilenetv2_fpnlite_320x320_pp.rpk"
        )
    if intrinsics.postprocess:
        raise SourceError(
            f"{network.name} needs '{intrinsics.postprocess}' post-processing on the CPU, "
            "which this source does not do: use a network whose name ends in _pp"
        )


def _layout(
    config: Imx500SourceConfig, intrinsics: Any, input_size: tuple[int, ...]
) -> TensorLayout:
    known = known_defaults(Path(config.network))
    if config.labels_file:
        path = Path(config.labels_file).expanduser()
        labels = read_labels(path, "source.labels_file", SourceError)
    elif config.labels is not None:
        labels = _label_set(config.labels)
    elif intrinsics.labels:
        labels = tuple(str(label) for label in intrinsics.labels)
    elif known is not None:
        labels = _label_set(known.labels)
    else:
        labels = coco90_names()

    def pick(override: Any, value: Any, shipped: Any, default: Any) -> Any:
        for candidate in (override, value, shipped):
            if candidate is not None:
                return candidate
        return default

    width, height = (int(v) for v in input_size)
    return TensorLayout(
        input_size=(width, height),
        bbox_normalization=bool(
            pick(
                config.bbox_normalization,
                intrinsics.bbox_normalization,
                known and known.bbox_normalization,
                False,
            )
        ),
        bbox_order=pick(config.bbox_order, intrinsics.bbox_order, known and known.bbox_order, "yx"),
        labels=labels,
        ignore_dash_labels=bool(
            pick(config.ignore_dash_labels, intrinsics.ignore_dash_labels, None, False)
        ),
    )


def _label_set(name: LabelSet) -> tuple[str, ...]:
    return coco80_names() if name == "coco80" else coco90_names()


class Imx500Source(LiveCameraSource[_Imx500Adapter]):
    """Main-stream frames with `detections` from the network the sensor runs.

    Frames that carry no output tensor (while the network uploads, or when the camera
    runs faster than the network) are skipped rather than sent without detections, so
    the tracker never sees an empty frame that only means "not computed".
    """

    def __init__(
        self,
        config: Imx500SourceConfig,
        **timing: Unpack[LiveTiming],
    ) -> None:
        super().__init__("the AI camera", config.reconnect_max_seconds, **timing)
        self.config = config
        self._waiting = 0
        self._seen_output = False
        self._decode_errors = 0
        self._degenerate_run = 0
        self._warned_degenerate = False

    def _open(self) -> _Imx500Adapter:
        self._waiting = 0
        self._seen_output = False
        self._degenerate_run = 0
        return _Imx500Adapter(self.config)

    def _frame(
        self, device: _Imx500Adapter, capture: Capture, timestamp: float, index: int
    ) -> Frame | None:
        metadata = capture.metadata
        try:
            found = decode_outputs(
                device.outputs(metadata), device.layout, self.config.score_threshold
            )
        except ValueError as exc:
            self._decode_errors += 1
            if self._decode_errors == 1 or self._decode_errors % _LOG_EVERY == 0:
                log.error(
                    "cannot decode the IMX500 output (%d so far): %s", self._decode_errors, exc
                )
            return None
        if found is None:
            # Only the wait for the first output is news; later gaps are a slower network.
            if not self._seen_output:
                self._waiting += 1
                if self._waiting == 1:
                    log.info("waiting for the IMX500 network's first output")
            return None
        if not self._seen_output:
            log.info("IMX500 output arrived after %d frames without one", self._waiting)
            self._seen_output = True
        self._watch_degenerate(found, device.layout)
        image = to_bgr(capture.arrays["main"], MAIN_FORMAT)
        height, width = image.shape[:2]
        detections = map_to_frame(found, lambda box: device.convert(box, metadata), (width, height))
        return Frame(image, timestamp, index, detections)

    def _watch_degenerate(self, found: SensorDetections, layout: TensorLayout) -> None:
        """Warn once when every scored box keeps collapsing to nothing: a layout mismatch."""
        if found.degenerate and not len(found.labels):
            self._degenerate_run += 1
        elif len(found.labels):
            self._degenerate_run = 0
        if self._degenerate_run < DEGENERATE_FRAMES or self._warned_degenerate:
            return
        self._warned_degenerate = True
        log.warning(
            "%s: the network's boxes have no area after scaling in %d frames in a row, so no "
            "detection is reported. Its box format does not match bbox_normalization=%s, "
            "bbox_order=%s: set %s (YOLO exports: bbox_normalization: true, bbox_order: xy)",
            Path(self.config.network).name,
            self._degenerate_run,
            str(layout.bbox_normalization).lower(),
            layout.bbox_order,
            LAYOUT_SETTINGS,
        )


def probe(config: Imx500SourceConfig) -> str | None:
    """None when the network file exists and picamera2 lists an IMX500; otherwise what to fix."""
    network = Path(config.network).expanduser()
    if not network.is_file():
        return f"IMX500 network {network} not found: run `{INSTALL_MODELS}` or fix source.network"
    try:
        cameras = import_picamera2().Picamera2.global_camera_info()
    except SourceError as exc:
        return str(exc)
    except Exception as exc:  # libcamera failing to start is reported, not raised
        return f"libcamera cannot list cameras: {exc}"
    if not any(str(c.get("Model", "")).lower() == "imx500" for c in cameras):
        return NO_IMX500
    return layout_problem(config)


def layout_problem(config: Imx500SourceConfig) -> str | None:
    """Why detections may not decode: the network neither describes itself nor is known
    (and the settings do not say); None when the layout is known."""
    network = Path(config.network).expanduser()
    if config.bbox_order is not None and config.bbox_normalization is not None:
        return None
    try:
        intrinsics = rpk_intrinsics(network)
    except (OSError, RpkError) as exc:
        return f"cannot read {network}: {exc}"
    if intrinsics is not None or known_defaults(network) is not None:
        return None
    return no_intrinsics_message(network)
