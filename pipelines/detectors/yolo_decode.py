"""Turn raw YOLO output tensors into `Detections`: pure numpy plus OpenCV's NMS.

Layouts, with C classes and N candidate boxes (cx, cy, w, h in network-input pixels):

- ``"v8"``: [1, 4+C, N], class scores only (YOLOv8, YOLO11 exports).
- ``"v5"``: [1, N, 5+C], objectness then class scores; score = objectness × class
  (YOLOv5, YOLOv7, and our Darknet YOLOv3 conversion).
- ``"v8_rows"``: [1, N, 4+C], a v8 head transposed, as some exporters emit it.

`detect_layout` picks, in this order: dim 1 == 4+C → v8 (this wins the ambiguous case where
dim 2 == 5+C too); dim 2 == 5+C → v5; dim 2 == 4+C → v8_rows. When the names do not fit
either dim, the smaller dim holds the attributes (there are always more boxes than classes):
dim 1 → v8, dim 2 → v5, and the class count follows from the shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from pipelines.detections import Detections
from pipelines.detectors.letterbox import boxes_to_frame

Layout = Literal["v8", "v5", "v8_rows"]
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]

#: Candidates past this many (by score) are dropped before NMS, which is O(n²).
MAX_CANDIDATES = 10_000


def detect_layout(shape: Sequence[int], num_classes: int) -> tuple[Layout, int]:
    """Which layout an output of `shape` has.

    Args:
        shape: the output shape, (1, a, b) or (a, b).
        num_classes: how many class names the caller has.

    Returns:
        The layout and the number of classes the tensor actually holds.
    """
    if len(shape) == 3 and shape[0] == 1:
        shape = shape[1:]
    if len(shape) != 2:
        raise ValueError(f"expected a YOLO output of shape [1, a, b], got {list(shape)}")
    a, b = int(shape[0]), int(shape[1])
    if a == 4 + num_classes:
        return "v8", num_classes
    if b == 5 + num_classes:
        return "v5", num_classes
    if b == 4 + num_classes:
        return "v8_rows", num_classes
    if a < b and a > 4:
        return "v8", a - 4
    if b <= a and b > 5:
        return "v5", b - 5
    raise ValueError(f"cannot read a YOLO output of shape {list(shape)}")


def candidates(
    output: npt.NDArray[np.floating[Any]], layout: Layout, score_threshold: float
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Boxes scoring at least `score_threshold`, with their best class.

    Args:
        output: the model output, [1, a, b] or [a, b].
        layout: as returned by `detect_layout`.
        score_threshold: lowest score kept.

    Returns:
        (M, 4) cx, cy, w, h boxes, (M,) scores, (M,) class ids; non-finite rows dropped.
    """
    out = np.asarray(output, np.float32)
    out = out.reshape(out.shape[-2:])
    if layout == "v5":
        # Objectness bounds the product, so most rows are dropped before the class max.
        rows = out[out[:, 4] >= score_threshold]
        class_scores = rows[:, 5:] * rows[:, 4:5]
        boxes = rows[:, :4]
    elif layout == "v8_rows":
        class_scores, boxes = out[:, 4:], out[:, :4]
    else:
        # Reduce over the class axis first so only the kept columns are transposed.
        best = out[4:].max(axis=0)
        cols = out[:, best >= score_threshold]
        class_scores, boxes = cols[4:].T, cols[:4].T
    ids = class_scores.argmax(axis=1)
    scores = np.take_along_axis(class_scores, ids[:, None], axis=1)[:, 0]
    keep = (scores >= score_threshold) & (scores > 0)
    keep &= np.isfinite(boxes).all(axis=1) & np.isfinite(scores)
    return boxes[keep], scores[keep], ids[keep].astype(np.int32)


def cxcywh_to_xyxy(boxes: npt.ArrayLike) -> FloatArray:
    """Centre/size boxes to corner boxes."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    half = b[:, 2:] / 2
    return np.concatenate([b[:, :2] - half, b[:, :2] + half], axis=1)


def nms(
    boxes_xyxy: FloatArray,
    scores: FloatArray,
    class_ids: IntArray,
    iou_threshold: float,
    max_detections: int = 300,
) -> npt.NDArray[np.intp]:
    """Class-wise non-maximum suppression.

    Args:
        boxes_xyxy: (M, 4) corners.
        scores: (M,) scores.
        class_ids: (M,) classes; boxes of different classes never suppress each other.
        iou_threshold: overlap above which the lower-scoring box is dropped.
        max_detections: at most this many indices are returned.

    Returns:
        Indices of the kept boxes, best score first.
    """
    import cv2  # here: loading a configuration (eva check, eva ask) must not load OpenCV

    if len(scores) == 0:
        return np.zeros(0, np.intp)
    xywh = np.concatenate([boxes_xyxy[:, :2], boxes_xyxy[:, 2:] - boxes_xyxy[:, :2]], axis=1)
    # OpenCV's stubs ask for sequences, but arrays are what it takes without copying.
    nms_batched: Any = cv2.dnn.NMSBoxesBatched
    kept = nms_batched(xywh.astype(np.float64), scores, class_ids, 0.0, float(iou_threshold))
    return np.asarray(kept, np.intp).reshape(-1)[:max_detections]


def decode_yolo(
    output: npt.NDArray[np.floating[Any]],
    names: Sequence[str],
    *,
    frame_size: tuple[int, int],
    score_threshold: float,
    iou_threshold: float,
    scale: float = 1.0,
    pad_x: float = 0.0,
    pad_y: float = 0.0,
    max_detections: int = 300,
) -> Detections:
    """Decode one YOLO output into detections normalized to the original frame.

    Args:
        output: the model output in any layout `detect_layout` knows.
        names: class names by id.
        frame_size: (width, height) of the frame the input was letterboxed from.
        score_threshold: lowest score kept.
        iou_threshold: NMS overlap threshold.
        scale, pad_x, pad_y: the letterbox placement (defaults: input == frame).
        max_detections: cap after NMS.

    Returns:
        Detections with boxes in 0..1 of the frame, best score first.
    """
    layout, _ = detect_layout(output.shape, len(names))
    boxes, scores, ids = candidates(output, layout, score_threshold)
    if len(scores) > MAX_CANDIDATES:
        top = np.argpartition(-scores, MAX_CANDIDATES)[:MAX_CANDIDATES]
        boxes, scores, ids = boxes[top], scores[top], ids[top]
    xyxy = cxcywh_to_xyxy(boxes)
    keep = nms(xyxy, scores, ids, iou_threshold, max_detections)
    frame_boxes = boxes_to_frame(xyxy[keep], scale, pad_x, pad_y, frame_size)
    # A box lying wholly in the grey border clips to a line: nothing of the frame is in it.
    visible = (frame_boxes[:, 2] > frame_boxes[:, 0]) & (frame_boxes[:, 3] > frame_boxes[:, 1])
    keep = keep[visible]
    return Detections.build(frame_boxes[visible], scores[keep], ids[keep], tuple(names))
