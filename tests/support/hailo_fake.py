"""A stand-in for hailo_platform at the SDK seam, shared by the Hailo tests.

It exposes exactly the classes and methods `_HailoRuntime` and `detect_architecture`
use, and answers like HailoRT does for a HailoRT-postprocess HEF: a list with one
(n, 5) float32 array per class, rows y_min, x_min, y_max, x_max, score, normalized to the
network input.
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

    HAILO8 = 1
    HAILO8L = 2
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


class HailoRTStatusException(Exception):
    """pybind's low-level exception: args[0] is the libhailort status code."""


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
    # Recorded calls.
    scheduling: list[Any] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    formats: dict[str, Any] = field(default_factory=dict)
    inputs: list[npt.NDArray[Any]] = field(default_factory=list)
    output_buffers: list[dict[str, npt.NDArray[Any]]] = field(default_factory=list)
    timeouts: list[int] = field(default_factory=list)
    open_vdevices: int = 0
    configured_open: int = 0

    def module(self) -> types.ModuleType:
        fake = self

        class Stream:
            def __init__(self, name: str, shape: tuple[int, ...]) -> None:
                self.name, self.shape = name, shape

            def set_format_type(self, t: Any) -> None:
                fake.formats[self.name] = t

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
                    # get_buffer() of an NMS output returns the per-class list.
                    b.output().result = fake.respond(frame)

        class InferModel:
            @property
            def output_names(self) -> list[str]:
                return list(fake.output_names)

            def set_batch_size(self, n: int) -> None:
                fake.batch_sizes.append(n)

            def input(self, name: str = "") -> Stream:
                return Stream("input", fake.input_shape)

            def output(self, name: str = "") -> Stream:
                return Stream(name or fake.output_names[0], (CLASSES * 501,))

            def configure(self) -> Configured:
                return Configured()

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
                if fake.fail_create:
                    raise fake.fail_create
                fake.scheduling.append(params.scheduling_algorithm)
                fake.open_vdevices += 1

            @staticmethod
            def create_params() -> Any:
                return types.SimpleNamespace(scheduling_algorithm=None)

            def __enter__(self) -> VDevice:
                return self

            def __exit__(self, *exc: object) -> None:
                self.release()

            def release(self) -> None:
                fake.open_vdevices -= 1

            def get_physical_devices(self) -> list[Device]:
                return [Device()]

            def create_infer_model(self, hef_source: str) -> InferModel:
                assert isinstance(hef_source, str)
                if fake.fail_load:
                    raise fake.fail_load
                fake.loaded.append(hef_source)
                return InferModel()

        mod = types.ModuleType("hailo_platform")
        mod.VDevice = VDevice  # type: ignore[attr-defined]
        mod.Device = Device  # type: ignore[attr-defined]
        mod.HailoSchedulingAlgorithm = types.SimpleNamespace(  # type: ignore[attr-defined]
            NONE="NONE", ROUND_ROBIN="ROUND_ROBIN"
        )
        mod.FormatType = types.SimpleNamespace(  # type: ignore[attr-defined]
            UINT8="UINT8", FLOAT32="FLOAT32"
        )
        return mod
