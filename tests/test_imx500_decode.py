"""Decoding IMX500 post-processed detection tensors, in the layouts picamera2 documents."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from pipelines.detectors.imx500_decode import (
    COCO_UNUSED_IDS,
    BoxConverter,
    SensorDetections,
    TensorLayout,
    coco90_names,
    decode_outputs,
    map_to_frame,
)
from pipelines.detectors.imx500_networks import RpkError, rpk_intrinsics
from pipelines.models.labels import coco80_names
from pipelines.sources.imx500 import through_roi

F32 = npt.NDArray[np.float32]
ROWS = 100  # post-processed networks pad their outputs to a fixed number of rows

SSD = TensorLayout(input_size=(320, 320), labels=coco90_names())
YOLO = TensorLayout(
    input_size=(640, 640),
    bbox_normalization=True,
    bbox_order="xy",
    labels=coco90_names(),
    ignore_dash_labels=True,
)


def tensors(
    rows: list[tuple[tuple[float, float, float, float], float, float]],
    *,
    count: int | None = None,
) -> list[F32]:
    """Outputs as `get_outputs(md, add_batch=True)` returns them: [1,N,4], [1,N], [1,N](, [1,1])."""
    boxes = np.zeros((1, ROWS, 4), np.float32)
    scores = np.zeros((1, ROWS), np.float32)
    classes = np.zeros((1, ROWS), np.float32)
    for i, (box, score, cls) in enumerate(rows):
        boxes[0, i], scores[0, i], classes[0, i] = box, score, cls
    out = [boxes, scores, classes]
    if count is not None:
        out.append(np.array([[count]], np.float32))
    return out


def test_coco90_has_dashes_where_coco_skips_ids() -> None:
    names = coco90_names()
    assert len(names) == 90
    assert [i for i, n in enumerate(names) if n == "-"] == list(COCO_UNUSED_IDS)
    assert tuple(n for n in names if n != "-") == coco80_names()
    assert names[0] == "person" and names[17] == "dog" and names[12] == "stop sign"


def test_ssd_boxes_are_normalized_yx_and_kept_as_is() -> None:
    person = (0.10, 0.20, 0.90, 0.45)  # y0, x0, y1, x1
    dog = (0.55, 0.60, 0.95, 0.98)
    out = tensors([(person, 0.91, 0.0), (dog, 0.66, 17.0), ((0.1, 0.1, 0.2, 0.2), 0.3, 2.0)])
    found = decode_outputs(out, SSD, 0.5)
    assert found is not None
    assert found.labels == ("person", "dog")
    assert found.class_ids.tolist() == [0, 17]
    np.testing.assert_allclose(found.boxes, [person, dog], atol=1e-6)
    np.testing.assert_allclose(found.scores, [0.91, 0.66], atol=1e-6)


def test_count_tensor_cuts_off_rows_past_the_valid_ones() -> None:
    rows = [((0.1, 0.1, 0.5, 0.5), 0.9, 0.0), ((0.2, 0.2, 0.6, 0.6), 0.8, 2.0)]
    one = decode_outputs(tensors(rows, count=1), SSD, 0.5)
    two = decode_outputs(tensors(rows, count=2), SSD, 0.5)
    assert one is not None and one.labels == ("person",)
    assert two is not None and two.labels == ("person", "car")


def test_yolo_pixel_xy_boxes_become_normalized_yx() -> None:
    # x0, y0, x1, y1 in the 640x640 input; class 16 is "dog" once the dashes are dropped.
    out = tensors([((64.0, 128.0, 320.0, 512.0), 0.8, 16.0), ((0, 0, 640, 640), 0.7, 0.0)])
    found = decode_outputs(out, YOLO, 0.5)
    assert found is not None
    assert found.labels == ("dog", "person")
    assert found.class_ids.tolist() == [16, 0]
    np.testing.assert_allclose(found.boxes[0], [0.2, 0.1, 0.8, 0.5], atol=1e-6)
    np.testing.assert_allclose(found.boxes[1], [0.0, 0.0, 1.0, 1.0], atol=1e-6)


def test_pixel_boxes_of_a_non_square_input_divide_each_axis_by_its_own_size() -> None:
    layout = TensorLayout(
        input_size=(640, 480), bbox_normalization=True, bbox_order="xy", labels=("a",)
    )
    found = decode_outputs(tensors([((320.0, 120.0, 640.0, 480.0), 0.9, 0.0)]), layout, 0.5)
    assert found is not None
    np.testing.assert_allclose(found.boxes, [[0.25, 0.5, 1.0, 1.0]], atol=1e-6)


@pytest.mark.parametrize(
    ("order", "normalization", "row"),
    [
        ("yx", False, (0.25, 0.125, 0.75, 0.5)),
        ("xy", False, (0.125, 0.25, 0.5, 0.75)),
        ("yx", True, (80.0, 40.0, 240.0, 160.0)),
        ("xy", True, (40.0, 80.0, 160.0, 240.0)),
    ],
)
def test_every_order_and_scale_decodes_to_the_same_box(
    order: str, normalization: bool, row: tuple[float, float, float, float]
) -> None:
    layout = TensorLayout(
        input_size=(320, 320),
        bbox_normalization=normalization,
        bbox_order="xy" if order == "xy" else "yx",
        labels=("cow",),
    )
    found = decode_outputs(tensors([(row, 0.9, 0.0)]), layout, 0.5)
    assert found is not None
    np.testing.assert_allclose(found.boxes, [[0.25, 0.125, 0.75, 0.5]], atol=1e-6)


def test_frame_without_tensor_is_none_and_empty_output_is_empty() -> None:
    assert decode_outputs(None, SSD, 0.5) is None
    found = decode_outputs(tensors([]), SSD, 0.5)
    assert found is not None and len(found.labels) == 0 and found.boxes.shape == (0, 4)
    dets = map_to_frame(found, lambda box: (0, 0, 1, 1), (640, 480))
    assert len(dets) == 0 and dets.boxes.shape == (0, 4)


def test_dash_classes_are_dropped_and_unknown_ids_named_by_number() -> None:
    box = (0.1, 0.1, 0.5, 0.5)
    out = tensors([(box, 0.9, 11.0), (box, 0.9, 95.0), (box, 0.9, 16.0)])
    found = decode_outputs(out, SSD, 0.5)  # id 11 is an unused COCO id: "-"
    assert found is not None
    assert found.labels == ("class_95", "cat")


def test_ignore_dash_labels_reindexes_the_labels() -> None:
    layout = TensorLayout(input_size=(320, 320), labels=("a", "-", "b"), ignore_dash_labels=True)
    assert layout.names == ("a", "b")
    found = decode_outputs(tensors([((0.1, 0.1, 0.5, 0.5), 0.9, 1.0)]), layout, 0.5)
    assert found is not None and found.labels == ("b",)


def test_boxes_past_the_input_edges_are_clipped_and_empty_ones_dropped() -> None:
    out = tensors(
        [
            ((-0.2, 0.5, 0.4, 1.3), 0.9, 0.0),  # sticks out top and right
            ((0.5, 0.5, 0.5, 0.9), 0.9, 0.0),  # zero height
            ((1.1, 0.2, 1.4, 0.4), 0.9, 0.0),  # wholly below the input
        ]
    )
    found = decode_outputs(out, SSD, 0.5)
    assert found is not None
    np.testing.assert_allclose(found.boxes, [[0.0, 0.5, 0.4, 1.0]], atol=1e-6)


def test_nan_rows_are_ignored() -> None:
    out = tensors([((0.1, 0.1, 0.5, 0.5), float("nan"), 0.0), ((np.nan, 0, 1, 1), 0.9, 0.0)])
    found = decode_outputs(out, SSD, 0.5)
    assert found is not None and len(found.labels) == 0


def test_coordinates_first_box_tensor_is_accepted() -> None:
    out = tensors([((0.1, 0.2, 0.3, 0.4), 0.9, 0.0)])
    out[0] = np.ascontiguousarray(np.swapaxes(out[0], 1, 2))  # [1, 4, N]
    found = decode_outputs(out, SSD, 0.5)
    assert found is not None
    np.testing.assert_allclose(found.boxes, [[0.1, 0.2, 0.3, 0.4]], atol=1e-6)


def test_wrong_tensors_raise_value_error_saying_what_was_expected() -> None:
    with pytest.raises(ValueError, match="post-processed"):
        decode_outputs([np.zeros((1, 1000), np.float32)], SSD, 0.5)
    with pytest.raises(ValueError, match="not N boxes of 4"):
        decode_outputs(
            [np.zeros((1, 10), np.float32), np.zeros((1, 10)), np.zeros((1, 10))], SSD, 0.5
        )


# What picamera2's IMX500.convert_inference_coords does, for a sensor of 4056x3040 and no
# inference ROI: input-normalized (y0, x0, y1, x1) -> full sensor -> bounded to the
# ScalerCrop -> scaled to the main stream, as integer (x, y, w, h).
SENSOR = (4056, 3040)


def converter(scaler_crop: tuple[int, int, int, int], main: tuple[int, int]) -> BoxConverter:
    cx, cy, cw, ch = scaler_crop

    def convert(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        y0, x0, y1, x1 = box
        left, top = max(x0 * SENSOR[0], cx), max(y0 * SENSOR[1], cy)
        right, bottom = min(x1 * SENSOR[0], cx + cw), min(y1 * SENSOR[1], cy + ch)
        w, h = max(right - left, 0), max(bottom - top, 0)
        sx, sy = main[0] / cw, main[1] / ch
        return (int((left - cx) * sx), int((top - cy) * sy), int(w * sx), int(h * sy))

    return convert


def found_one(box: tuple[float, float, float, float]) -> SensorDetections:
    found = decode_outputs(tensors([(box, 0.8, 0.0)]), SSD, 0.5)
    assert found is not None
    return found


def test_full_sensor_view_maps_input_boxes_straight_onto_the_frame() -> None:
    convert = converter((0, 0, 4056, 3040), (2028, 1520))
    dets = map_to_frame(found_one((0.25, 0.1, 0.75, 0.5)), convert, (2028, 1520))
    assert dets.labels == ("person",)
    np.testing.assert_allclose(dets.boxes, [[0.1, 0.25, 0.5, 0.75]], atol=2e-3)
    assert dets.scores.tolist() == pytest.approx([0.8])


def test_cropped_main_view_shifts_boxes_and_drops_ones_outside_it() -> None:
    # A 16:9 main stream shows the middle 2280 rows of the 4:3 sensor.
    crop = (0, 380, 4056, 2280)
    convert = converter(crop, (1920, 1080))
    box = (0.5, 0.25, 0.75, 0.5)  # y 1520..2280 on the sensor
    dets = map_to_frame(found_one(box), convert, (1920, 1080))
    expect_y = [(1520 - 380) / 2280, (2280 - 380) / 2280]
    np.testing.assert_allclose(dets.boxes, [[0.25, expect_y[0], 0.5, expect_y[1]]], atol=2e-3)

    top_band = map_to_frame(found_one((0.0, 0.2, 0.1, 0.4)), convert, (1920, 1080))
    assert len(top_band) == 0  # above the crop: not in the picture at all


def test_frame_boxes_past_the_edges_are_clipped() -> None:
    def sloppy(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        return (-10, 100, 700, 500)  # 10 px left of and 120 px below a 640x480 frame

    dets = map_to_frame(found_one((0.1, 0.1, 0.2, 0.2)), sloppy, (640, 480))
    np.testing.assert_allclose(dets.boxes, [[0.0, 100 / 480, 1.0, 1.0]], atol=1e-6)


def test_pixel_boxes_read_as_normalized_ones_are_counted_as_degenerate() -> None:
    """What the old fallback did to the YOLO networks: every box clipped to (1, 1, 1, 1)."""
    wrong = TensorLayout(input_size=(640, 640), labels=coco90_names())
    out = tensors([((64.0, 320.0, 320.0, 640.0), 0.9, 16), ((10, 10, 90, 90), 0.8, 2)], count=2)
    found = decode_outputs(out, wrong, 0.5)
    assert found is not None and found.labels == () and found.degenerate == 2
    right = decode_outputs(out, YOLO, 0.5)
    assert right is not None and len(right.labels) == 2 and right.degenerate == 0


def test_rpk_walk_skips_a_locked_firmware_block(tmp_path: Path) -> None:
    """picamera2's __ni_from_network skips 32 more bytes when flag byte 6 has bit 0 set."""
    size = 16
    flags = bytes([0, 0, 0, 0, 0, 0, 1, 0])
    block = b"9464" + struct.pack(">I", size) + flags + bytes(size + 44) + b"3695" + bytes(32)
    intrinsics = json.dumps({"task": "object detection"}).encode()
    archive = b""
    for name, data in [("network_intrinsics", intrinsics), ("TRAILER!!!", b"")]:
        fields = [0, 0o100644, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0]
        entry = b"070701" + b"".join(b"%08X" % v for v in fields) + name.encode() + b"\0"
        entry += bytes(-len(entry) % 4) + data
        archive += entry + bytes(-len(entry) % 4)
    path = tmp_path / "locked.rpk"
    path.write_bytes(block + archive)
    assert rpk_intrinsics(path) == {"task": "object detection"}
    path.write_bytes(b"not an rpk")
    with pytest.raises(RpkError, match="not an IMX500 network package"):
        rpk_intrinsics(path)


def test_a_box_maps_through_the_square_inference_region() -> None:
    """4056x3040 sensor, centred 3040x3040 region: input x 0..1 spans sensor x 508..3548."""
    y0, x0, y1, x1 = through_roi((0.0, 0.0, 1.0, 0.5), (508, 0, 3040, 3040))
    assert (y0, y1) == (0.0, 1.0)
    assert x0 == pytest.approx(508 / 4056) and x1 == pytest.approx((508 + 1520) / 4056)
    assert through_roi((0.1, 0.2, 0.3, 0.4), (0, 0, 4056, 3040)) == pytest.approx(
        (0.1, 0.2, 0.3, 0.4)
    )
