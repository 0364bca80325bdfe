"""What this installation has: cameras, zones, the labels its detectors can see, user words."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent.config.schema import AppConfig, AskVocabularyEntry, CameraConfig
from agent.core.settings import ZoneConfig
from pipelines.models.labels import coco80_names


@dataclass(frozen=True)
class Installation:
    """The names a query may use; a query naming anything else does not validate."""

    cameras: tuple[str, ...]
    zones: dict[str, ZoneConfig]
    labels: tuple[str, ...]  # every label some camera's detector can see
    vocabulary: dict[str, AskVocabularyEntry] = field(default_factory=dict)
    night: tuple[int, int] = (18, 6)
    dwell: dict[str, float] = field(default_factory=dict)  # camera -> its dwell rule's seconds

    @classmethod
    def from_config(cls, config: AppConfig) -> Installation:
        zones: dict[str, ZoneConfig] = {}
        for camera in config.cameras:
            for zone in camera.zones:
                zones.setdefault(zone.name, zone)
        labels: dict[str, None] = {}
        for camera in config.cameras:
            labels.update(dict.fromkeys(detectable_labels(camera)))
        return cls(
            cameras=tuple(c.name for c in config.cameras),
            zones=zones,
            labels=tuple(labels),
            vocabulary=dict(config.ask.vocabulary),
            night=(config.ask.night_start, config.ask.night_end),
            dwell={
                c.name: next((r.dwell_seconds for r in c.rules if r.kind == "dwell"), 60.0)
                for c in config.cameras
            },
        )


def detectable_labels(camera: CameraConfig) -> tuple[str, ...]:
    """The labels a camera can report: its `labels` filter, else its detector's class list.

    The class list is read the way the detector reads it (a labels file, else the model's
    names), without loading a model: a custom model without a labels file counts as COCO.
    """
    if camera.labels:
        return tuple(camera.labels)
    labels_file = getattr(camera.detector, "labels_file", None) or getattr(
        camera.source, "labels_file", None
    )
    if labels_file:
        try:
            text = Path(labels_file).expanduser().read_text(encoding="utf-8")
        except OSError:
            return coco80_names()  # `eva check` reports the unreadable file
        return tuple(line.strip() for line in text.splitlines() if line.strip())
    if camera.detector.type == "hailo":
        from pipelines.models.hailo_manifest import labels_path, load_manifest

        try:
            manifest = load_manifest()
            model = getattr(camera.detector, "model", None)
            entry = next((m for m in manifest.models if m.name == model), None)
            if entry is not None:
                lines = labels_path(entry).read_text(encoding="utf-8").splitlines()
                return tuple(line.strip() for line in lines if line.strip())
        except (OSError, ValueError):
            pass
    return coco80_names()
