"""The demo scene: real photos from installed packages composed into a short JPEG sequence.

A person, a cup and a motorbike (scikit-image's sample photos) appear on a plain canvas,
stay a while and leave, so the agent has arrivals and departures to report without a
camera. The frames are built once into the cache and rebuilt when the script changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from eva_errors import UserError
from pipelines.models.paths import cache_dir

log = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]

#: Bump when the output changes in a way the script and the photos do not capture.
SCENE_VERSION = 1
CANVAS_SIZE = (1280, 720)  # width, height
DURATION = 40.0  # seconds
JPEG_QUALITY = 90
SEED = 20261122
HASH_FILE = ".content-hash"
SCENE_FILE = "scene.json"
_FEATHER = 6  # pixels over which a pasted photo fades into the canvas, so edges look less cut


class DemoSceneError(UserError, RuntimeError):
    """The demo scene could not be built; the message says what to install."""


@dataclass(frozen=True, slots=True)
class SceneObject:
    """One photo cut-out: what it shows, where it stands and when it is there."""

    label: str  # COCO name a detector should report
    photo: str  # file in scikit-image's data folder
    crop: Box  # x1, y1, x2, y2 in the photo: the object and little else
    left: float  # left edge as a fraction of the canvas width
    bottom: float  # bottom edge as a fraction of the canvas height
    width: float  # as a fraction of the canvas width; the height keeps the crop's aspect
    enter: float  # seconds from the start
    leave: float  # seconds from the start; absent from this time on


# Sizes and places were tuned with YOLOv3-tiny at 416 so that each object is found in every
# frame it is in, and nothing else is. The cup stays small because, larger, the model adds a
# second overlapping "cup" box; even so it boxes the cup's rim, not the whole cut-out.
SCRIPT: tuple[SceneObject, ...] = (
    SceneObject("person", "camera.png", (0, 55, 345, 512), 0.04, 0.96, 0.30, 3.0, 20.0),
    SceneObject("cup", "coffee.png", (165, 12, 425, 318), 0.72, 0.47, 0.12, 8.0, 30.0),
    SceneObject(
        "motorcycle", "motorcycle_left.png", (85, 85, 695, 460), 0.34, 0.96, 0.41, 23.0, 34.0
    ),
)


def paste_box(obj: SceneObject, size: tuple[int, int] = CANVAS_SIZE) -> Box:
    """Pixel box x1, y1, x2, y2 where `obj` is pasted on a canvas of `size` (width, height)."""
    canvas_w, canvas_h = size
    crop_w, crop_h = obj.crop[2] - obj.crop[0], obj.crop[3] - obj.crop[1]
    w = round(obj.width * canvas_w)
    h = round(w * crop_h / crop_w)
    x1, y2 = round(obj.left * canvas_w), round(obj.bottom * canvas_h)
    box = (x1, y2 - h, x1 + w, y2)
    if box[0] < 0 or box[1] < 0 or box[2] > canvas_w or box[3] > canvas_h:
        raise ValueError(f"{obj.label} at {box} does not fit a {canvas_w}x{canvas_h} canvas")
    return box


def present_at(t: float, script: Sequence[SceneObject] | None = None) -> list[SceneObject]:
    """The objects of `script` (default SCRIPT) on stage at `t` seconds."""
    return [obj for obj in (SCRIPT if script is None else script) if obj.enter <= t < obj.leave]


def frame_count(fps: float) -> int:
    """Number of frames in the scene at `fps`."""
    return round(DURATION * fps)


def make_background(size: tuple[int, int] = CANVAS_SIZE, seed: int = SEED) -> Image:
    """A plain warm-grey canvas: a soft top-to-bottom gradient with faint blotches and grain."""
    w, h = size
    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    grey = 168.0 - 34.0 * y - 8.0 * x
    # Upscaled coarse noise reads as uneven lighting on a wall rather than as pixel noise.
    coarse = rng.normal(0.0, 4.0, (max(h // 48, 2), max(w // 48, 2))).astype(np.float32)
    grey = grey + cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    grey = grey + rng.normal(0.0, 2.0, (h, w)).astype(np.float32)
    tint = np.array([0.95, 1.0, 1.04], np.float32)  # B, G, R: a touch warm
    return np.clip(grey[:, :, None] * tint, 0, 255).astype(np.uint8)


def _feather_mask(h: int, w: int) -> npt.NDArray[np.float32]:
    ramp_y = np.minimum(np.arange(h), np.arange(h)[::-1]).astype(np.float32)
    ramp_x = np.minimum(np.arange(w), np.arange(w)[::-1]).astype(np.float32)
    mask = np.minimum(ramp_y[:, None], ramp_x[None, :]) / _FEATHER
    return np.clip(mask, 0.0, 1.0).astype(np.float32)[:, :, None]


def compose_frame(
    background: Image, cutouts: Sequence[tuple[Image, Box]], noise_seed: int
) -> Image:
    """The background with each (BGR image, box) pasted in order, plus faint sensor noise."""
    canvas = background.astype(np.float32)
    for pixels, (x1, y1, x2, y2) in cutouts:
        if pixels.shape[:2] != (y2 - y1, x2 - x1):
            raise ValueError(
                f"cut-out of shape {pixels.shape[:2]} does not fit box {(x1, y1, x2, y2)}"
            )
        alpha = _feather_mask(y2 - y1, x2 - x1)
        region = canvas[y1:y2, x1:x2]
        canvas[y1:y2, x1:x2] = region * (1.0 - alpha) + pixels.astype(np.float32) * alpha
    # Real cameras never give two identical frames; a little noise keeps the demo honest.
    noise = np.random.default_rng(noise_seed).standard_normal(canvas.shape, dtype=np.float32)
    return np.clip(canvas + 1.5 * noise, 0, 255).round().astype(np.uint8)


def photo_dir() -> Path:
    """scikit-image's bundled sample photos, found without importing scikit-image."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise DemoSceneError(
            "the demo scene is made from scikit-image's sample photos: "
            "pip install 'edge-vision-agent[demo]' (or scikit-image)"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _load_cutout(folder: Path, obj: SceneObject) -> tuple[Image, Box]:
    path = folder / obj.photo
    photo = cv2.imread(str(path), cv2.IMREAD_COLOR)  # grey photos come back as BGR
    if photo is None:
        raise DemoSceneError(f"cannot read {path}; reinstall scikit-image")
    x1, y1, x2, y2 = obj.crop
    crop = np.asarray(photo, np.uint8)[y1:y2, x1:x2]
    box = paste_box(obj)
    size = (box[2] - box[0], box[3] - box[1])
    return np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), np.uint8), box


def _normalized(box: Box, size: tuple[int, int] = CANVAS_SIZE) -> list[float]:
    w, h = size
    return [round(box[0] / w, 4), round(box[1] / h, 4), round(box[2] / w, 4), round(box[3] / h, 4)]


def scene_manifest(fps: float) -> dict[str, Any]:
    """The ground truth written to scene.json: every frame's objects with normalized boxes."""
    frames = []
    for i in range(frame_count(fps)):
        t = i / fps
        objects = [
            {"label": obj.label, "box": _normalized(paste_box(obj))} for obj in present_at(t)
        ]
        frames.append({"file": f"frame_{i:04d}.jpg", "index": i, "time": t, "objects": objects})
    return {
        "version": SCENE_VERSION,
        "fps": fps,
        "size": list(CANVAS_SIZE),
        "duration": DURATION,
        "objects": [{**asdict(obj), "box": _normalized(paste_box(obj))} for obj in SCRIPT],
        "frames": frames,
    }


def content_hash(fps: float, folder: Path) -> str:
    """Digest of everything the frames depend on: version, script, sizes and photo bytes."""
    digest = hashlib.sha256()
    spec = {
        "version": SCENE_VERSION,
        "fps": fps,
        "size": CANVAS_SIZE,
        "duration": DURATION,
        "quality": JPEG_QUALITY,
        "seed": SEED,
        "script": [asdict(obj) for obj in SCRIPT],
    }
    digest.update(json.dumps(spec, sort_keys=True).encode())
    for name in sorted({obj.photo for obj in SCRIPT}):
        try:
            digest.update(hashlib.sha256((folder / name).read_bytes()).digest())
        except OSError as exc:
            raise DemoSceneError(f"cannot read {folder / name}; reinstall scikit-image") from exc
    return digest.hexdigest()


def _build(out: Path, fps: float, photos: Path, digest: str) -> None:
    background = make_background()
    cutouts = {obj: _load_cutout(photos, obj) for obj in SCRIPT}
    manifest = scene_manifest(fps)
    for i, entry in enumerate(manifest["frames"]):
        image = compose_frame(background, [cutouts[o] for o in present_at(i / fps)], SEED + i)
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise DemoSceneError("OpenCV could not encode a JPEG")
        (out / entry["file"]).write_bytes(data.tobytes())
    (out / SCENE_FILE).write_text(json.dumps(manifest, indent=1) + "\n")
    # Written last: its presence with the right digest means the folder is complete.
    (out / HASH_FILE).write_text(digest + "\n")


def _is_current(folder: Path, digest: str) -> bool:
    try:
        return (folder / HASH_FILE).read_text().strip() == digest
    except OSError:
        return False


def _built_without_photos(folder: Path, fps: float) -> bool:
    if not (folder / HASH_FILE).is_file():
        return False
    try:
        scene = json.loads((folder / SCENE_FILE).read_text())
    except (OSError, ValueError):
        return False
    return bool(scene.get("version") == SCENE_VERSION and scene.get("fps") == fps)


def ensure_demo_scene(fps: float = 2.0) -> Path:
    """The folder of demo frames at `fps`, built into cache_dir()/demo unless already current."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    target = cache_dir() / "demo"
    try:
        photos = photo_dir()
    except DemoSceneError:
        # scikit-image is a setup-time extra: a scene built then still plays without it.
        if _built_without_photos(target, fps):
            return target
        raise
    digest = content_hash(fps, photos)
    if _is_current(target, digest):
        return target
    log.info("building the demo scene in %s", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target and renamed into place, so a reader never sees half a scene.
    tmp = Path(tempfile.mkdtemp(prefix="demo.tmp-", dir=target.parent))
    try:
        _build(tmp, fps, photos, digest)
        _swap(tmp, target, digest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _swap(new: Path, target: Path, digest: str) -> None:
    old = target.with_name(f"demo.old-{uuid.uuid4().hex}")
    with contextlib.suppress(FileNotFoundError):
        os.rename(target, old)
    try:
        os.rename(new, target)
    except OSError:
        # Another process put its own build in place between our two renames.
        if not _is_current(target, digest):
            raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
