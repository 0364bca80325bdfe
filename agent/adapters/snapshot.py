"""Annotated JPEG snapshots: a frame with its zones, detections and a caption drawn on it."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from agent.core.settings import ZoneConfig
from pipelines.detections import Detections

Image = npt.NDArray[np.uint8]
Color = tuple[int, int, int]

#: Largest JPEG `annotate` returns by default; a retained MQTT message should stay small.
SNAPSHOT_MAX_BYTES = 200_000

_MIN_QUALITY = 20
_QUALITY_STEP = 10
_SCALE_STEP = 0.75
_MIN_WIDTH = 32
_ZONE_ALPHA = 0.3
_FONT = cv2.FONT_HERSHEY_SIMPLEX

# BGR; distinct from each other and readable under white text.
_PALETTE: tuple[Color, ...] = (
    (56, 56, 255),
    (151, 157, 255),
    (31, 112, 255),
    (29, 178, 255),
    (49, 210, 207),
    (10, 249, 72),
    (23, 204, 146),
    (134, 219, 61),
    (52, 147, 26),
    (187, 212, 0),
    (168, 153, 44),
    (255, 194, 0),
    (147, 69, 52),
    (255, 115, 100),
    (236, 24, 0),
    (255, 56, 132),
    (133, 0, 82),
    (255, 56, 203),
    (200, 149, 255),
    (199, 55, 255),
)


def color_for(name: str) -> Color:
    """A BGR colour that depends only on `name`, the same in every process and run."""
    return _PALETTE[zlib.crc32(name.encode()) % len(_PALETTE)]


def annotate(
    image: Image,
    detections: Detections,
    zones: Sequence[ZoneConfig],
    max_width: int = 640,
    quality: int = 75,
    min_score: float = 0.5,
    stamp: str | None = None,
    max_bytes: int = SNAPSHOT_MAX_BYTES,
) -> bytes:
    """A JPEG of `image` (BGR) no wider than `max_width` and no larger than `max_bytes`.

    Zones are drawn as translucent polygons with their title, detections scoring at least
    `min_score` as boxes captioned "label 0.87", and `stamp` (e.g. camera and time) in the
    bottom-left corner. When the JPEG is too large, quality is lowered in steps down to 20,
    then the picture is scaled down (and drawn again, so captions stay legible) until it fits.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(
            f"image must be BGR uint8 of shape (H, W, 3), got {image.dtype} {image.shape}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError("image is empty")
    if max_width < 1:
        raise ValueError(f"max_width must be positive, got {max_width}")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be between 1 and 100, got {quality}")
    qualities = [quality, *range(quality - _QUALITY_STEP, _MIN_QUALITY - 1, -_QUALITY_STEP)]
    width = min(max_width, image.shape[1])
    while True:
        canvas = _render(image, detections, zones, width, min_score, stamp)
        for q in qualities:
            jpeg = _encode(canvas, q)
            if len(jpeg) <= max_bytes:
                return jpeg
        smaller = int(width * _SCALE_STEP)
        if smaller < _MIN_WIDTH or smaller == width:
            raise ValueError(
                f"cannot fit the snapshot in {max_bytes} bytes even at {width} px and quality "
                f"{qualities[-1]}; raise max_bytes"
            )
        width = smaller


def _render(
    image: Image,
    detections: Detections,
    zones: Sequence[ZoneConfig],
    width: int,
    min_score: float,
    stamp: str | None,
) -> Image:
    canvas = _fit_width(image, width)
    h, w = canvas.shape[:2]
    # Line and text sizes follow the picture, so a 640 px and a 1920 px snapshot look alike.
    unit = max(w, h) / 640
    scale = max(0.35, 0.5 * unit)
    thickness = max(1, round(unit))
    _draw_zones(canvas, zones, scale, thickness)
    _draw_detections(canvas, detections, min_score, scale, thickness)
    if stamp:
        _caption(canvas, _ascii(stamp), (0, h), (32, 32, 32), scale, thickness, above=True)
    return canvas


def _fit_width(image: Image, width: int) -> Image:
    h, w = image.shape[:2]
    if w <= width:
        return np.ascontiguousarray(image).copy()
    height = max(1, round(h * width / w))
    return np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), np.uint8)


def _draw_zones(canvas: Image, zones: Sequence[ZoneConfig], scale: float, thickness: int) -> None:
    if not zones:
        return
    h, w = canvas.shape[:2]
    size = np.array([w - 1, h - 1], np.float64)
    polygons = [np.round(np.asarray(z.points, np.float64) * size).astype(np.int32) for z in zones]
    overlay = canvas.copy()
    for zone, pts in zip(zones, polygons, strict=True):
        cv2.fillPoly(overlay, [pts], color_for(f"zone:{zone.name}"))
    cv2.addWeighted(overlay, _ZONE_ALPHA, canvas, 1 - _ZONE_ALPHA, 0, dst=canvas)
    for zone, pts in zip(zones, polygons, strict=True):
        color = color_for(f"zone:{zone.name}")
        cv2.polylines(canvas, [pts], True, color, thickness, cv2.LINE_AA)
        # The title goes by the topmost corner, inside the zone when that corner is at the top.
        top = pts[int(np.argmin(pts[:, 1]))]
        _caption(
            canvas,
            _ascii(zone.display, fallback=zone.name),
            (int(top[0]), int(top[1])),
            color,
            scale,
            thickness,
            above=False,
        )


def _draw_detections(
    canvas: Image, detections: Detections, min_score: float, scale: float, thickness: int
) -> None:
    h, w = canvas.shape[:2]
    size = np.array([w - 1, h - 1, w - 1, h - 1], np.float64)
    boxes = np.round(detections.boxes.astype(np.float64) * size).astype(np.int32)
    # Lowest score first, so the most certain boxes and captions end up on top.
    for i in np.argsort(detections.scores, kind="stable").tolist():
        score = float(detections.scores[i])
        if score < min_score:
            continue
        label = detections.labels[i]
        color = color_for(label)
        x1, y1, x2, y2 = (int(v) for v in boxes[i])
        cv2.rectangle(canvas, (x1, y1), (x2, y2), color, thickness + 1, cv2.LINE_AA)
        text = f"{_ascii(label, fallback=f'class {int(detections.class_ids[i])}')} {score:.2f}"
        _caption(canvas, text, (x1, y1), color, scale, thickness, above=True)


def _caption(
    canvas: Image,
    text: str,
    anchor: tuple[int, int],
    color: Color,
    scale: float,
    thickness: int,
    *,
    above: bool,
) -> None:
    """White text on a filled `color` label whose corner is at `anchor`, kept inside the frame."""
    h, w = canvas.shape[:2]
    (tw, th), baseline = cv2.getTextSize(text, _FONT, scale, thickness)
    pad = max(2, thickness * 2)
    box_w, box_h = tw + 2 * pad, th + baseline + 2 * pad
    x = min(max(anchor[0], 0), max(w - box_w, 0))
    y = anchor[1] - box_h if above else anchor[1]
    if y < 0:  # no room above the box: put the label just inside it
        y = anchor[1] if above else 0
    y = min(max(y, 0), max(h - box_h, 0))
    cv2.rectangle(canvas, (x, y), (x + box_w - 1, y + box_h - 1), color, cv2.FILLED)
    cv2.putText(
        canvas, text, (x + pad, y + pad + th), _FONT, scale, (255, 255, 255), thickness, cv2.LINE_AA
    )


def _ascii(text: str, fallback: str = "?") -> str:
    """OpenCV's Hershey fonts draw only ASCII; other text (a Ukrainian title) gets `fallback`."""
    return text if text.isascii() and text.isprintable() and text.strip() else fallback


def _encode(canvas: Image, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode the snapshot as JPEG")
    return bytes(data.tobytes())
