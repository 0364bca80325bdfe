"""Annotated snapshots, drawn on a real frame of the demo scene and checked pixel by pixel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from agent.adapters.snapshot import SNAPSHOT_MAX_BYTES, annotate, color_for
from agent.core.settings import ZoneConfig
from pipelines.demo_scene import ensure_demo_scene
from pipelines.detections import Detections

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]

WIDTH, HEIGHT = 640, 360  # the 1280x720 demo frame at the default max_width


@dataclass(frozen=True)
class Scene:
    image: Image
    boxes: list[list[float]]  # ground-truth normalized boxes of the objects in the frame
    labels: list[str]


@pytest.fixture(scope="module")
def scene() -> Scene:
    """The first demo frame with two photos in it (a person and a cup), and where they are."""
    folder = ensure_demo_scene()
    manifest: dict[str, Any] = json.loads((folder / "scene.json").read_text())
    frame = next(f for f in manifest["frames"] if len(f["objects"]) >= 2)
    image = cv2.imread(str(folder / frame["file"]), cv2.IMREAD_COLOR)
    assert image is not None
    objects = frame["objects"]
    return Scene(
        np.asarray(image, np.uint8), [o["box"] for o in objects], [o["label"] for o in objects]
    )


def detections(boxes: list[list[float]], scores: list[float], labels: list[str]) -> Detections:
    return Detections.build(boxes, scores, list(range(len(labels))), labels)


def decode(jpeg: bytes) -> Image:
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG: no SOI marker"
    assert jpeg[-2:] == b"\xff\xd9", "not a JPEG: no EOI marker"
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "OpenCV cannot decode the snapshot"
    return np.asarray(image, np.uint8)


def plain(image: Image, width: int = WIDTH) -> Image:
    height = round(image.shape[0] * width / image.shape[1])
    return np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), np.uint8)


def diff(a: Image, b: Image, mask: Mask) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16))[mask].mean())


def pixel_box(box: list[float], w: int = WIDTH, h: int = HEIGHT) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    return round(x1 * (w - 1)), round(y1 * (h - 1)), round(x2 * (w - 1)), round(y2 * (h - 1))


def border(box: list[float]) -> Mask:
    """The pixels a box's outline covers."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    x1, y1, x2, y2 = pixel_box(box)
    cv2.rectangle(mask, (x1, y1), (x2, y2), 1, 2)
    return mask.astype(bool)


def inside(box: list[float], margin: int = 8) -> Mask:
    """The box's interior, away from its outline."""
    mask = np.zeros((HEIGHT, WIDTH), bool)
    x1, y1, x2, y2 = pixel_box(box)
    mask[y1 + margin : y2 - margin, x1 + margin : x2 - margin] = True
    return mask


def test_output_is_a_jpeg_of_the_requested_width(scene: Scene) -> None:
    dets = detections(scene.boxes, [0.91, 0.87], scene.labels)
    jpeg = annotate(scene.image, dets, [], stamp="demo  2026-11-22 05:12:03")
    assert decode(jpeg).shape == (HEIGHT, WIDTH, 3)  # aspect ratio kept
    assert len(jpeg) <= SNAPSHOT_MAX_BYTES
    assert decode(annotate(scene.image, dets, [], max_width=320)).shape == (180, 320, 3)


def test_smaller_frames_are_not_enlarged(scene: Scene) -> None:
    small = plain(scene.image, 200)
    assert decode(annotate(small, Detections.empty(), [], max_width=640)).shape == (112, 200, 3)


def test_nothing_to_draw_is_the_plain_resized_frame(scene: Scene) -> None:
    ok, expected = cv2.imencode(".jpg", plain(scene.image), [cv2.IMWRITE_JPEG_QUALITY, 75])
    assert ok
    assert annotate(scene.image, Detections.empty(), []) == expected.tobytes()


def test_boxes_are_drawn_where_the_detections_are(scene: Scene) -> None:
    dets = detections(scene.boxes, [0.91, 0.87], scene.labels)
    drawn = decode(annotate(scene.image, dets, []))
    before = plain(scene.image)
    for box, label in zip(scene.boxes, scene.labels, strict=True):
        on_outline = diff(drawn, before, border(box))
        within = diff(drawn, before, inside(box))
        assert on_outline > 40, f"{label}: outline barely differs from the frame ({on_outline:.1f})"
        assert within < 8, f"{label}: the box's interior was painted over ({within:.1f})"
    # Far from both boxes (and their captions, which sit above them) the frame is untouched.
    elsewhere = np.zeros((HEIGHT, WIDTH), bool)
    elsewhere[HEIGHT - 60 :, WIDTH - 120 :] = True
    assert diff(drawn, before, elsewhere) < 4


def test_captions_sit_above_the_boxes(scene: Scene) -> None:
    dets = detections(scene.boxes, [0.91, 0.87], scene.labels)
    drawn = decode(annotate(scene.image, dets, []))
    before = plain(scene.image)
    for box in scene.boxes:
        x1, y1, _, _ = pixel_box(box)
        above = np.zeros((HEIGHT, WIDTH), bool)
        above[max(0, y1 - 14) : y1 - 2, x1 + 2 : x1 + 40] = True  # filled label background
        assert diff(drawn, before, above) > 40


def test_low_score_detections_are_not_drawn(scene: Scene) -> None:
    low = detections(scene.boxes[:1], [0.3], scene.labels[:1])
    assert annotate(scene.image, low, []) == annotate(scene.image, Detections.empty(), [])
    assert annotate(scene.image, low, [], min_score=0.25) != annotate(
        scene.image, Detections.empty(), []
    )
    mixed = detections(scene.boxes, [0.3, 0.87], scene.labels)
    drawn = decode(annotate(scene.image, mixed, []))
    before = plain(scene.image)
    assert diff(drawn, before, border(scene.boxes[0])) < 8
    assert diff(drawn, before, border(scene.boxes[1])) > 40


def test_zones_are_drawn_translucent_with_their_title(scene: Scene) -> None:
    zone = ZoneConfig(
        name="drive",
        title="driveway",
        points=[(0.5, 0.55), (0.95, 0.55), (0.95, 0.95), (0.5, 0.95)],
    )
    drawn = decode(annotate(scene.image, Detections.empty(), [zone]))
    before = plain(scene.image)
    interior = np.zeros((HEIGHT, WIDTH), bool)
    interior[230:330, 360:580] = True  # inside the zone, clear of its outline and title
    outside = np.zeros((HEIGHT, WIDTH), bool)
    outside[20:150, 20:150] = True
    tinted = diff(drawn, before, interior)
    assert 10 < tinted < 120, f"zone fill is not translucent ({tinted:.1f})"
    assert diff(drawn, before, outside) < 4
    # Blended, not painted: 70 % of the frame shows through 30 % of the zone's colour.
    color = np.array(color_for("zone:drive"), np.float64)
    expected = 0.7 * before[interior].astype(np.float64) + 0.3 * color
    assert float(np.abs(drawn[interior] - expected).mean()) < 6
    # The title is drawn by the top edge of the polygon.
    title = np.zeros((HEIGHT, WIDTH), bool)
    title[200:212, 322:380] = True
    assert diff(drawn, before, title) > 40


def test_a_title_opencv_cannot_draw_falls_back_to_the_zone_name(scene: Scene) -> None:
    points = [(0.1, 0.1), (0.4, 0.1), (0.4, 0.4)]
    ukrainian = ZoneConfig(name="gate", title="хвіртка", points=points)
    named = ZoneConfig(name="gate", points=points)
    empty = Detections.empty()
    assert annotate(scene.image, empty, [ukrainian]) == annotate(scene.image, empty, [named])


def test_stamp_is_drawn_in_the_bottom_left_corner(scene: Scene) -> None:
    empty = Detections.empty()
    drawn = decode(annotate(scene.image, empty, [], stamp="barn  2026-11-22 05:12:03"))
    before = plain(scene.image)
    corner = np.zeros((HEIGHT, WIDTH), bool)
    corner[HEIGHT - 18 :, :150] = True
    assert diff(drawn, before, corner) > 40
    assert diff(decode(annotate(scene.image, empty, [])), before, corner) < 4


def test_same_label_same_colour() -> None:
    assert color_for("cow") == color_for("cow")
    labels = ["person", "cow", "sheep", "dog", "car", "cup", "motorcycle", "horse"]
    assert len({color_for(label) for label in labels}) >= 6
    # crc32 is the same in every process, unlike hash(): the colour of a label never changes.
    assert color_for("person") == color_for("".join(["per", "son"]))


def test_a_huge_noisy_4k_frame_stays_within_the_bound() -> None:
    noise = np.random.default_rng(7).integers(0, 256, (2160, 3840, 3), dtype=np.uint8)
    dets = detections([[0.1, 0.1, 0.5, 0.9]], [0.95], ["cow"])
    jpeg = annotate(noise, dets, [ZoneConfig(name="yard")], stamp="barn")
    assert len(jpeg) <= SNAPSHOT_MAX_BYTES
    assert decode(jpeg).shape[1] <= 640
    # Full width allowed: only scaling down can bring pure noise under the bound.
    big = annotate(noise, dets, [], max_width=3840, quality=95)
    assert len(big) <= SNAPSHOT_MAX_BYTES
    assert decode(big).shape[1] < 3840
    tight = annotate(noise, dets, [], max_bytes=4_000)  # 640 px is ~6 kB even at quality 20
    assert len(tight) <= 4_000
    assert decode(tight).shape[1] < 640


def test_quality_is_lowered_before_the_picture_is_scaled_down(scene: Scene) -> None:
    noisy = np.clip(
        scene.image.astype(np.int16)
        + np.random.default_rng(3).normal(0, 25, scene.image.shape).round().astype(np.int16),
        0,
        255,
    ).astype(np.uint8)
    empty = Detections.empty()
    at_45 = annotate(noisy, empty, [], quality=45, max_bytes=10**9)
    at_75 = annotate(noisy, empty, [], quality=75, max_bytes=10**9)
    assert len(at_45) < len(at_75)
    fitted = annotate(noisy, empty, [], quality=75, max_bytes=len(at_45))
    assert fitted == at_45  # 75, 65 and 55 were too large; 45 fits at full width
    assert decode(fitted).shape == (HEIGHT, WIDTH, 3)


def test_bad_input_is_refused_with_a_reason(scene: Scene) -> None:
    empty = Detections.empty()
    grey = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY)
    with pytest.raises(ValueError, match="BGR uint8"):
        annotate(np.asarray(grey, np.uint8), empty, [])
    with pytest.raises(ValueError, match="quality"):
        annotate(scene.image, empty, [], quality=0)
    with pytest.raises(ValueError, match="raise max_bytes"):
        annotate(scene.image, empty, [], max_bytes=100)
