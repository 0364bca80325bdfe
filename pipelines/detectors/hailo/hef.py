"""Which HEF file a Hailo detector loads, its NMS threshold and its labels."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from eva_errors import DetectorError
from pipelines.detectors.hailo.config import HEF_NMS_SCORE_THRESHOLD, HailoDetectorConfig
from pipelines.models.hailo_manifest import (
    ARCH_NAMES,
    ARCHS,
    FETCH_COMMAND,
    Arch,
    HailoManifest,
    HailoModelEntry,
    labels_path,
    looks_like_path,
    resolve_hef,
)
from pipelines.models.labels import coco80_names, read_labels

log = logging.getLogger(__name__)


def hef_architecture(path: Path, manifest: HailoManifest) -> Arch | None:
    """The chip a HEF is built for, from the manifest or its name; None when unknown."""
    entry = manifest.by_file(path.name)
    if entry is not None:
        return entry.arch
    stem = path.stem.lower()
    if re.search(r"_h8l(?:[_-]|$)", stem):
        return "hailo8l"
    if re.search(r"_h8(?:[_-]|$)", stem):
        return "hailo8"
    parent = path.parent.name.lower()
    return next((a for a in ARCHS if a == parent), None)  # the Model Zoo's .../hailo8l/x.hef


def choose_hef(model: str, arch: Arch, manifest: HailoManifest) -> Path:
    """The HEF to load on this chip. A Hailo-8 runs Hailo-8L HEFs too, only slower (HailoRT
    just warns); a Hailo-8L cannot run a Hailo-8 HEF."""
    try:
        hef = resolve_hef(model, arch, manifest=manifest)
    except DetectorError as missing:
        # e.g. only the Pi's hailo-models package (Hailo-8L files) is installed on a Hailo-8.
        if arch != "hailo8" or looks_like_path(model):
            raise
        try:
            hef = resolve_hef(model, "hailo8l", manifest=manifest)
        except DetectorError:
            raise missing from None
    built_for = hef_architecture(hef, manifest)
    if built_for == "hailo8" and arch == "hailo8l":
        raise DetectorError(
            f"{hef} is built for the {ARCH_NAMES[built_for]} but this device has a "
            f"{ARCH_NAMES[arch]}, which cannot run it: {right_model_hint(hef, arch, manifest)}"
        )
    if built_for == "hailo8l" and arch == "hailo8":
        log.warning(
            "%s is built for the Hailo-8L; this Hailo-8 runs it, but slower than its own build: %s",
            hef,
            right_model_hint(hef, arch, manifest),
        )
    return hef


def nms_threshold(score_threshold: float, hef: Path, entry: HailoModelEntry | None) -> float | None:
    """The NMS score threshold to set on the HEF, or None to keep its own.

    The HEF's NMS drops boxes under its compiled threshold before we see them, so a lower
    detector.score_threshold would have no effect. The manifest's HEFs run that NMS on the
    host, where HailoRT can change it; for other HEFs we only say so.
    """
    if score_threshold >= HEF_NMS_SCORE_THRESHOLD:
        return None
    if entry is not None:
        return score_threshold
    log.warning(
        "detector.score_threshold %g is below the %g that %s's built-in NMS typically keeps: "
        "boxes scoring less never arrive; raise score_threshold to %g or more, or use a model "
        "from the manifest, whose threshold is set to match",
        score_threshold,
        HEF_NMS_SCORE_THRESHOLD,
        hef.name,
        HEF_NMS_SCORE_THRESHOLD,
    )
    return None


def _manifest_name(path: Path, manifest: HailoManifest) -> str | None:
    """The manifest model a HEF file is a build of, guessed from its name."""
    entry = manifest.by_file(path.name)
    if entry is not None:
        return entry.name
    stem = path.stem.lower()
    base = re.sub(r"_h8l?(?:[_-].*)?$", "", stem)
    for e in manifest.models:
        zoo_stem = Path(e.url.rsplit("/", 1)[-1]).stem
        if base in (e.name, zoo_stem, Path(e.file).stem):
            return e.name
    return None


def right_model_hint(hef: Path, arch: Arch, manifest: HailoManifest) -> str:
    name = _manifest_name(hef, manifest) or "yolov8s"
    right = manifest.entry(name, arch)
    return (
        f"set detector.model to '{name}' (its {ARCH_NAMES[arch]} build is {right.file}) and "
        f"run `{FETCH_COMMAND} {name}`"
    )


def hef_labels(config: HailoDetectorConfig, entry: HailoModelEntry | None) -> tuple[str, ...]:
    """The class names: the configured file, else the manifest's labels, else COCO-80."""
    if config.labels_file:
        return read_labels(Path(config.labels_file).expanduser(), "labels_file", DetectorError)
    if entry is not None:
        return read_labels(
            labels_path(entry), f"the manifest labels of {entry.name}", DetectorError
        )
    return coco80_names()
