"""Output tensors of IMX500 post-processed ("_pp") detection networks, decoded with numpy.

The sensor runs the network and its post-processing; picamera2's
`IMX500.get_outputs(metadata, add_batch=True)` hands over three tensors (and for some
networks a fourth): boxes [1, N, 4], scores [1, N] and class ids as floats [1, N]. Two
layouts are in use, and the network intrinsics say which:

- SSD MobileNetV2 FPNLite: boxes already normalized to the input tensor, as y0, x0, y1, x1.
- YOLOv8n / YOLO11n: boxes in input-tensor pixels as x0, y0, x1, y1
  (`bbox_normalization` true, `bbox_order` "xy").

Decoding stops at boxes normalized to the input tensor, in the y0, x0, y1, x1 order that
`IMX500.convert_inference_coords` takes; `map_to_frame` then applies that converter (which
knows the sensor crop and the inference region) to get boxes on the main image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from pipelines.detections import Detections, FloatArray, IntArray

#: Takes (y0, x0, y1, x1) normalized to the input tensor; returns (x, y, w, h) in frame pixels.
BoxConverter = Callable[[tuple[float, float, float, float]], Sequence[float]]

#: COCO category ids that the 2014 paper lists but the data set never uses. SSD networks
#: trained with the TensorFlow object detection API count them, so their class ids index a
#: 90-entry list with "-" in these places.
COCO_UNUSED_IDS = (11, 25, 28, 29, 44, 65, 67, 68, 70, 82)


def coco90_names() -> tuple[str, ...]:
    """COCO-80 names with "-" at the unused ids: picamera2's labels for a network without any."""
    from pipelines.models.labels import coco80_names

    names = list(coco80_names())
    for i in COCO_UNUSED_IDS:
        names.insert(i, "-")
    return tuple(names)


@dataclass(frozen=True, slots=True)
class TensorLayout:
    """How a network lays out its boxes and names its classes (picamera2's NetworkIntrinsics)."""

    #: (width, height) of the input tensor.
    input_size: tuple[int, int]
    #: picamera2's name, read as "normalize on the CPU": true means boxes are in input pixels.
    bbox_normalization: bool = False
    bbox_order: Literal["xy", "yx"] = "yx"
    labels: tuple[str, ...] = ()
    #: Remove "-" entries from `labels` before indexing them (YOLO's 80 ids into a 90-entry list).
    ignore_dash_labels: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The labels that class ids index."""
        if self.ignore_dash_labels:
            return tuple(label for label in self.labels if label and label != "-")
        return self.labels


class SensorDetections(NamedTuple):
    """Detections on the input tensor: boxes (N, 4) as y0, x0, y1, x1 in 0..1."""

    boxes: FloatArray
    scores: FloatArray
    class_ids: IntArray
    labels: tuple[str, ...]
    #: Rows that scored high enough but had no area once scaled and clipped to the input:
    #: the sign of a box order or scale that does not match the network.
    degenerate: int = 0


def decode_outputs(
    outputs: Sequence[npt.ArrayLike] | None, layout: TensorLayout, score_threshold: float
) -> SensorDetections | None:
    """Detections scoring at least `score_threshold` from one frame's output tensors.

    Args:
        outputs: `get_outputs(metadata, add_batch=True)`; None when the frame carries no tensor.
        layout: box order and scale, and the class names.
        score_threshold: lowest score kept; padding rows score 0, so keep it above 0.

    Returns:
        None for a frame without a tensor; otherwise the kept detections, which may be none.
        Boxes are clipped to the input tensor; empty boxes and "-" classes are dropped.
    """
    if outputs is None:
        return None
    if len(outputs) < 3:
        raise ValueError(
            f"expected boxes, scores and class ids from the network, got {len(outputs)} tensor(s); "
            "is this a post-processed (_pp) object detection network?"
        )
    boxes = _boxes(np.asarray(outputs[0], np.float32))
    scores = np.asarray(outputs[1], np.float32).reshape(-1)
    classes = np.asarray(outputs[2], np.float32).reshape(-1)
    n = min(len(boxes), len(scores), len(classes))
    if len(outputs) > 3:
        count = np.asarray(outputs[3], np.float32).reshape(-1)
        # SSD-style networks add the number of valid rows; the rest is padding.
        if count.size == 1 and np.isfinite(count[0]):
            n = min(n, max(0, int(count[0])))
    boxes, scores, classes = boxes[:n], scores[:n], classes[:n]

    if layout.bbox_order == "xy":
        boxes = boxes[:, [1, 0, 3, 2]]
    if layout.bbox_normalization:
        in_w, in_h = layout.input_size
        # picamera2's demo divides all four by the height; only square inputs agree with it.
        boxes = (boxes / np.array([in_h, in_w, in_h, in_w], np.float32)).astype(np.float32)

    keep = np.isfinite(scores) & (scores >= score_threshold) & np.isfinite(classes)
    keep &= np.all(np.isfinite(boxes), axis=1)
    boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
    boxes = _ordered(np.clip(boxes, 0.0, 1.0))
    ids = np.rint(classes).astype(np.int32)
    names = layout.names
    labels = [names[i] if 0 <= i < len(names) else f"class_{i}" for i in ids.tolist()]

    has_area = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    keep = has_area & np.array([label not in ("-", "") for label in labels], bool).reshape(-1)
    idx = np.flatnonzero(keep)
    return SensorDetections(
        boxes=boxes[idx],
        scores=np.clip(scores[idx], 0.0, 1.0),
        class_ids=ids[idx],
        labels=tuple(labels[i] for i in idx.tolist()),
        degenerate=int(np.count_nonzero(~has_area)),
    )


def map_to_frame(
    found: SensorDetections, convert: BoxConverter, frame_size: tuple[int, int]
) -> Detections:
    """Boxes on the input tensor to `Detections` normalized to a frame of (width, height).

    Args:
        found: what `decode_outputs` returned.
        convert: on the device, `imx500.convert_inference_coords(box, metadata, picam2)`,
            which accounts for the inference region and the main stream's crop and size.
        frame_size: (width, height) of the main image the converter maps into.

    Returns:
        Boxes as x1, y1, x2, y2 in 0..1, clipped to the frame; boxes that fall wholly
        outside the frame (the sensor sees more than the main stream shows) are dropped.
    """
    width, height = frame_size
    boxes = np.zeros((len(found.labels), 4), np.float32)
    for i, row in enumerate(found.boxes.tolist()):
        y0, x0, y1, x1 = row
        x, y, w, h = (float(v) for v in convert((y0, x0, y1, x1)))
        boxes[i] = (x / width, y / height, (x + w) / width, (y + h) / height)
    boxes = _ordered(np.clip(boxes, 0.0, 1.0))
    keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    idx = np.flatnonzero(keep)
    return Detections(
        boxes=boxes[idx],
        scores=found.scores[idx].astype(np.float32),
        class_ids=found.class_ids[idx].astype(np.int32),
        labels=tuple(found.labels[i] for i in idx.tolist()),
    )


def _boxes(raw: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    if raw.ndim >= 2 and raw.shape[-1] != 4 and raw.shape[-2] == 4:
        raw = np.swapaxes(raw, -1, -2)  # [1, 4, N]: coordinates first
    if raw.size % 4:
        raise ValueError(f"the boxes tensor has shape {raw.shape}, which is not N boxes of 4")
    return raw.reshape(-1, 4)


def _ordered(boxes: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Swap corners given the wrong way round, so every box has its smaller edge first."""
    first = np.minimum(boxes[:, :2], boxes[:, 2:])
    second = np.maximum(boxes[:, :2], boxes[:, 2:])
    return np.concatenate([first, second], axis=1).astype(np.float32)
