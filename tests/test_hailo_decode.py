"""Decoding HailoRT's NMS output (by class and tf_format) into frame-normalized detections."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from pipelines.detections import Detections
from pipelines.detectors.hailo.decode import decode_hailo_nms, nms_rows
from pipelines.detectors.letterbox import letterbox

NAMES = ("person", "bicycle", "car")
INPUT = (640, 640)  # network (width, height)
Box = tuple[float, float, float, float]
Rows = list[npt.NDArray[np.float32]]


def geometry(frame_size: tuple[int, int]) -> tuple[float, int, int]:
    """(scale, pad_x, pad_y) exactly as the real letterbox computes them."""
    w, h = frame_size
    boxed = letterbox(np.zeros((h, w, 3), np.uint8), INPUT)
    return boxed.scale, boxed.pad_x, boxed.pad_y


def hailo_row(box: Box, score: float, frame_size: tuple[int, int]) -> list[float]:
    """The row HailoRT would emit for a frame box in frame pixels: y_min, x_min, y_max, x_max."""
    scale, pad_x, pad_y = geometry(frame_size)
    x1, y1, x2, y2 = box
    in_w, in_h = INPUT
    return [
        (y1 * scale + pad_y) / in_h,
        (x1 * scale + pad_x) / in_w,
        (y2 * scale + pad_y) / in_h,
        (x2 * scale + pad_x) / in_w,
        score,
    ]


def by_class(rows: dict[int, list[list[float]]], classes: int = len(NAMES)) -> Rows:
    """HAILO_NMS_BY_CLASS: one (n, 5) float32 array per class, (0, 5) when empty."""
    return [np.array(rows.get(c, []), np.float32).reshape(-1, 5) for c in range(classes)]


def tf_format(rows: dict[int, list[list[float]]], max_boxes: int = 4) -> npt.NDArray[np.float32]:
    """get_buffer(tf_format=True): [classes, 5, max_boxes], score-0 padding."""
    out = np.zeros((len(NAMES), 5, max_boxes), np.float32)
    for c, boxes in rows.items():
        for i, row in enumerate(boxes):
            out[c, :, i] = row
    return out


def decode(
    output: Rows | npt.NDArray[np.float32],
    frame_size: tuple[int, int] = INPUT,
    threshold: float = 0.25,
) -> Detections:
    scale, pad_x, pad_y = geometry(frame_size)
    return decode_hailo_nms(
        output,
        NAMES,
        frame_size=frame_size,
        input_size=INPUT,
        scale=scale,
        pad_x=pad_x,
        pad_y=pad_y,
        score_threshold=threshold,
    )


def test_yx_order_becomes_xyxy() -> None:
    # Hailo rows are y_min, x_min, y_max, x_max: a wide, short box must stay wide.
    out = by_class({0: [[0.1, 0.2, 0.3, 0.8, 0.9]]})
    det = decode(out)
    np.testing.assert_allclose(det.boxes, [[0.2, 0.1, 0.8, 0.3]], atol=1e-6)
    assert det.labels == ("person",)


def test_several_classes_and_empty_classes() -> None:
    out = by_class(
        {
            0: [[0.1, 0.1, 0.5, 0.3, 0.6]],
            2: [[0.5, 0.5, 0.9, 0.9, 0.95], [0.0, 0.6, 0.2, 0.9, 0.4]],
        }
    )
    assert out[1].shape == (0, 5)
    det = decode(out)
    # Best first; class ids are the list indices.
    assert det.labels == ("car", "person", "car")
    np.testing.assert_array_equal(det.class_ids, [2, 0, 2])
    np.testing.assert_allclose(det.scores, [0.95, 0.6, 0.4], atol=1e-6)
    np.testing.assert_allclose(det.boxes[0], [0.5, 0.5, 0.9, 0.9], atol=1e-6)


def test_all_classes_empty() -> None:
    assert len(decode(by_class({}))) == 0
    assert len(decode([])) == 0
    assert len(decode(tf_format({}))) == 0


@pytest.mark.parametrize(
    ("frame_size", "pad_axis"),
    [((1280, 720), "y"), ((720, 1280), "x"), ((1920, 1080), "y"), ((480, 960), "x")],
)
def test_letterbox_borders_are_removed(frame_size: tuple[int, int], pad_axis: str) -> None:
    w, h = frame_size
    scale, pad_x, pad_y = geometry(frame_size)
    assert (pad_y if pad_axis == "y" else pad_x) > 0
    box = (0.25 * w, 0.25 * h, 0.5 * w, 0.75 * h)
    det = decode(by_class({1: [hailo_row(box, 0.8, frame_size)]}), frame_size)
    np.testing.assert_allclose(det.boxes, [[0.25, 0.25, 0.5, 0.75]], atol=1e-5)
    assert det.labels == ("bicycle",)


@pytest.mark.parametrize("frame_size", [(1280, 720), (720, 1280), (640, 640), (333, 777)])
def test_random_boxes_round_trip(frame_size: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(frame_size))
    w, h = frame_size
    corners = np.sort(rng.uniform(0, 1, (20, 2, 2)), axis=1)  # (x1<x2, y1<y2) pairs
    boxes = [(a[0, 0] * w, a[0, 1] * h, a[1, 0] * w, a[1, 1] * h) for a in corners]
    rows = [hailo_row(b, 0.5 + i / 100, frame_size) for i, b in enumerate(boxes)]
    det = decode(by_class({0: rows}), frame_size)
    expected = np.array(boxes) / np.array([w, h, w, h])
    order = np.argsort([-r[4] for r in rows], kind="stable")
    np.testing.assert_allclose(det.boxes, expected[order], atol=1e-4)


def test_boxes_at_the_edges_are_clipped() -> None:
    frame = (1280, 720)
    _, _, pad_y = geometry(frame)
    in_h = INPUT[1]
    top_border = pad_y / in_h
    out = by_class(
        {
            0: [
                # Spills into the top border and past the right edge of the input.
                [top_border / 2, 0.9, top_border + 0.1, 1.02, 0.9],
                # Touches the left edge and the bottom of the picture exactly.
                [0.5, 0.0, 1 - top_border, 0.2, 0.8],
            ]
        }
    )
    det = decode(out, frame)
    assert det.boxes[0, 1] == 0.0 and det.boxes[0, 2] == 1.0
    assert det.boxes[1, 0] == 0.0
    assert det.boxes[1, 3] == pytest.approx(1.0, abs=1e-5)
    assert np.all((det.boxes >= 0) & (det.boxes <= 1))


def test_boxes_inside_the_border_or_degenerate_are_dropped() -> None:
    frame = (1280, 720)
    _, _, pad_y = geometry(frame)
    top_border = pad_y / INPUT[1]
    out = by_class(
        {
            0: [
                [0.0, 0.1, top_border * 0.9, 0.5, 0.9],  # only grey border
                [0.5, 0.3, 0.5, 0.6, 0.9],  # zero height
                [0.4, 0.4, 0.6, 0.4, 0.9],  # zero width
                [0.4, 0.4, 0.6, 0.6, 0.7],  # real
            ]
        }
    )
    det = decode(out, frame)
    assert len(det) == 1
    assert det.scores[0] == pytest.approx(0.7)


def test_inverted_corners_are_reordered() -> None:
    det = decode(by_class({0: [[0.6, 0.7, 0.2, 0.1, 0.9]]}))
    np.testing.assert_allclose(det.boxes, [[0.1, 0.2, 0.7, 0.6]], atol=1e-6)


def test_score_threshold() -> None:
    out = by_class({0: [[0.1, 0.1, 0.2, 0.2, s] for s in (0.1, 0.3, 0.31, 0.9)]})
    det = decode(out, threshold=0.3)
    np.testing.assert_allclose(det.scores, [0.9, 0.31, 0.3], atol=1e-6)


def test_zero_scores_are_padding_even_at_threshold_zero() -> None:
    out = by_class({0: [[0.1, 0.1, 0.2, 0.2, 0.0], [0.1, 0.1, 0.2, 0.2, 0.05]]})
    det = decode(out, threshold=0.0)
    assert len(det) == 1 and det.scores[0] == pytest.approx(0.05)


def test_non_finite_rows_are_dropped() -> None:
    out = by_class({0: [[np.nan, 0.1, 0.2, 0.2, 0.9], [0.1, 0.1, 0.2, 0.2, np.inf]]})
    assert len(decode(out)) == 0


def test_tf_format_matches_by_class() -> None:
    frame = (1280, 720)
    rows = {
        0: [hailo_row((10, 20, 300, 400), 0.9, frame)],
        2: [hailo_row((600, 100, 1200, 700), 0.6, frame), hailo_row((0, 0, 50, 50), 0.4, frame)],
    }
    a = decode(by_class(rows), frame)
    b = decode(tf_format(rows, max_boxes=5), frame)
    c = decode(tf_format(rows, max_boxes=5)[None], frame)  # with a batch axis
    for other in (b, c):
        np.testing.assert_allclose(other.boxes, a.boxes, atol=1e-6)
        np.testing.assert_array_equal(other.class_ids, a.class_ids)
        assert other.labels == a.labels


def test_tf_format_rows_are_y_min_x_min_y_max_x_max_score() -> None:
    out = np.zeros((3, 5, 2), np.float32)
    out[1, :, 0] = [0.1, 0.2, 0.3, 0.8, 0.7]  # axis 1: y_min, x_min, y_max, x_max, score
    det = decode(out)
    np.testing.assert_allclose(det.boxes, [[0.2, 0.1, 0.8, 0.3]], atol=1e-6)
    assert det.labels == ("bicycle",)


def test_tf_format_wrong_shape_is_rejected() -> None:
    with pytest.raises(ValueError, match="tf_format"):
        nms_rows(np.zeros((3, 4, 10), np.float32))


def test_unknown_class_ids_get_a_placeholder_name() -> None:
    out = by_class({4: [[0.1, 0.1, 0.2, 0.2, 0.9]]}, classes=5)
    assert decode(out).labels == ("class_4",)
