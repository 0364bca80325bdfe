"""YOLO-family HEFs on a Hailo-8 or Hailo-8L with HailoRT's InferModel API.

`hailo_platform` (apt package python3-hailort) is imported only by `import_sdk`, when a
detector opens or the chip is identified, so this module imports on any machine.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Literal, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from pipelines.detections import Detections
from pipelines.detectors.base import Detector, DetectorError
from pipelines.detectors.hailo_decode import decode_hailo_nms
from pipelines.detectors.letterbox import place
from pipelines.models.hailo_manifest import (
    ARCH_NAMES,
    ARCHS,
    FETCH_COMMAND,
    Arch,
    HailoManifest,
    HailoModelEntry,
    labels_path,
    load_manifest,
    resolve_hef,
)
from pipelines.models.labels import read_labels

log = logging.getLogger(__name__)

UInt8Array = npt.NDArray[np.uint8]

SDK_MISSING = (
    "hailo_platform is not installed: `sudo apt install hailo-all` and create the venv with "
    "--system-site-packages (scripts/install-pi.sh does both)"
)
DRIVER_MISMATCH = (
    "the Hailo kernel driver and the HailoRT library are different versions "
    "(HAILO_INVALID_DRIVER_VERSION): install the same version of the apt packages hailort, "
    "hailo-dkms and python3-hailort (compare with `dpkg -l hailort hailo-dkms python3-hailort`; "
    "`sudo apt full-upgrade` usually aligns them), then reboot so the matching driver loads"
)
NO_DEVICE = (
    "no usable Hailo device: check that `hailortcli fw-control identify` lists it and "
    "`dmesg | grep -i hailo` shows no errors; another process may be holding the chip"
)
#: HailoRT's status code for HAILO_INVALID_DRIVER_VERSION.
STATUS_INVALID_DRIVER_VERSION = 76


class HailoDetectorConfig(BaseModel):
    """A HEF with HailoRT's built-in NMS (YOLOv5/6/8/11) run on a Hailo-8 or Hailo-8L."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["hailo"] = Field("hailo", description="Selects the Hailo-8/8L detector.")
    model: str = Field(
        "yolov8s",
        description=(
            "A model name from hailo_models/manifest.yaml (yolov8s, yolov8n, yolov6n, "
            "yolo11n; the file for the chip found is used; get it with `eva models fetch`) "
            "or a path to a .hef file."
        ),
    )
    score_threshold: float = Field(
        0.3, ge=0, le=1, description="Drop detections scoring below this."
    )
    labels_file: str | None = Field(
        None,
        description="Class names, one per line; empty = the manifest's labels, else COCO-80.",
    )
    timeout_ms: int = Field(
        1000, ge=10, le=60_000, description="Longest wait for one inference on the chip."
    )


class LetterboxedRGB(NamedTuple):
    """A uint8 network input and where the frame sits inside it."""

    tensor: UInt8Array  # [1, H, W, 3] RGB 0..255, C-contiguous
    scale: float  # input pixels per frame pixel
    pad_x: int  # left border in input pixels
    pad_y: int  # top border in input pixels


def letterbox_rgb_uint8(image: UInt8Array, size: tuple[int, int]) -> LetterboxedRGB:
    """Fit a BGR image into (width, height) on grey, as RGB uint8 NHWC for HailoRT.

    The geometry is `letterbox.place`'s; no float conversion, since the HEF has the /255
    normalization compiled in.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise DetectorError(f"expected a BGR image of shape (H, W, 3), got {image.shape}")
    placed = place(image, size)
    rgb = cv2.cvtColor(placed.image, cv2.COLOR_BGR2RGB)  # a new C-contiguous array
    tensor = np.asarray(rgb, np.uint8)[None]
    return LetterboxedRGB(tensor, placed.scale, placed.pad_x, placed.pad_y)


class HailoDetector(Detector):
    """Letterboxes frames, runs them on the Hailo chip and decodes HailoRT's NMS output."""

    def __init__(
        self,
        config: HailoDetectorConfig,
        runtime: _HailoRuntime,
        hef_path: Path,
        input_shape: tuple[int, int, int],
        names: tuple[str, ...],
    ) -> None:
        self.config = config
        self.hef_path = hef_path
        self.input_shape = input_shape
        self.names = names
        self._runtime: _HailoRuntime | None = runtime

    @classmethod
    def open(
        cls, config: HailoDetectorConfig, *, manifest: HailoManifest | None = None
    ) -> HailoDetector:
        """Find the chip, pick and check the HEF, and load it; DetectorError says what to fix."""
        manifest = manifest or load_manifest()
        runtime = _HailoRuntime(config.timeout_ms)
        try:
            arch = runtime.connect()
            hef = _choose_hef(config.model, arch, manifest)
            try:
                input_shape, _ = runtime.open(hef)
            except _HefIncompatibleError as exc:
                raise DetectorError(f"{exc}: {_right_model_hint(hef, arch, manifest)}") from exc
            entry = manifest.by_file(hef.name)
            names = _labels(config, entry)
        except BaseException:
            runtime.close()
            raise
        if entry is not None and entry.input_shape != input_shape:
            log.warning(
                "%s has input %s but the manifest says %s; using the HEF's",
                hef,
                input_shape,
                entry.input_shape,
            )
        log.info("Hailo detector: %s on the %s, input %s", hef, ARCH_NAMES[arch], input_shape)
        return cls(config, runtime, hef, input_shape, names)

    def detect(self, image: UInt8Array) -> Detections:
        """Detect objects in a BGR image of any size."""
        if self._runtime is None:
            raise DetectorError("detect() called after close()")
        in_h, in_w, _ = self.input_shape
        boxed = letterbox_rgb_uint8(image, (in_w, in_h))
        output = self._runtime.infer(boxed.tensor)
        if not isinstance(output, list | tuple | np.ndarray):
            raise DetectorError(
                f"{self.hef_path} did not return HailoRT NMS output (got {type(output).__name__}): "
                "use a HEF compiled with HailoRT NMS post-processing, like the manifest's models"
            )
        height, width = image.shape[:2]
        return decode_hailo_nms(
            output,
            self.names,
            frame_size=(width, height),
            input_size=(in_w, in_h),
            scale=boxed.scale,
            pad_x=boxed.pad_x,
            pad_y=boxed.pad_y,
            score_threshold=self.config.score_threshold,
        )

    def close(self) -> None:
        """Release the model and the Hailo device."""
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None


class _HefIncompatibleError(DetectorError):
    """HailoRT refused a HEF compiled for another chip."""


class _HailoRuntime:
    """The only code that drives hailo_platform: one VDevice and one configured InferModel."""

    def __init__(self, timeout_ms: int) -> None:
        self.timeout_ms = timeout_ms
        self.arch: Arch | None = None
        self.input_shape: tuple[int, int, int] = (0, 0, 0)
        self._stack = ExitStack()
        self._sdk: Any = None
        self._vdevice: Any = None
        self._model: Any = None
        self._configured: Any = None
        self._output_names: list[str] = []

    def connect(self) -> Arch:
        """Open the chip with the model scheduler on and tell which architecture it is."""
        sdk = self._sdk = import_sdk()
        with _sdk_errors("opening the Hailo device"):
            params = sdk.VDevice.create_params()
            # The scheduler lets other models (or threads) share the chip with this one.
            params.scheduling_algorithm = sdk.HailoSchedulingAlgorithm.ROUND_ROBIN
            self._vdevice = self._stack.enter_context(sdk.VDevice(params))
        self.arch = self._identify()
        return self.arch

    def open(self, hef_path: Path) -> tuple[tuple[int, int, int], Arch]:
        """Load and configure a HEF; returns its input shape (H, W, C) and the chip's arch."""
        arch = self.arch or self.connect()
        sdk = self._sdk
        with _sdk_errors(f"loading {hef_path}", hef=hef_path):
            model = self._vdevice.create_infer_model(str(hef_path))
            model.set_batch_size(1)
            model.input().set_format_type(sdk.FormatType.UINT8)
            self._output_names = list(model.output_names)
            for name in self._output_names:
                model.output(name).set_format_type(sdk.FormatType.FLOAT32)
            shape = tuple(int(d) for d in model.input().shape)
        if len(shape) != 3 or shape[2] != 3:
            raise DetectorError(
                f"{hef_path} expects input {shape}; an RGB (H, W, 3) input is needed"
            )
        if len(self._output_names) != 1:
            raise DetectorError(
                f"{hef_path} has {len(self._output_names)} outputs; the 'hailo' detector needs a "
                "HEF with HailoRT NMS post-processing (a single NMS output), like the "
                "manifest's models"
            )
        with _sdk_errors(f"configuring {hef_path}", hef=hef_path):
            self._configured = self._stack.enter_context(model.configure())
        self._model = model
        self.input_shape = (shape[0], shape[1], shape[2])
        return self.input_shape, arch

    def infer(self, tensor: UInt8Array) -> Any:
        """Run one uint8 NHWC RGB frame; returns the NMS output, a list of (n, 5) per class."""
        if self._configured is None:
            raise DetectorError("the Hailo model is not loaded")
        if tensor.dtype != np.uint8 or tensor.shape != (1, *self.input_shape):
            raise ValueError(
                f"expected uint8 input of shape {(1, *self.input_shape)}, "
                f"got {tensor.dtype} {tensor.shape}"
            )
        with _sdk_errors("Hailo inference"):
            buffers = {
                name: np.empty(self._model.output(name).shape, np.float32)
                for name in self._output_names
            }
            bindings = self._configured.create_bindings(output_buffers=buffers)
            # A binding holds one frame: the edge shape is (H, W, C), without the batch axis.
            bindings.input().set_buffer(np.ascontiguousarray(tensor[0]))
            self._configured.run([bindings], self.timeout_ms)
            return bindings.output().get_buffer()

    def close(self) -> None:
        """Unconfigure the model and release the VDevice; safe to call twice."""
        self._configured = self._model = self._vdevice = None
        try:
            self._stack.close()
        except Exception as exc:  # the SDK raises its own types; closing must not fail the caller
            log.warning("releasing the Hailo device failed: %s", exc)

    def _identify(self) -> Arch:
        raw: Any = None
        try:
            devices = self._vdevice.get_physical_devices()
            try:
                raw = devices[0].control.identify().device_architecture
            finally:
                for device in devices:
                    device.release()
        except Exception as exc:  # older HailoRT or a control failure: ask the CLI instead
            log.debug("identifying the chip through hailo_platform failed: %s", exc)
        if raw is None:
            raw = hailortcli_architecture()
        if raw is None:
            raise DetectorError(
                "could not tell whether the Hailo chip is a Hailo-8 or a Hailo-8L: check "
                "`hailortcli fw-control identify`"
            )
        return normalize_architecture(raw)


def import_sdk() -> Any:
    """The hailo_platform module, or DetectorError saying how to install it."""
    try:
        import hailo_platform
    except ImportError as exc:
        raise DetectorError(SDK_MISSING) from exc
    return hailo_platform


def normalize_architecture(raw: object) -> Arch:
    """'hailo8' or 'hailo8l' from HailoRT's DeviceArchitectureTypes or hailortcli's text."""
    text = str(getattr(raw, "name", raw)).strip().upper().rsplit(".", 1)[-1]
    if text.startswith("HAILO8L"):
        return "hailo8l"
    if text.startswith("HAILO8"):  # HAILO8, HAILO8_B0, HAILO8R
        return "hailo8"
    raise DetectorError(
        f"this Hailo chip is a {text}; the 'hailo' detector supports the Hailo-8 and Hailo-8L "
        "(the Hailo-10H needs HailoRT 5 and hailo-h10-all)"
    )


def hailortcli_architecture() -> str | None:
    """The 'Device Architecture:' that `hailortcli fw-control identify` prints, if any."""
    try:
        done = subprocess.run(
            ["hailortcli", "fw-control", "identify"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.debug("hailortcli fw-control identify failed: %s", exc)
        return None
    match = re.search(r"Device Architecture:\s*(\S+)", done.stdout)
    return match.group(1) if match else None


def detect_architecture() -> Arch | None:
    """The attached chip's architecture without loading a model; None when none is found."""
    raw: Any = None
    try:
        sdk = import_sdk()
    except DetectorError:
        sdk = None
    if sdk is not None:
        try:
            ids = sdk.Device.scan()
            if ids:
                device = sdk.Device(ids[0])
                try:
                    raw = device.control.identify().device_architecture
                finally:
                    device.release()
        except Exception as exc:  # the SDK raises its own types; fall back to the CLI
            log.debug("identifying the chip through hailo_platform failed: %s", exc)
    if raw is None:
        raw = hailortcli_architecture()
    return None if raw is None else normalize_architecture(raw)


def hef_architecture(path: Path, manifest: HailoManifest) -> Arch | None:
    """The chip a HEF is built for, from the manifest or its name; None when unknown."""
    entry = manifest.by_file(path.name)
    if entry is not None:
        return entry.arch
    stem = path.stem.lower()
    if re.search(r"_h8l(?:[_-]|$)", stem):
        return "hailo8l"
    if re.search(r"_h8(?:[_-]|$)", stem):
        return "hailo8"
    parent = path.parent.name.lower()
    return next((a for a in ARCHS if a == parent), None)  # the Model Zoo's .../hailo8l/x.hef


def _choose_hef(model: str, arch: Arch, manifest: HailoManifest) -> Path:
    hef = resolve_hef(model, arch, manifest=manifest)
    built_for = hef_architecture(hef, manifest)
    if built_for is not None and built_for != arch:
        raise DetectorError(
            f"{hef} is built for the {ARCH_NAMES[built_for]} but this device has a "
            f"{ARCH_NAMES[arch]}: {_right_model_hint(hef, arch, manifest)}"
        )
    return hef


def _manifest_name(path: Path, manifest: HailoManifest) -> str | None:
    """The manifest model a HEF file is a build of, guessed from its name."""
    entry = manifest.by_file(path.name)
    if entry is not None:
        return entry.name
    stem = path.stem.lower()
    base = re.sub(r"_h8l?(?:[_-].*)?$", "", stem)
    for e in manifest.models:
        zoo_stem = Path(e.url.rsplit("/", 1)[-1]).stem
        if base in (e.name, zoo_stem, Path(e.file).stem):
            return e.name
    return None


def _right_model_hint(hef: Path, arch: Arch, manifest: HailoManifest) -> str:
    name = _manifest_name(hef, manifest) or "yolov8s"
    right = manifest.entry(name, arch)
    return (
        f"set detector.model to '{name}' (its {ARCH_NAMES[arch]} build is {right.file}) and "
        f"run `{FETCH_COMMAND} {name}`"
    )


def _labels(config: HailoDetectorConfig, entry: HailoModelEntry | None) -> tuple[str, ...]:
    if config.labels_file:
        return read_labels(Path(config.labels_file).expanduser(), "labels_file", DetectorError)
    if entry is not None:
        return read_labels(
            labels_path(entry), f"the manifest labels of {entry.name}", DetectorError
        )
    from pipelines.models.builtin import coco80_names

    return coco80_names()


@contextmanager
def _sdk_errors(action: str, hef: Path | None = None) -> Iterator[None]:
    """Turn hailo_platform's exceptions into DetectorErrors that say what to do."""
    try:
        yield
    except DetectorError:
        raise
    except Exception as exc:  # the SDK raises HailoRTException subclasses and pybind errors
        raise _translate(exc, action, hef) from exc


def _translate(exc: Exception, action: str, hef: Path | None) -> DetectorError:
    kind = type(exc).__name__
    text = f"{kind}: {exc}"
    status = _status_code(exc)
    if "HAILO_INVALID_DRIVER_VERSION" in text or status == STATUS_INVALID_DRIVER_VERSION:
        return DetectorError(DRIVER_MISMATCH)
    if kind == "HailoRTHEFNotCompatibleWithDevice" or "HEF_NOT_COMPATIBLE" in text:
        return _HefIncompatibleError(f"HailoRT says {hef} is compiled for another Hailo chip")
    if kind == "HailoRTInvalidHEFException" or "HAILO_INVALID_HEF" in text:
        return DetectorError(
            f"{hef} is not a valid HEF (damaged or a partial download): delete it and run "
            f"`{FETCH_COMMAND}`"
        )
    if kind == "HailoRTTimeout" or "HAILO_TIMEOUT" in text:
        return DetectorError(
            f"{action} timed out: the chip did not answer in time; raise detector.timeout_ms "
            "or check `hailortcli monitor` for other models using the chip"
        )
    if "OUT_OF_PHYSICAL_DEVICES" in text or "device not found" in text.lower():
        return DetectorError(NO_DEVICE)
    return DetectorError(f"{action} failed: {text}")


def _status_code(exc: Exception) -> int | None:
    """The libhailort status of the SDK's low-level HailoRTStatusException, if it is one."""
    if type(exc).__name__ != "HailoRTStatusException" or not exc.args:
        return None
    try:
        return int(exc.args[0])
    except (TypeError, ValueError):
        return None
