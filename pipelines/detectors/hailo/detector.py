"""YOLO-family HEFs on a Hailo-8 or Hailo-8L with HailoRT's InferModel API.

The detector letterboxes frames and decodes HailoRT's NMS output; `runtime` drives the
chip, `hef` picks the model file, `errors` says what to do when HailoRT refuses.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from eva_errors import DetectorError
from pipelines.detections import Detections
from pipelines.detectors.base import Detector
from pipelines.detectors.hailo.config import HailoDetectorConfig
from pipelines.detectors.hailo.decode import decode_hailo_nms
from pipelines.detectors.hailo.errors import HefIncompatibleError
from pipelines.detectors.hailo.hef import choose_hef, hef_labels, nms_threshold, right_model_hint
from pipelines.detectors.hailo.runtime import HailoRuntime
from pipelines.detectors.letterbox import place
from pipelines.models.hailo_manifest import ARCH_NAMES, HailoManifest, load_manifest

log = logging.getLogger(__name__)

UInt8Array = npt.NDArray[np.uint8]


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
        runtime: HailoRuntime,
        hef_path: Path,
        input_shape: tuple[int, int, int],
        names: tuple[str, ...],
    ) -> None:
        self.config = config
        self.hef_path = hef_path
        self.input_shape = input_shape
        self.names = names
        self._runtime: HailoRuntime | None = runtime

    @classmethod
    def open(
        cls, config: HailoDetectorConfig, *, manifest: HailoManifest | None = None
    ) -> HailoDetector:
        """Find the chip, pick and check the HEF, and load it; DetectorError says what to fix."""
        manifest = manifest or load_manifest()
        runtime = HailoRuntime(config.timeout_ms)
        try:
            arch = runtime.connect(config.multi_process_service, config.group_id)
            hef = choose_hef(config.model, arch, manifest)
            entry = manifest.by_file(hef.name)
            threshold = nms_threshold(config.score_threshold, hef, entry)
            try:
                input_shape, _ = runtime.open(hef, threshold)
            except HefIncompatibleError as exc:
                raise DetectorError(f"{exc}: {right_model_hint(hef, arch, manifest)}") from exc
            names = hef_labels(config, entry)
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
