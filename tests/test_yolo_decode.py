"""Decoding of YOLO output tensors and the letterbox geometry, on synthetic data."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from pipelines.detections import Detections
from pipelines.detectors.letterbox import PAD_VALUE, boxes_to_frame, letterbox
from pipelines.detectors.yolo_decode import (
    MAX_CANDIDATES,
    candidates,
    cxcywh_to_xyxy,
    decode_yolo,
    detect_layout,
    nms,
)

NAMES = ("cat", "dog", "cow")
Box = tuple[float, float, float, float]


def v8_output(rows: list[tuple[Box, list[float]]], pad_to: int = 0) -> npt.NDArray[np.float32]:
    """[1, 4+C, N]: each row is ((cx, cy, w, h), class scores); zero rows fill up to pad_to."""
    n = max(len(rows), pad_to)
    out = np.zeros((1, 4 + len(NAMES), n), np.float32)
    for i, (box, scores) in enumerate(rows):
        out[0, :4, i] = box
        out[0, 4:, i] = scores
    return out


def v5_output(rows: list[tuple[Box, float, list[float]]]) -> npt.NDArray[np.float32]:
    """[1, N, 5+C]: each row is ((cx, cy, w, h), objectness, class scores)."""
    out = np.zeros((1, len(rows), 5 + len(NAMES)), np.float32)
    for i, (box, obj, scores) in enumerate(rows):
        out[0, i, :4] = box
        out[0, i, 4] = obj
        out[0, i, 5:] = scores
    return out


def decode(output: npt.NDArray[np.floating[Any]], **kwargs: Any) -> Detections:
    args: dict[str, Any] = {
        "frame_size": (100, 100),
        "score_threshold": 0.25,
        "iou_threshold": 0.45,
    }
    args.update(kwargs)
    return decode_yolo(output, NAMES, **args)


@pytest.mark.parametrize(
    ("shape", "classes", "expected"),
    [
        ((1, 84, 8400), 80, ("v8", 80)),
        ((1, 2535, 85), 80, ("v5", 80)),
        ((1, 8400, 84), 80, ("v8_rows", 80)),
        ((84, 8400), 80, ("v8", 80)),
        # Ambiguous: dim 1 == 4+C and dim 2 == 5+C; the v8 reading wins.
        ((1, 84, 85), 80, ("v8", 80)),
        # Names that fit neither dim: the smaller dim holds the attributes.
        ((1, 7, 100), 80, ("v8", 3)),
        ((1, 100, 8), 80, ("v5", 3)),
    ],
)
def test_detect_layout(shape: tuple[int, ...], classes: int, expected: tuple[str, int]) -> None:
    assert detect_layout(shape, classes) == expected


@pytest.mark.parametrize("shape", [(1, 2, 84, 100), (2, 84, 100), (1, 3, 3)])
def test_detect_layout_rejects_other_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="YOLO output"):
        detect_layout(shape, 80)


def test_v8_layout_decodes_boxes_scores_and_labels() -> None:
    out = v8_output(
        [
            ((50, 50, 20, 40), [0.1, 0.9, 0.2]),  # dog
            ((20, 30, 10, 10), [0.6, 0.0, 0.1]),  # cat
            ((80, 80, 10, 10), [0.1, 0.2, 0.2]),  # below threshold
        ],
        pad_to=10,
    )
    det = decode(out)
    assert det.labels == ("dog", "cat")
    np.testing.assert_allclose(det.scores, [0.9, 0.6], rtol=1e-6)
    np.testing.assert_allclose(det.boxes[0], [0.4, 0.3, 0.6, 0.7], atol=1e-6)
    np.testing.assert_allclose(det.boxes[1], [0.15, 0.25, 0.25, 0.35], atol=1e-6)
    assert det.class_ids.tolist() == [1, 0]


def test_v5_layout_multiplies_objectness_and_class() -> None:
    out = v5_output(
        [
            ((50, 50, 20, 20), 0.8, [0.1, 0.1, 0.9]),  # cow at 0.72
            ((20, 20, 10, 10), 0.0, [1.0, 0.0, 0.0]),  # objectness zeroes a perfect class
            ((80, 80, 10, 10), 0.9, [0.2, 0.1, 0.0]),  # 0.18 < 0.25
        ]
    )
    det = decode(out)
    assert det.labels == ("cow",)
    np.testing.assert_allclose(det.scores, [0.72], rtol=1e-6)


def test_zero_threshold_still_drops_zero_scores() -> None:
    out = v5_output([((50, 50, 20, 20), 0.0, [1.0, 0.0, 0.0])])
    assert len(decode(out, score_threshold=0.0)) == 0


def test_transposed_v8_rows() -> None:
    out = np.transpose(v8_output([((50, 50, 20, 20), [0.0, 0.0, 0.8])], pad_to=10), (0, 2, 1))
    det = decode(np.ascontiguousarray(out))
    assert det.labels == ("cow",)


def test_boxes_past_the_edge_are_clipped_to_the_frame() -> None:
    out = v8_output(
        [
            ((0, 0, 40, 40), [0.9, 0, 0]),  # centred on the top-left corner
            ((100, 50, 20, 100), [0, 0.9, 0]),  # hangs over the right edge, full height
        ]
    )
    det = decode(out, iou_threshold=0.9)
    by_label = dict(zip(det.labels, det.boxes.tolist(), strict=True))
    np.testing.assert_allclose(by_label["cat"], [0, 0, 0.2, 0.2], atol=1e-6)
    np.testing.assert_allclose(by_label["dog"], [0.9, 0, 1.0, 1.0], atol=1e-6)


def test_box_inside_the_letterbox_border_is_dropped() -> None:
    # A 100x50 frame in a 100x100 input sits between y=25 and y=75.
    out = v8_output([((50, 10, 20, 10), [0.9, 0, 0]), ((50, 50, 20, 10), [0, 0.9, 0])])
    det = decode(out, frame_size=(100, 50), scale=1.0, pad_y=25)
    assert det.labels == ("dog",)
    np.testing.assert_allclose(det.boxes[0], [0.4, 0.4, 0.6, 0.6], atol=1e-6)


def test_nms_merges_duplicates_of_one_class_only() -> None:
    out = v8_output(
        [
            ((50, 50, 40, 40), [0.9, 0, 0]),
            ((52, 51, 40, 40), [0.8, 0, 0]),  # duplicate cat: merged
            ((51, 50, 40, 40), [0, 0.7, 0]),  # same place, other class: kept
            ((10, 10, 8, 8), [0.6, 0, 0]),  # another cat elsewhere: kept
        ]
    )
    det = decode(out)
    assert det.labels == ("cat", "dog", "cat")
    np.testing.assert_allclose(det.scores, [0.9, 0.7, 0.6], rtol=1e-6)


def test_nms_helper_orders_by_score_and_caps() -> None:
    boxes = np.array([[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 30]], np.float32)
    scores = np.array([0.5, 0.9, 0.7], np.float32)
    ids = np.zeros(3, np.int32)
    assert nms(boxes, scores, ids, 0.5).tolist() == [1, 2, 0]
    assert nms(boxes, scores, ids, 0.5, max_detections=2).tolist() == [1, 2]
    assert nms(boxes[:0], scores[:0], ids[:0], 0.5).tolist() == []


def test_non_finite_rows_are_dropped() -> None:
    out = v5_output(
        [((np.inf, 50, 20, 20), 0.9, [0.9, 0, 0]), ((50, 50, 20, 20), 0.9, [0.9, 0, 0])]
    )
    out[0, 0, 2] = np.nan
    det = decode(out)
    assert len(det) == 1


def test_float16_output_and_many_candidates() -> None:
    rng = np.random.default_rng(0)
    n = MAX_CANDIDATES + 500
    out = np.zeros((1, 7, n), np.float16)
    out[0, :2] = rng.uniform(10, 90, (2, n))
    out[0, 2:4] = 5
    out[0, 4] = rng.uniform(0.5, 1.0, n)
    det = decode(out, max_detections=50)
    assert len(det) == 50
    assert np.all(np.diff(det.scores) <= 0)


def test_empty_output() -> None:
    assert len(decode(v8_output([], pad_to=5))) == 0


def test_class_ids_beyond_names_get_placeholder_labels() -> None:
    out = np.zeros((1, 4 + 5, 10), np.float32)
    out[0, :4, 0] = (50, 50, 10, 10)
    out[0, 4 + 4, 0] = 0.9
    det = decode_yolo(out, NAMES, frame_size=(100, 100), score_threshold=0.3, iou_threshold=0.5)
    assert det.labels == ("class_4",)


def test_candidates_keep_only_the_best_class() -> None:
    out = v8_output([((5, 5, 2, 2), [0.3, 0.5, 0.4])])
    boxes, scores, ids = candidates(out, "v8", 0.1)
    assert boxes.tolist() == [[5, 5, 2, 2]]
    np.testing.assert_allclose(scores, [0.5])
    assert ids.tolist() == [1]


def test_cxcywh_to_xyxy() -> None:
    assert cxcywh_to_xyxy([[10, 20, 4, 6]]).tolist() == [[8, 17, 12, 23]]


# --- letterbox ---------------------------------------------------------------------------


def test_letterbox_wide_image_pads_top_and_bottom() -> None:
    image = np.full((100, 200, 3), (255, 0, 0), np.uint8)  # blue in BGR
    boxed = letterbox(image, 64)
    assert boxed.tensor.shape == (1, 3, 64, 64)
    assert boxed.tensor.dtype == np.float32
    assert boxed.tensor.flags["C_CONTIGUOUS"]
    assert boxed.scale == pytest.approx(0.32)
    assert (boxed.pad_x, boxed.pad_y) == (0, 16)
    grey = PAD_VALUE / 255
    np.testing.assert_allclose(boxed.tensor[0, :, :16, :], grey, atol=1e-6)
    np.testing.assert_allclose(boxed.tensor[0, :, 48:, :], grey, atol=1e-6)
    # RGB order: blue is the last channel.
    np.testing.assert_allclose(boxed.tensor[0, :, 32, 32], [0, 0, 1], atol=1e-6)


def test_letterbox_tall_image_pads_left_and_right() -> None:
    image = np.zeros((300, 100, 3), np.uint8)
    boxed = letterbox(image, 96)
    assert boxed.scale == pytest.approx(0.32)
    assert (boxed.pad_x, boxed.pad_y) == (32, 0)
    np.testing.assert_allclose(boxed.tensor[0, :, :, :32], PAD_VALUE / 255, atol=1e-6)
    np.testing.assert_allclose(boxed.tensor[0, :, :, 32:64], 0, atol=1e-6)


def test_letterbox_exact_size_and_rectangular_target() -> None:
    image = np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    boxed = letterbox(image, 64)
    assert (boxed.scale, boxed.pad_x, boxed.pad_y) == (1.0, 0, 0)
    np.testing.assert_allclose(
        boxed.tensor[0].transpose(1, 2, 0), image[..., ::-1] / 255, atol=1e-6
    )
    wide = letterbox(np.zeros((720, 1280, 3), np.uint8), (640, 384))
    assert wide.tensor.shape == (1, 3, 384, 640)
    assert (wide.pad_x, wide.pad_y) == (0, 12)


@pytest.mark.parametrize("frame_size", [(200, 100), (100, 300), (1280, 720), (64, 64)])
def test_boxes_round_trip_through_the_letterbox(frame_size: tuple[int, int]) -> None:
    w, h = frame_size
    boxed = letterbox(np.zeros((h, w, 3), np.uint8), 416)
    frame_box = np.array([[0.1, 0.2, 0.6, 0.9]], np.float32)
    in_pixels = frame_box * [w, h, w, h] * boxed.scale + [boxed.pad_x, boxed.pad_y] * 2
    back = boxes_to_frame(in_pixels, boxed.scale, boxed.pad_x, boxed.pad_y, frame_size)
    np.testing.assert_allclose(back, frame_box, atol=1e-5)
