"""YOLO-family HEFs on a Hailo-8 or Hailo-8L with HailoRT's InferModel API.

`hailo_platform` (apt package python3-hailort) is imported only by `import_sdk`, when a
detector opens or the chip is identified, so this module imports on any machine.

One chip, several cameras: the Hailo driver hands the chip to one open file, so a second
`VDevice` in the same process fails with HAILO_OUT_OF_PHYSICAL_DEVICES. Every Hailo
detector of the process therefore shares one `VDevice` (`_SharedChip`), and HailoRT's model
scheduler (round robin) takes turns between their models. To share the chip with another
program, every program must go through the HailoRT service: `multi_process_service: true`
with the same `group_id` here and there, and `hailort.service` running.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Literal, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from eva_errors import DetectorError
from pipelines.detections import Detections
from pipelines.detectors.base import Detector
from pipelines.detectors.hailo.decode import decode_hailo_nms
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
    looks_like_path,
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
    "`dmesg | grep -i hailo` shows no errors"
)
CHIP_BUSY = (
    "the Hailo chip is in use by another program (HAILO_OUT_OF_PHYSICAL_DEVICES): stop it "
    "(see `sudo lsof /dev/hailo0`), or share the chip through the HailoRT service: "
    "`sudo systemctl enable --now hailort.service`, set detector.multi_process_service: true "
    "here and run the other program with the service (same group_id)"
)
#: HailoRT status codes (include/hailo/hailort.h).
STATUS_INVALID_HEF = 26
STATUS_OUT_OF_PHYSICAL_DEVICES = 74
STATUS_INVALID_DRIVER_VERSION = 76
STATUS_HEF_FILE_CORRUPTED = 91  # HailoRT 4.21 and later
STATUS_HEF_NOT_SUPPORTED = 92  # HailoRT 4.21 and later: built with another compiler version
_DAMAGED_HEF = {
    STATUS_INVALID_HEF: "HAILO_INVALID_HEF",
    STATUS_HEF_FILE_CORRUPTED: "HAILO_HEF_FILE_CORRUPTED",
    STATUS_HEF_NOT_SUPPORTED: "HAILO_HEF_NOT_SUPPORTED",
}
#: The score threshold compiled into the Model Zoo HEFs' NMS (hailo_model_zoo v2.14,
#: cfg/postprocess_config/yolov8s_nms_config.json): lower scores never leave libhailort.
HEF_NMS_SCORE_THRESHOLD = 0.2


class HailoDetectorConfig(BaseModel):
    """A HEF with HailoRT's built-in NMS (YOLOv5/6/8/11) run on a Hailo-8 or Hailo-8L."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["hailo"] = Field("hailo", description="Selects the Hailo-8/8L detector.")
    model: str = Field(
        "yolov8s",
        description=(
            "A model name from the Hailo manifest, `eva models list` (yolov8s, yolov8n, yolov6n, "
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
    multi_process_service: bool = Field(
        False,
        description=(
            "Reach the chip through the HailoRT service (hailort.service), so other programs "
            "(hailo-apps, another agent) can use it at the same time; every Hailo camera of "
            "the agent must agree. False = this agent holds the chip alone, its cameras share it."
        ),
    )
    group_id: str = Field(
        "SHARED",
        min_length=1,
        description=(
            "With multi_process_service: the HailoRT group the programs sharing the chip join; "
            "use the same value in each."
        ),
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
            arch = runtime.connect(config.multi_process_service, config.group_id)
            hef = _choose_hef(config.model, arch, manifest)
            entry = manifest.by_file(hef.name)
            nms_threshold = _nms_threshold(config.score_threshold, hef, entry)
            try:
                input_shape, _ = runtime.open(hef, nms_threshold)
            except _HefIncompatibleError as exc:
                raise DetectorError(f"{exc}: {_right_model_hint(hef, arch, manifest)}") from exc
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


class _SharedChip:
    """The process's one VDevice, opened by the first Hailo detector, released by the last.

    Like picamera2's Hailo helper (`Hailo.TARGET`, picamera2/devices/hailo/hailo.py), with a
    lock because each camera opens its detector in its own thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._vdevice: Any = None
        self._arch: Arch | None = None
        self._service: tuple[bool, str] = (False, "")
        self._users = 0

    @property
    def lock(self) -> threading.Lock:
        """Held while a user loads a model, so two cameras never configure at once."""
        return self._lock

    def acquire(self, sdk: Any, service: bool, group_id: str) -> tuple[Any, Arch]:
        """The shared VDevice and the chip's architecture; opens the chip for the first user."""
        with self._lock:
            if self._vdevice is not None:
                if (service, group_id) != self._service:
                    raise DetectorError(
                        "every Hailo camera must use the same detector.multi_process_service "
                        "and detector.group_id: the cameras share one connection to the chip"
                    )
                self._users += 1
                assert self._arch is not None
                return self._vdevice, self._arch
            with _sdk_errors("opening the Hailo device"):
                params = sdk.VDevice.create_params()
                # The scheduler takes turns between the models of all cameras on the chip.
                params.scheduling_algorithm = sdk.HailoSchedulingAlgorithm.ROUND_ROBIN
                if service:
                    params.multi_process_service = True
                    params.group_id = group_id
                vdevice = sdk.VDevice(params)
            try:
                arch = _identify(vdevice)
            except BaseException:
                _release_quietly(vdevice)
                raise
            self._vdevice, self._arch, self._service = vdevice, arch, (service, group_id)
            self._users = 1
            log.info(
                "Hailo chip opened (%s)%s",
                ARCH_NAMES[arch],
                f" through the HailoRT service, group {group_id}" if service else "",
            )
            return vdevice, arch

    def release(self) -> None:
        """One user is done; the last one releases the VDevice."""
        with self._lock:
            if self._users == 0:
                return
            self._users -= 1
            if self._users == 0:
                vdevice, self._vdevice, self._arch = self._vdevice, None, None
                _release_quietly(vdevice)


_CHIP = _SharedChip()


def _release_quietly(vdevice: Any) -> None:
    try:
        vdevice.release()
    except Exception as exc:  # the SDK raises its own types; closing must not fail the caller
        log.warning("releasing the Hailo device failed: %s", exc)


class _HailoRuntime:
    """The only code that drives hailo_platform: one configured InferModel on the shared chip."""

    def __init__(self, timeout_ms: int, chip: _SharedChip | None = None) -> None:
        self.timeout_ms = timeout_ms
        self.arch: Arch | None = None
        self.input_shape: tuple[int, int, int] = (0, 0, 0)
        self._chip = chip or _CHIP
        self._stack = ExitStack()
        self._sdk: Any = None
        self._vdevice: Any = None
        self._model: Any = None
        self._configured: Any = None
        self._output_names: list[str] = []

    def connect(self, service: bool = False, group_id: str = "SHARED") -> Arch:
        """Join the process's VDevice (opening the chip if first) and tell its architecture."""
        sdk = self._sdk = import_sdk()
        self._vdevice, self.arch = self._chip.acquire(sdk, service, group_id)
        return self.arch

    def open(
        self, hef_path: Path, nms_score_threshold: float | None = None
    ) -> tuple[tuple[int, int, int], Arch]:
        """Load and configure a HEF; returns its input shape (H, W, C) and the chip's arch.

        `nms_score_threshold` replaces the HEF's NMS score threshold (host-side NMS only).
        """
        arch = self.arch or self.connect()
        with self._chip.lock:
            return self._load(hef_path, nms_score_threshold), arch

    def _load(self, hef_path: Path, nms_score_threshold: float | None) -> tuple[int, int, int]:
        sdk = self._sdk
        with _sdk_errors(f"loading {hef_path}", hef=hef_path):
            model = self._vdevice.create_infer_model(str(hef_path))
            model.set_batch_size(1)
            model.input().set_format_type(sdk.FormatType.UINT8)
            self._output_names = list(model.output_names)
            for name in self._output_names:
                model.output(name).set_format_type(sdk.FormatType.FLOAT32)
                if nms_score_threshold is not None:
                    model.output(name).set_nms_score_threshold(nms_score_threshold)
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
        try:
            with _sdk_errors(f"configuring {hef_path}", hef=hef_path):
                self._configured = self._stack.enter_context(model.configure())
        except DetectorError as exc:
            if nms_score_threshold is None:
                raise
            # HailoRT refuses the override at configure() when the NMS is not on the host.
            log.warning(
                "%s does not take a lower NMS score threshold (%s); boxes scoring under its "
                "own threshold (typically %g) will not arrive",
                hef_path,
                exc,
                HEF_NMS_SCORE_THRESHOLD,
            )
            return self._load(hef_path, None)
        self._model = model
        self.input_shape = (shape[0], shape[1], shape[2])
        return self.input_shape

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
        """Unconfigure the model and leave the shared chip; safe to call twice."""
        self._configured = self._model = None
        try:
            self._stack.close()
        except Exception as exc:  # the SDK raises its own types; closing must not fail the caller
            log.warning("unloading the Hailo model failed: %s", exc)
        if self._vdevice is not None:
            self._vdevice = None
            self._chip.release()


def _identify(vdevice: Any) -> Arch:
    """The architecture of the chip behind a VDevice (hailortcli when the SDK cannot tell)."""
    raw: Any = None
    try:
        devices = vdevice.get_physical_devices()
        try:
            raw = devices[0].control.identify().device_architecture
        finally:
            for device in devices:
                device.release()
    except Exception as exc:  # older HailoRT, the service, or a control failure: ask the CLI
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
        missing = isinstance(exc, ModuleNotFoundError) and exc.name == "hailo_platform"
        raise DetectorError(SDK_MISSING if missing else f"{SDK_MISSING} ({exc})") from exc
    except Exception as exc:  # MissingPyHRTLib: the package is there, its C library is not
        raise DetectorError(f"{SDK_MISSING} ({type(exc).__name__}: {exc})") from exc
    return hailo_platform


def normalize_architecture(raw: object) -> Arch:
    """'hailo8' or 'hailo8l' from HailoRT's DeviceArchitectureTypes or hailortcli's text."""
    # DeviceArchitectureTypes: HAILO8_A0=0, HAILO8=1, HAILO8L=2, HAILO15H=3, HAILO15L=4,
    # HAILO15M=5, HAILO10H=6 (pyhailort.py and hailort.h, v4.23); older hailortcli printed
    # HAILO8_B0 for a Hailo-8.
    text = str(getattr(raw, "name", raw)).strip().upper().rsplit(".", 1)[-1]
    if text.startswith("HAILO8L"):
        return "hailo8l"
    if text.startswith("HAILO8"):  # HAILO8, HAILO8_A0 (early silicon), HAILO8_B0
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
    """The HEF to load on this chip. A Hailo-8 runs Hailo-8L HEFs too, only slower (HailoRT
    just warns); a Hailo-8L cannot run a Hailo-8 HEF."""
    try:
        hef = resolve_hef(model, arch, manifest=manifest)
    except DetectorError as missing:
        # e.g. only the Pi's hailo-models package (Hailo-8L files) is installed on a Hailo-8.
        if arch != "hailo8" or looks_like_path(model):
            raise
        try:
            hef = resolve_hef(model, "hailo8l", manifest=manifest)
        except DetectorError:
            raise missing from None
    built_for = hef_architecture(hef, manifest)
    if built_for == "hailo8" and arch == "hailo8l":
        raise DetectorError(
            f"{hef} is built for the {ARCH_NAMES[built_for]} but this device has a "
            f"{ARCH_NAMES[arch]}, which cannot run it: {_right_model_hint(hef, arch, manifest)}"
        )
    if built_for == "hailo8l" and arch == "hailo8":
        log.warning(
            "%s is built for the Hailo-8L; this Hailo-8 runs it, but slower than its own build: %s",
            hef,
            _right_model_hint(hef, arch, manifest),
        )
    return hef


def _nms_threshold(
    score_threshold: float, hef: Path, entry: HailoModelEntry | None
) -> float | None:
    """The NMS score threshold to set on the HEF, or None to keep its own.

    The HEF's NMS drops boxes under its compiled threshold before we see them, so a lower
    detector.score_threshold would have no effect. The manifest's HEFs run that NMS on the
    host, where HailoRT can change it; for other HEFs we only say so.
    """
    if score_threshold >= HEF_NMS_SCORE_THRESHOLD:
        return None
    if entry is not None:
        return score_threshold
    log.warning(
        "detector.score_threshold %g is below the %g that %s's built-in NMS typically keeps: "
        "boxes scoring less never arrive; raise score_threshold to %g or more, or use a model "
        "from the manifest, whose threshold is set to match",
        score_threshold,
        HEF_NMS_SCORE_THRESHOLD,
        hef.name,
        HEF_NMS_SCORE_THRESHOLD,
    )
    return None


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
    from pipelines.models.labels import coco80_names

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
    damaged = kind == "HailoRTInvalidHEFException" or status in _DAMAGED_HEF
    if damaged or any(name in text for name in _DAMAGED_HEF.values()):
        return DetectorError(
            f"{hef} is not a valid HEF for this HailoRT (damaged, a partial download, or built "
            f"with another compiler version): delete it and run `{FETCH_COMMAND}`"
        )
    if kind == "HailoRTTimeout" or "HAILO_TIMEOUT" in text:
        return DetectorError(
            f"{action} timed out: the chip did not answer in time; raise detector.timeout_ms "
            "or check `hailortcli monitor` for other models using the chip"
        )
    if "OUT_OF_PHYSICAL_DEVICES" in text or status == STATUS_OUT_OF_PHYSICAL_DEVICES:
        return DetectorError(CHIP_BUSY)
    if "device not found" in text.lower():
        return DetectorError(NO_DEVICE)
    return DetectorError(f"{action} failed: {text}")


def _status_code(exc: Exception) -> int | None:
    """The libhailort status of an SDK exception: the low-level HailoRTStatusException's
    argument, or the number in pyhailort's "libhailort failed with error: N (NAME)"."""
    if type(exc).__name__ == "HailoRTStatusException" and exc.args:
        try:
            return int(exc.args[0])
        except (TypeError, ValueError):
            return None
    match = re.search(r"failed with error: (\d+)", str(exc))
    return int(match.group(1)) if match else None
