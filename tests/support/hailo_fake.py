"""A stand-in for hailo_platform at the SDK seam, shared by the Hailo tests.

It exposes exactly the classes and methods `_HailoRuntime` and `detect_architecture`
use, and answers like HailoRT does for a HailoRT-postprocess HEF: a list with one
(n, 5) float32 array per class, rows y_min, x_min, y_max, x_max, score, normalized to the
network input.

Where it refuses or warns, it does what HailoRT 4.18-4.23 does (hailo-ai/hailort, tag v4.23.0
unless noted):

- A second `VDevice` in one process fails with status 74 HAILO_OUT_OF_PHYSICAL_DEVICES:
  `VDeviceBase::create_devices` (libhailort/src/vdevice/vdevice.cpp) skips a device whose
  `mark_as_used` says HAILO_DEVICE_IN_USE, and the driver hands the chip to one open file
  (hailo-ai/hailort-drivers, branch hailo8 = v4.23.0, linux/vdma/ioctl.c
  `hailo_mark_as_in_use`: `used_by_filp`). pyhailort's `ExceptionWrapper` has no class for
  status 74, so Python sees a plain `HailoRTException("libhailort failed with error: 74
  (HAILO_OUT_OF_PHYSICAL_DEVICES)")` (bindings/python/.../pyhailort/pyhailort.py). With
  `multi_process_service` the hailort service owns the chip and each VDevice is a client.
- Statuses without an exception class of their own (91 HAILO_HEF_FILE_CORRUPTED and 92
  HAILO_HEF_NOT_SUPPORTED, new in v4.21.0's include/hailo/hailort.h) arrive the same way;
  26 HAILO_INVALID_HEF becomes `HailoRTInvalidHEFException`: `status_exception` below.
- HEF compatibility (`DeviceBase::check_hef_is_compatible` and `is_hef_compatible`,
  libhailort/src/device_common/device_internal.cpp): a Hailo-8 runs Hailo-8 and Hailo-8L
  HEFs (the latter with a "lower performance" warning), a Hailo-8L only Hailo-8L HEFs;
  anything else is 93 HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE, raised as
  `HailoRTHEFNotCompatibleWithDevice`. The fake reads the HEF's chip from a marker that
  `put_hef` writes into the file (`arch=hailo8` / `arch=hailo8l`).
- The NMS runs on the host with the HEF's own score threshold (0.2 for the Model Zoo HEFs,
  hailo-ai/hailo_model_zoo v2.14 cfg/postprocess_config/yolov8s_nms_config.json): boxes
  scoring below it never reach the caller unless `output().set_nms_score_threshold()` lowers
  it before `configure()` (pyhailort.py `InferModel.InferStream.set_nms_score_threshold`;
  when the NMS is not on the host the setter "will not fail, but make configure() fail").
- `DeviceArchitectureTypes` is `HAILO8_A0=0, HAILO8=1, HAILO8L=2, HAILO15H=3, HAILO15L=4,
  HAILO15M=5, HAILO10H=6` (pyhailort.py, include/hailo/hailort.h
  `hailo_device_architecture_e`).
"""

from __future__ import annotations

import enum
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

INPUT_SHAPE = (640, 640, 3)
CLASSES = 80
Respond = Callable[[npt.NDArray[np.uint8]], list[npt.NDArray[np.float32]]]


class FakeArch(enum.IntEnum):
    """Like hailo_platform's DeviceArchitectureTypes: str() gives the name."""

    HAILO8_A0 = 0
    HAILO8 = 1
    HAILO8L = 2
    HAILO15H = 3
    HAILO15L = 4
    HAILO15M = 5
    HAILO10H = 6

    def __str__(self) -> str:
        return self.name


# Named like the SDK's classes: the detector recognises them by name, as it must without
# importing the SDK.
class HailoRTException(Exception):
    pass


class HailoRTHEFNotCompatibleWithDevice(HailoRTException):
    pass


class HailoRTInvalidHEFException(HailoRTException):
    pass


class HailoRTTimeout(HailoRTException):
    pass


class HailoRTInvalidOperationException(HailoRTException):
    pass


class HailoRTStatusException(Exception):
    """pybind's low-level exception: args[0] is the libhailort status code."""


#: Status codes and names from include/hailo/hailort.h (v4.21.0 added 91-93).
STATUS_NAMES = {
    26: "HAILO_INVALID_HEF",
    73: "HAILO_DEVICE_IN_USE",
    74: "HAILO_OUT_OF_PHYSICAL_DEVICES",
    76: "HAILO_INVALID_DRIVER_VERSION",
    91: "HAILO_HEF_FILE_CORRUPTED",
    92: "HAILO_HEF_NOT_SUPPORTED",
    93: "HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE",
}


def status_exception(code: int) -> HailoRTException:
    """What pyhailort's `ExceptionWrapper.create_exception_from_status` raises for a status."""
    name = STATUS_NAMES[code]
    if name == "HAILO_INVALID_HEF":
        return HailoRTInvalidHEFException("Invalid HEF. See hailort.log for more information")
    if name == "HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE":
        return HailoRTHEFNotCompatibleWithDevice(
            "HEF file is not compatible with device. See hailort.log for more information"
        )
    return HailoRTException(f"libhailort failed with error: {code} ({name})")


#: The built-in NMS score threshold of the Model Zoo HEFs.
ZOO_NMS_SCORE_THRESHOLD = 0.2


def hef_arch(path: str) -> str | None:
    """The chip a fake HEF file is built for, from the marker `put_hef` writes."""
    with open(path, "rb") as f:
        data = f.read()
    for arch in ("hailo8l", "hailo8"):
        if f"arch={arch};".encode() in data:
            return arch
    return None


def empty_classes() -> list[npt.NDArray[np.float32]]:
    return [np.zeros((0, 5), np.float32) for _ in range(CLASSES)]


@dataclass
class FakeHailo:
    """State shared by the fake module's objects, and what the test inspects afterwards."""

    arch: FakeArch = FakeArch.HAILO8L
    input_shape: tuple[int, int, int] = INPUT_SHAPE
    output_names: tuple[str, ...] = ("yolov8s/yolov8_nms_postprocess",)
    respond: Respond = field(default=lambda frame: empty_classes())
    fail_create: Exception | None = None
    fail_load: Exception | None = None
    fail_run: Exception | None = None
    fail_identify: Exception | None = None
    #: False: the HEF's NMS runs on the chip, so its score threshold cannot be changed.
    host_nms: bool = True
    #: Output per HEF path; HEFs not listed use `respond`.
    respond_by_hef: dict[str, Respond] = field(default_factory=dict)
    # Recorded calls.
    scheduling: list[Any] = field(default_factory=list)
    vdevice_params: list[Any] = field(default_factory=list)
    nms_thresholds: dict[str, float] = field(default_factory=dict)
    runs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    formats: dict[str, Any] = field(default_factory=dict)
    inputs: list[npt.NDArray[Any]] = field(default_factory=list)
    output_buffers: list[dict[str, npt.NDArray[Any]]] = field(default_factory=list)
    timeouts: list[int] = field(default_factory=list)
    open_vdevices: int = 0
    configured_open: int = 0
    open_groups: list[str] = field(default_factory=list)  # group_id of each open VDevice
    version: str = "4.20.0"  # hailo_platform.__version__
    infer_model_api: bool = True  # VDevice.create_infer_model, from HailoRT 4.18

    def module(self) -> types.ModuleType:
        fake = self

        class Stream:
            def __init__(self, name: str, shape: tuple[int, ...], model: Any = None) -> None:
                self.name, self.shape, self._model = name, shape, model

            def set_format_type(self, t: Any) -> None:
                fake.formats[self.name] = t

            @property
            def is_nms(self) -> bool:
                return self._model is not None

            def set_nms_score_threshold(self, threshold: float) -> None:
                self._model.nms_score_threshold = threshold
                fake.nms_thresholds[self._model.hef] = threshold

        class BindingStream:
            def __init__(self) -> None:
                self.buffer: Any = None
                self.result: Any = None  # what HailoRT decodes the raw NMS buffer into

            def set_buffer(self, buffer: npt.NDArray[Any]) -> None:
                if not buffer.flags.c_contiguous:
                    raise HailoRTException("Buffer must be C_CONTIGUOUS")
                self.buffer = buffer

            def get_buffer(self) -> Any:
                return self.buffer if self.result is None else self.result

        class Bindings:
            def __init__(self, outputs: dict[str, npt.NDArray[Any]]) -> None:
                self._in = BindingStream()
                self._out = {n: BindingStream() for n in outputs}
                for n, b in outputs.items():
                    self._out[n].set_buffer(b)

            def input(self, name: str = "") -> BindingStream:
                return self._in

            def output(self, name: str = "") -> BindingStream:
                return self._out[name or next(iter(self._out))]

        class Configured:
            def __init__(self, model: InferModel) -> None:
                self.hef = model.hef
                self.threshold = model.nms_score_threshold

            def __enter__(self) -> Configured:
                fake.configured_open += 1
                return self

            def __exit__(self, *exc: object) -> None:
                fake.configured_open -= 1

            def create_bindings(self, output_buffers: dict[str, Any]) -> Bindings:
                fake.output_buffers.append(output_buffers)
                return Bindings(output_buffers)

            def run(self, bindings: list[Bindings], timeout: int) -> None:
                fake.timeouts.append(timeout)
                if fake.fail_run:
                    raise fake.fail_run
                for b in bindings:
                    frame = b.input().get_buffer()
                    fake.inputs.append(frame.copy())
                    fake.runs.append(self.hef)
                    respond = fake.respond_by_hef.get(self.hef, fake.respond)
                    # The host-side NMS drops boxes under the HEF's score threshold; get_buffer()
                    # of an NMS output returns the per-class list.
                    b.output().result = [
                        a[a[:, 4] >= self.threshold] if len(a) else a for a in respond(frame)
                    ]

        class InferModel:
            def __init__(self, hef: str) -> None:
                self.hef = hef
                self.nms_score_threshold = ZOO_NMS_SCORE_THRESHOLD

            @property
            def output_names(self) -> list[str]:
                return list(fake.output_names)

            def set_batch_size(self, n: int) -> None:
                fake.batch_sizes.append(n)

            def input(self, name: str = "") -> Stream:
                return Stream("input", fake.input_shape)

            def output(self, name: str = "") -> Stream:
                return Stream(name or fake.output_names[0], (CLASSES * 501,), self)

            def configure(self) -> Configured:
                # As HailoRT: the HEF meets the chip here, not in create_infer_model.
                built_for = hef_arch(self.hef)
                if built_for is not None:
                    if fake.arch == FakeArch.HAILO8L and built_for != "hailo8l":
                        raise status_exception(93)
                    if fake.arch == FakeArch.HAILO8 and built_for == "hailo8l":
                        fake.warnings.append(
                            "HEF was compiled for Hailo8L device, while the device itself is "
                            "Hailo8. This will result in lower performance."
                        )
                if self.nms_score_threshold != ZOO_NMS_SCORE_THRESHOLD and not fake.host_nms:
                    # pyhailort: the setter "will not fail, but make configure() fail".
                    raise HailoRTInvalidOperationException(
                        "Invalid operation. See hailort.log for more information"
                    )
                return Configured(self)

        class Control:
            def identify(self) -> Any:
                if fake.fail_identify:
                    raise fake.fail_identify
                return types.SimpleNamespace(device_architecture=fake.arch)

        class Device:
            def __init__(self, device_id: str | None = None) -> None:
                self.control = Control()

            @staticmethod
            def scan() -> list[str]:
                return ["0001:01:00.0"]

            def release(self) -> None:
                pass

        class VDevice:
            def __init__(self, params: Any = None) -> None:
                self._open = False
                if fake.fail_create:
                    raise fake.fail_create
                # HailoRT shares one device among a process's VDevices of one non-default
                # group_id (vdevice.cpp, SharedResourceManager keyed by it); "UNIQUE" (the
                # default) wants a chip of its own.
                shared = params.group_id != "UNIQUE" and params.group_id in fake.open_groups
                if fake.open_vdevices and not params.multi_process_service and not shared:
                    raise status_exception(74)
                self._group = params.group_id
                fake.open_groups.append(params.group_id)
                fake.scheduling.append(params.scheduling_algorithm)
                fake.vdevice_params.append(params)
                fake.open_vdevices += 1
                self._open = True

            @staticmethod
            def create_params() -> Any:
                return types.SimpleNamespace(
                    scheduling_algorithm=None, group_id="UNIQUE", multi_process_service=False
                )

            def __enter__(self) -> VDevice:
                return self

            def __exit__(self, *exc: object) -> None:
                self.release()

            def release(self) -> None:
                # Like pyhailort: releasing twice is harmless.
                if self._open:
                    self._open = False
                    fake.open_vdevices -= 1
                    fake.open_groups.remove(self._group)

            def get_physical_devices(self) -> list[Device]:
                return [Device()]

            def create_infer_model(self, hef_source: str) -> InferModel:
                assert isinstance(hef_source, str)
                assert self._open, "create_infer_model on a released VDevice"
                if fake.fail_load:
                    raise fake.fail_load
                fake.loaded.append(hef_source)
                return InferModel(hef_source)

        mod = types.ModuleType("hailo_platform")
        mod.__version__ = fake.version  # type: ignore[attr-defined]
        if not fake.infer_model_api:  # HailoRT before 4.18
            del VDevice.create_infer_model
        mod.VDevice = VDevice  # type: ignore[attr-defined]
        mod.Device = Device  # type: ignore[attr-defined]
        mod.HailoSchedulingAlgorithm = types.SimpleNamespace(  # type: ignore[attr-defined]
            NONE="NONE", ROUND_ROBIN="ROUND_ROBIN"
        )
        mod.FormatType = types.SimpleNamespace(  # type: ignore[attr-defined]
            UINT8="UINT8", FLOAT32="FLOAT32"
        )
        return mod
