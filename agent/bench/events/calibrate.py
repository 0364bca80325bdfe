"""Detector noise measured on the project's real detector, for the `calibrated` noise level.

`eva bench --calibrate-noise` composes short sequences from real photos (scikit-image's
sample photos: people, a cat, a motorbike, a cup, on plain, grass, gravel and brick
backgrounds), puts each frame through what cameras do (motion blur, low light with sensor
noise, JPEG, a post or another object in front, scale change as objects approach, several
objects crowding), runs the configured ONNX detector (YOLOv3-tiny at 416 by default) on
every frame and measures what the event benchmark's noise model needs: miss rate and
miss-burst lengths (also by how much is hidden and by size), duplicate and nested boxes,
false positives (how many, how long, what score), box jitter and class flicker. The result
is written to `calibrated.json` beside this file and read by `noise.calibrated_level()`.
An object the detector never finds in its whole sequence (too small or too degraded for
it) is counted apart: no tracker can follow it, and its frames would read as one endless
miss burst.

What this cannot represent: real scenes (pasted cut-outs have hard, feathered edges and no
shadows; the backgrounds are textures), real motion (cut-outs slide and scale, they do not
walk or turn), and most of the benchmark's labels: there is no cow, sheep, dog or car photo
among the packaged ones, so the flicker measured between person, cat, motorbike and cup
stands in for all classes, and the worlds' labels keep the confusions noise.CONFUSED names.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import cv2
import numpy as np
import numpy.typing as npt

from agent.core.assignment import assign
from agent.core.geometry import box_iou, inside_share
from pipelines.demo_scene import make_background, photo_dir
from pipelines.detections import Detections

STATS_FILE = Path(__file__).with_name("calibrated.json")
SIZE = (1280, 720)
SEED = 20261206


@dataclass(frozen=True, slots=True)
class Cutout:
    label: str
    photo: str
    crop: tuple[int, int, int, int]


CUTOUTS = (
    Cutout("person", "camera.png", (0, 55, 345, 512)),
    Cutout("person", "astronaut.png", (100, 20, 440, 512)),
    Cutout("cat", "chelsea.png", (0, 0, 451, 300)),
    Cutout("motorcycle", "motorcycle_left.png", (85, 85, 695, 460)),
    Cutout("cup", "coffee.png", (165, 12, 425, 318)),
)
BACKGROUNDS = ("plain", "grass.png", "gravel.png", "brick.png")


@dataclass(slots=True)
class _Object:
    cut: int
    x: float  # left edge, share of the frame width
    bottom: float
    width: float  # share of the frame width
    vx: float  # per frame
    grow: float  # width factor per frame (approaching > 1)


def _background(name: str, photos: Path) -> npt.NDArray[np.uint8]:
    if name == "plain":
        return make_background(SIZE)
    tile = cv2.imread(str(photos / name), cv2.IMREAD_COLOR)
    if tile is None:
        raise RuntimeError(f"cannot read {photos / name}; reinstall scikit-image")
    return np.asarray(cv2.resize(tile, SIZE, interpolation=cv2.INTER_LINEAR), np.uint8)


def _cut(photos: Path, c: Cutout) -> npt.NDArray[np.uint8]:
    img = cv2.imread(str(photos / c.photo), cv2.IMREAD_COLOR)
    if img is None:
        raise RuntimeError(f"cannot read {photos / c.photo}; reinstall scikit-image")
    x1, y1, x2, y2 = c.crop
    return np.asarray(img[y1:y2, x1:x2], np.uint8)


def _paste(
    canvas: npt.NDArray[np.float32], pixels: npt.NDArray[np.uint8], box: tuple[int, ...]
) -> None:
    x1, y1, x2, y2 = box
    W, H = SIZE
    cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, W), min(y2, H)
    if cx2 <= cx1 or cy2 <= cy1:
        return
    scaled = cv2.resize(pixels, (x2 - x1, y2 - y1), interpolation=cv2.INTER_AREA)
    part = scaled[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1].astype(np.float32)
    canvas[cy1:cy2, cx1:cx2] = part


def _degrade(
    image: npt.NDArray[np.float32], blur: int, light: float, quality: int, rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    """Motion blur of `blur` pixels, light scaled by `light` with sensor noise, then JPEG."""
    out = image
    if blur > 1:
        kernel = np.zeros((blur, blur), np.float32)
        kernel[blur // 2, :] = 1.0 / blur
        out = np.asarray(cv2.filter2D(out, -1, kernel), np.float32)
    if light < 1.0:
        # Less light: darker, and the noise the camera's gain amplifies.
        out = out * light + rng.normal(0.0, 6.0 / max(light, 0.1), out.shape).astype(np.float32)
    clipped = np.clip(out, 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", clipped, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), np.uint8)


@dataclass(slots=True)
class _Tally:
    images: int = 0
    object_frames: int = 0  # objects at least half in view
    missed: int = 0
    nested: int = 0
    nested_when_missed: int = 0
    duplicates: int = 0
    false_starts: int = 0
    jitter: list[float] | None = None
    never_found: int = 0  # objects (per sequence) the detector never found
    never_found_frames: int = 0

    def __post_init__(self) -> None:
        self.jitter = []


def calibrate(
    detect: Callable[[npt.NDArray[np.uint8]], Detections],
    sequences: int = 60,
    frames: int = 40,
    seed: int = SEED,
    out: TextIO | None = None,
) -> dict[str, Any]:
    """Run `detect` on composed, degraded sequences and return the measured statistics."""
    rng = np.random.default_rng(seed)
    photos = photo_dir()
    cuts = [_cut(photos, c) for c in CUTOUTS]
    aspect = [c.shape[0] / c.shape[1] for c in cuts]
    backgrounds = {b: _background(b, photos) for b in BACKGROUNDS}
    t = _Tally()
    bursts: Counter[int] = Counter()
    miss_by_visible: dict[str, list[int]] = {}
    miss_by_size: dict[str, list[int]] = {}
    false_lives: Counter[int] = Counter()
    false_scores: list[float] = []
    true_scores: list[float] = []
    flicker: dict[str, Counter[str]] = {}
    t0 = time.perf_counter()
    for s in range(sequences):
        bg = backgrounds[BACKGROUNDS[s % len(BACKGROUNDS)]].astype(np.float32)
        crowd = int(rng.integers(1, 5))
        main = int(rng.integers(0, len(CUTOUTS)))
        objects = []
        for k in range(crowd):
            # A crowd or herd: mostly copies of one kind, side by side and overlapping.
            cut = main if rng.random() < 0.7 else int(rng.integers(0, len(CUTOUTS)))
            # From 15% to 60% of the frame's height: a door or a yard seen by a Pi camera.
            width = float(rng.uniform(0.15, 0.6)) * SIZE[1] / (aspect[cut] * SIZE[0])
            objects.append(
                _Object(
                    cut,
                    float(rng.uniform(0.0, 0.7)) + 0.05 * k,
                    float(rng.uniform(0.55, 1.0)),
                    width,
                    float(rng.normal(0, 0.006)),
                    float(rng.uniform(0.99, 1.02)),
                )
            )
        post = None
        if rng.random() < 0.5:  # a post or a shed's corner in front
            pw = float(rng.uniform(0.03, 0.15))
            post = (float(rng.uniform(0.1, 0.9 - pw)), pw, float(rng.uniform(40, 120)))
        blur, light, quality = 1.0, 1.0, 85.0
        # Per object, per frame: None while mostly hidden, else (found, visible share bin,
        # height bin, an inner box seen). Folded in at the end of the sequence.
        seen: dict[int, list[tuple[bool, str, str, bool] | None]] = {}
        # Box errors per object: jitter is their spread around the object's own mean (a
        # cut-out's margin shifts every box of it alike; that is not jitter).
        errors: dict[int, list[npt.NDArray[np.float64]]] = {}
        live_false: list[tuple[npt.NDArray[np.float64], int]] = []
        for _ in range(frames):
            # Conditions drift, so hard frames come in runs as they do on a camera.
            blur = float(np.clip(blur + rng.normal(0, 2), 1, 15))
            light = float(np.clip(light + rng.normal(0, 0.06), 0.35, 1.0))
            quality = float(np.clip(quality + rng.normal(0, 8), 30, 90))
            canvas = bg.copy()
            boxes = []
            for o in objects:
                w = o.width * SIZE[0]
                h = w * aspect[o.cut]
                x1, y2 = o.x * SIZE[0], o.bottom * SIZE[1]
                box = (int(x1), int(y2 - h), int(x1 + w), int(y2))
                _paste(canvas, cuts[o.cut], box)
                boxes.append(box)
                o.x += o.vx
                o.width = min(o.width * o.grow, 0.45)
            if post is not None:
                px, pw, shade = post
                canvas[:, int(px * SIZE[0]) : int((px + pw) * SIZE[0])] = shade
            image = _degrade(canvas, int(blur), light, int(quality), rng)
            dets = detect(image)
            t.images += 1
            truth = np.array(boxes, np.float64) / np.array([*SIZE, *SIZE], np.float64)
            truth = np.clip(truth, 0.0, 1.0)
            visible = _visible_share(truth, post)
            db = dets.boxes.astype(np.float64)
            labels = list(dets.labels)
            scores = dets.scores.tolist()
            matched_det: dict[int, int] = {}
            if len(db) and len(truth):
                iou = box_iou(truth, db)
                ok = iou >= 0.5
                rows, cols = assign(1.0 - iou, ok)
                matched_det = dict(zip(rows, cols, strict=True))
            used = set(matched_det.values())
            inner = inside_share(truth, db) if len(db) and len(truth) else np.zeros((0, 0))
            for i, box in enumerate(truth):
                size = box[3] - box[1]
                if visible[i] < 0.5 or size < 0.02:
                    seen.setdefault(i, []).append(None)  # hidden: a miss is no news
                    continue
                hit = i in matched_det
                vis_bin = (
                    "full"
                    if visible[i] >= 0.999
                    else "0.75-1"
                    if visible[i] >= 0.75
                    else "0.5-0.75"
                )
                size_bin = (
                    "small (<0.1)"
                    if size < 0.1
                    else "medium (0.1-0.25)"
                    if size < 0.25
                    else "large (>0.25)"
                )
                has_inner = bool(
                    len(db)
                    and any(
                        j not in used
                        and inner[i, j] >= 0.8
                        and box_area(db[j]) < 0.6 * box_area(box)
                        for j in range(len(db))
                    )
                )
                seen.setdefault(i, []).append((hit, vis_bin, size_bin, has_inner))
                if hit:
                    j = matched_det[i]
                    true_label = CUTOUTS[objects[i].cut].label
                    flicker.setdefault(true_label, Counter())[labels[j]] += 1
                    true_scores.append(scores[j])
                    w, h = max(box[2] - box[0], 1e-6), max(box[3] - box[1], 1e-6)
                    err = (db[j] - box) / np.array([w, h, w, h])
                    errors.setdefault(i, []).append(err)
            # What is left: nested boxes (counted above), duplicates of a found object, and
            # false positives, followed across frames to see how long they last.
            new_false: list[tuple[npt.NDArray[np.float64], int]] = []
            continued: set[int] = set()
            for j in range(len(db)):
                if j in used:
                    continue
                if len(truth):
                    if (inner[:, j] >= 0.8).any():
                        continue  # nested: counted per object
                    if (box_iou(truth, db[j : j + 1])[:, 0] >= 0.5).any():
                        t.duplicates += 1
                        continue
                    if (box_iou(truth, db[j : j + 1])[:, 0] >= 0.2).any():
                        continue  # a poor box of a real object: neither
                life = 0
                for k, (fb, fl) in enumerate(live_false):
                    if k not in continued and box_iou(fb[None, :], db[j : j + 1])[0, 0] >= 0.3:
                        life = fl
                        continued.add(k)
                        break
                if not life:
                    t.false_starts += 1
                    false_scores.append(scores[j])
                new_false.append((db[j], life + 1))
            # A false positive not seen again this frame has ended: record how long it lasted.
            for k, (_, fl) in enumerate(live_false):
                if k not in continued:
                    false_lives[fl] += 1
            live_false = new_false
        for _, fl in live_false:
            false_lives[fl] += 1
        assert t.jitter is not None
        for errs in errors.values():
            e = np.array(errs)
            t.jitter.extend((e - e.mean(axis=0)).ravel().tolist())
        for log in seen.values():
            frames_in_view = [x for x in log if x is not None]
            if not any(x[0] for x in frames_in_view):
                # Never found in the whole sequence: too small or too degraded for this
                # detector; no tracker can follow it, so it is counted apart.
                t.never_found += 1
                t.never_found_frames += len(frames_in_view)
                continue
            run = 0
            for x in log + [None]:
                if x is not None and not x[0]:
                    run += 1
                    continue
                if run:
                    bursts[run] += 1
                run = 0
            for hit, vis_bin, size_bin, has_inner in frames_in_view:
                t.object_frames += 1
                for table, key in ((miss_by_visible, vis_bin), (miss_by_size, size_bin)):
                    table.setdefault(key, [0, 0])[0] += 0 if hit else 1
                    table[key][1] += 1
                if hit:
                    t.nested += int(has_inner)
                else:
                    t.missed += 1
                    t.nested_when_missed += int(has_inner)
        if out is not None and (s + 1) % 10 == 0:
            print(f"  {s + 1}/{sequences} sequences, {time.perf_counter() - t0:.0f} s", file=out)
    assert t.jitter is not None
    hits = t.object_frames - t.missed
    return {
        "detector": "",
        "images": t.images,
        "sequences": sequences,
        "frames_per_sequence": frames,
        "seed": seed,
        "object_frames": t.object_frames,
        "objects_never_found": t.never_found,
        "object_frames_never_found": t.never_found_frames,
        "miss_rate": round(t.missed / max(t.object_frames, 1), 4),
        "miss_bursts": {str(k): v for k, v in sorted(bursts.items())},
        "miss_rate_by_visible_share": {
            k: round(m / n, 4) for k, (m, n) in sorted(miss_by_visible.items())
        },
        "miss_rate_by_height": {k: round(m / n, 4) for k, (m, n) in sorted(miss_by_size.items())},
        "nested_rate": round(t.nested / max(hits, 1), 4),
        "nested_when_missed": round(t.nested_when_missed / max(t.missed, 1), 4),
        "duplicate_rate": round(t.duplicates / max(hits, 1), 4),
        "false_per_frame": round(t.false_starts / max(t.images, 1), 4),
        "false_durations": {str(k): v for k, v in sorted(false_lives.items())},
        "false_score_quantiles": _quantiles(false_scores),
        "true_score_quantiles": _quantiles(true_scores),
        "jitter": round(float(np.std(t.jitter)), 4) if t.jitter else 0.0,
        "flicker": {k: dict(sorted(v.items())) for k, v in sorted(flicker.items())},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def box_area(b: npt.NDArray[np.float64]) -> float:
    return float(max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0))


def _visible_share(
    truth: npt.NDArray[np.float64], post: tuple[float, float, float] | None
) -> list[float]:
    """Share of each box not covered by the post or by objects pasted after it."""
    out = []
    for i, b in enumerate(truth):
        a = box_area(b)
        if a <= 0:
            out.append(0.0)
            continue
        covers = [truth[k] for k in range(i + 1, len(truth))]
        if post is not None:
            covers.append(np.array([post[0], 0.0, post[0] + post[1], 1.0]))
        # Sampled on a grid: the covers overlap each other.
        xs = np.linspace(b[0], b[2], 24)
        ys = np.linspace(b[1], b[3], 24)
        gx, gy = np.meshgrid(xs, ys)
        hidden = np.zeros(gx.shape, bool)
        for c in covers:
            hidden |= (gx >= c[0]) & (gx <= c[2]) & (gy >= c[1]) & (gy <= c[3])
        out.append(float(1.0 - hidden.mean()))
    return out


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    q = np.quantile(values, [0.1, 0.5, 0.9])
    return {
        "p10": round(float(q[0]), 3),
        "p50": round(float(q[1]), 3),
        "p90": round(float(q[2]), 3),
    }


def run_calibration(out: TextIO, sequences: int = 60, frames: int = 40) -> Path:
    """Measure with the built-in detector and write STATS_FILE; prints a summary."""
    from pipelines.detectors.onnx_yolo import OnnxDetector, OnnxDetectorConfig

    config = OnnxDetectorConfig()
    detector = OnnxDetector(config)
    print(
        f"calibrating detector noise: {config.model} @{config.input_size}, {sequences} sequences "
        f"x {frames} frames",
        file=out,
        flush=True,
    )
    stats = calibrate(detector.detect, sequences, frames, out=out)
    stats["detector"] = f"{config.model} @{config.input_size}, score >= {config.score_threshold}"
    STATS_FILE.write_text(json.dumps(stats, indent=1) + "\n")
    print(json.dumps(stats, indent=1), file=out)
    print(f"written to {STATS_FILE}", file=out)
    return STATS_FILE
