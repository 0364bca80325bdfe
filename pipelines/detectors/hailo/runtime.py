"""The only code that drives hailo_platform: the process's shared chip and its models.

One chip, several cameras: the Hailo driver hands the chip to one open file, so a second
`VDevice` in the same process fails with HAILO_OUT_OF_PHYSICAL_DEVICES. Every Hailo
detector of the process therefore shares one `VDevice` (`SharedChip`), and HailoRT's model
scheduler (round robin) takes turns between their models. To share the chip with another
program, every program must go through the HailoRT service: `multi_process_service: true`
with the same `group_id` here and there, and `hailort.service` running.
"""

from __future__ import annotations

import logging
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from eva_errors import DetectorError
from pipelines.detectors.hailo.chip import identify, import_sdk
from pipelines.detectors.hailo.config import HEF_NMS_SCORE_THRESHOLD
from pipelines.detectors.hailo.errors import sdk_errors
from pipelines.models.hailo_manifest import ARCH_NAMES, Arch

log = logging.getLogger(__name__)

UInt8Array = npt.NDArray[np.uint8]


class SharedChip:
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
            with sdk_errors("opening the Hailo device"):
                params = sdk.VDevice.create_params()
                # The scheduler takes turns between the models of all cameras on the chip.
                params.scheduling_algorithm = sdk.HailoSchedulingAlgorithm.ROUND_ROBIN
                if service:
                    params.multi_process_service = True
                    params.group_id = group_id
                vdevice = sdk.VDevice(params)
            try:
                arch = identify(vdevice)
            except BaseException:
                release_quietly(vdevice)
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
                release_quietly(vdevice)


_CHIP = SharedChip()


def release_quietly(vdevice: Any) -> None:
    try:
        vdevice.release()
    except Exception as exc:  # the SDK raises its own types; closing must not fail the caller
        log.warning("releasing the Hailo device failed: %s", exc)


class HailoRuntime:
    """The only code that drives hailo_platform: one configured InferModel on the shared chip."""

    def __init__(self, timeout_ms: int, chip: SharedChip | None = None) -> None:
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
        with sdk_errors(f"loading {hef_path}", hef=hef_path):
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
            with sdk_errors(f"configuring {hef_path}", hef=hef_path):
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
        with sdk_errors("Hailo inference"):
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
