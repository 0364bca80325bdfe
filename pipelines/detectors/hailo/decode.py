"""Decode the NMS output of HailoRT-postprocess HEFs (YOLOv5/6/8/11, SSD) into detections.

HailoRT runs the NMS itself (on the host, inside libhailort) and hands back boxes per
class. `ConfiguredInferModel.Bindings.output().get_buffer()` returns one of two layouts:

* HAILO_NMS_BY_CLASS (the default): a list with one float32 array per class, index =
  class id. Each array is (n, 5), one row per box: ``[y_min, x_min, y_max, x_max, score]``,
  coordinates normalized 0..1 to the network input (letterbox borders included). A class
  with no box is a (0, 5) array.
* ``get_buffer(tf_format=True)``: one float32 array ``[classes, 5, max_boxes]``. Along
  axis 1 the rows are y_min, x_min, y_max, x_max, score; unused box slots are padding with
  score 0.

Note the y-first order, unlike the x1, y1, x2, y2 used everywhere else here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from pipelines.detections import Detections
from pipelines.detectors.letterbox import boxes_to_frame

FloatArray = npt.NDArray[np.float32]

#: Values per box in both layouts: y_min, x_min, y_max, x_max, score.
BOX_PARAMS = 5

HailoNmsOutput = Sequence[npt.ArrayLike] | npt.NDArray[np.floating]


def nms_rows(output: HailoNmsOutput) -> tuple[FloatArray, npt.NDArray[np.int32]]:
    """Flatten either NMS layout into (N, 5) rows and their class ids.

    Args:
        output: a list per class of (n, 5) arrays, or a [classes, 5, max_boxes] array
            (a leading batch axis of 1 is accepted).

    Returns:
        rows as y_min, x_min, y_max, x_max, score, and the class id of each row.
    """
    if isinstance(output, np.ndarray):
        tf = np.asarray(output, np.float32)
        if tf.ndim == 4 and tf.shape[0] == 1:
            tf = tf[0]
        if tf.ndim != 3 or tf.shape[1] != BOX_PARAMS:
            raise ValueError(
                f"expected a tf_format NMS array [classes, {BOX_PARAMS}, max_boxes], "
                f"got shape {output.shape}"
            )
        classes, _, max_boxes = tf.shape
        rows = tf.transpose(0, 2, 1).reshape(-1, BOX_PARAMS)
        ids = np.repeat(np.arange(classes, dtype=np.int32), max_boxes)
        return rows, ids
    per_class = [np.asarray(a, np.float32).reshape(-1, BOX_PARAMS) for a in output]
    if not per_class:
        return np.zeros((0, BOX_PARAMS), np.float32), np.zeros((0,), np.int32)
    counts = [len(a) for a in per_class]
    return (
        np.concatenate(per_class, axis=0),
        np.repeat(np.arange(len(per_class), dtype=np.int32), counts),
    )


def decode_hailo_nms(
    output: HailoNmsOutput,
    names: Sequence[str],
    *,
    frame_size: tuple[int, int],
    input_size: tuple[int, int],
    scale: float,
    pad_x: float,
    pad_y: float,
    score_threshold: float,
) -> Detections:
    """Detections in the original frame from HailoRT's NMS output.

    Args:
        output: either layout described in the module docstring.
        names: class names by class id; missing ids become "class_<id>".
        frame_size: (width, height) of the original frame.
        input_size: (width, height) of the network input the boxes are normalized to.
        scale, pad_x, pad_y: the letterbox geometry (input pixels per frame pixel, and the
            left/top borders in input pixels), as `letterbox` computes them.
        score_threshold: keep boxes scoring at least this; score-0 padding is always dropped.

    Returns:
        boxes as x1, y1, x2, y2 normalized to the frame and clipped to 0..1, best first.
        Boxes that lie entirely in the letterbox border collapse to zero area and are dropped.
    """
    rows, ids = nms_rows(output)
    scores = rows[:, 4]
    keep = np.isfinite(rows).all(axis=1) & (scores > 0) & (scores >= score_threshold)
    rows, ids = rows[keep], ids[keep]
    if not len(rows):
        return Detections.empty()
    in_w, in_h = input_size
    # y_min, x_min, y_max, x_max (0..1 of the input) -> x1, y1, x2, y2 in input pixels.
    extent = np.array([in_w, in_h, in_w, in_h], np.float32)
    xyxy = rows[:, [1, 0, 3, 2]] * extent
    boxes = boxes_to_frame(xyxy, scale, pad_x, pad_y, frame_size)
    # Some exporters do not guarantee min <= max; sorting each pair is harmless otherwise.
    boxes = np.concatenate(
        [
            np.minimum(boxes[:, :2], boxes[:, 2:]),
            np.maximum(boxes[:, :2], boxes[:, 2:]),
        ],
        axis=1,
    )
    area_ok = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    boxes, ids, scores = boxes[area_ok], ids[area_ok], rows[area_ok, 4]
    order = np.argsort(-scores, kind="stable")
    return Detections.build(boxes[order], scores[order], ids[order], tuple(names))
