"""The core's own settings: zones, rules, tracking and coalescing of one camera.

They live in the core so that it depends on nothing above it; `agent.config.schema` adds
where frames come from and what detects them (`CameraConfig`).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agent.core.kinds import ZONE_KINDS, EventKind, Severity
from eva_errors import shorten

# Used with fullmatch: `$` would let "barn\n" through into topics and entity ids.
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_NAME_MAX = 64
MAX_ZONE_POINTS = 100


class Strict(BaseModel):
    """A settings model that refuses unknown keys, so a misspelt key is an error."""

    model_config = ConfigDict(extra="forbid")


def check_name(value: str, what: str) -> str:
    """A name that becomes part of MQTT topics and entity ids."""
    if not _NAME.fullmatch(value) or len(value) > _NAME_MAX:
        raise ValueError(
            f"{what} {shorten(value)} must use lower-case letters, digits, '_' or '-', "
            f"start with a letter or digit and be at most {_NAME_MAX} long (it becomes part "
            "of MQTT topics)"
        )
    return value


def _segments_cross(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]
) -> bool:
    """Whether segments ab and cd share a point (touching counts)."""

    def side(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    def within(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> bool:
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(
            p[1], q[1]
        )

    d1, d2, d3, d4 = side(c, d, a), side(c, d, b), side(a, b, c), side(a, b, d)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return any(
        s == 0 and within(p, q, r)
        for s, p, q, r in ((d1, c, d, a), (d2, c, d, b), (d3, a, b, c), (d4, a, b, d))
    )


class ZoneConfig(Strict):
    """A polygon in normalized frame coordinates (0,0 top-left, 1,1 bottom-right)."""

    name: str = Field("zone", description="Identifier used in events and topics, e.g. 'gate'.")
    title: str | None = Field(
        None, description="How sentences name the zone, e.g. 'front door'; empty = the name."
    )
    preposition: str = Field(
        "in", description="English preposition before the title: 'in the yard', 'at the gate'."
    )
    points: list[tuple[float, float]] = Field(
        default_factory=lambda: [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)],
        description="Three or more [x, y] corners, each between 0 and 1.",
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, v: str) -> str:
        return check_name(v, "zone name")

    @field_validator("points")
    @classmethod
    def _valid_polygon(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if len(v) < 3:
            raise ValueError("a zone needs at least 3 points, e.g. [[0,0],[1,0],[1,1]]")
        if len(v) > MAX_ZONE_POINTS:
            raise ValueError(f"a zone has at most {MAX_ZONE_POINTS} points, not {len(v)}")
        for x, y in v:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(
                    f"point [{x:g}, {y:g}] is outside the frame: use fractions of width and "
                    "height between 0 and 1, not pixels"
                )
        area = 0.5 * abs(
            sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(v, v[1:] + v[:1], strict=True))
        )
        if area < 1e-6:
            raise ValueError(
                "the zone's points lie on one line (zero area): give the corners of an area"
            )
        edges = list(zip(v, v[1:] + v[:1], strict=True))
        n = len(edges)
        for i in range(n):
            for j in range(i + 2, n):
                if i == 0 and j == n - 1:
                    continue  # the first and last edges share a corner
                if _segments_cross(*edges[i], *edges[j]):
                    raise ValueError(
                        f"the zone's edges cross (edge {i + 1} and edge {j + 1}): list the "
                        "corners in order around the area, without a figure of eight"
                    )
        return v

    @property
    def display(self) -> str:
        return self.title or self.name.replace("_", " ")


class RuleConfig(Strict):
    """When a change in the tracked objects becomes an event."""

    name: str = Field("rule", description="Identifier of the rule, unique per camera.")
    kind: EventKind = Field(
        "arrival",
        description="arrival, departure, zone_enter, zone_exit, dwell or count_change.",
    )
    labels: list[str] = Field(
        default_factory=list, description="Object labels this rule watches; empty = all."
    )
    zones: list[str] = Field(
        default_factory=list,
        description="Zones this rule watches; empty = every zone (zone kinds) or the whole frame.",
    )
    min_score: float = Field(
        0.5, ge=0, le=1, description="Best detector score an object needs before it counts."
    )
    min_frames: int = Field(2, ge=1, description="Frames an object must be seen before it counts.")
    min_seconds: float = Field(
        0.0, ge=0, description="Seconds an object must be tracked before it counts."
    )
    cooldown_seconds: float = Field(
        0.0, ge=0, description="After an event, ignore this rule for the same label this long."
    )
    dwell_seconds: float = Field(
        60.0, gt=0, description="For dwell rules: seconds in a zone before the event fires."
    )
    severity: Severity = Field("info", description="info, warning or alert.")

    @field_validator("name")
    @classmethod
    def _valid_name(cls, v: str) -> str:
        return check_name(v, "rule name")


DEFAULT_CLASS_GROUPS = [
    ["dog", "cat"],
    ["car", "truck", "bus"],
    ["cow", "horse", "sheep"],
    ["bicycle", "motorcycle"],
]


class TrackerPreset(Strict):
    """Tracking settings for one label that differ from the camera's (None = the camera's)."""

    lost_after_seconds: float | None = Field(
        None, gt=0, description="A moving object of this label unseen this long has left."
    )
    still_lost_after_seconds: float | None = Field(
        None, gt=0, description="Longest wait for an object of this label that stood still."
    )
    max_distance: float | None = Field(
        None, gt=0, description="How far an object of this label may move between sightings."
    )


def _default_presets() -> dict[str, TrackerPreset]:
    # People and dogs move fast and leave quickly; parked cars and grazing animals stay put,
    # and a detector misses them for long stretches (night, rain, lying down).
    still = TrackerPreset(still_lost_after_seconds=60.0)
    return {
        "person": TrackerPreset(max_distance=1.5),
        "dog": TrackerPreset(max_distance=1.5, still_lost_after_seconds=60.0),
        "cat": TrackerPreset(max_distance=2.5, still_lost_after_seconds=60.0),
        "car": still,
        "truck": still,
        "cow": still,
        "sheep": still,
        "horse": still,
    }


class TrackerConfig(Strict):
    """How detections are joined into tracks across frames (see docs/tracking.md)."""

    iou_threshold: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Overlap with a track's predicted box that always lets a detection "
        "continue the track (farther detections may still join within max_distance).",
    )
    max_distance: float = Field(
        1.0,
        gt=0,
        description="How far a detection may be from a track's predicted box and continue it: "
        "the shift of the bottom centre in box widths and heights, plus the change of size.",
    )
    lost_after_seconds: float = Field(
        6.0,
        gt=0,
        description="A moving object unseen this long in mid-frame has left (a departure); "
        "long enough for a walk behind a shed or another person (up to 5 s).",
    )
    still_lost_after_seconds: float = Field(
        20.0,
        gt=0,
        description="Longest wait before an object that stood still is judged gone; the wait "
        "grows from lost_after_seconds by 3 s for every minute it has stood still.",
    )
    edge_lost_after_seconds: float = Field(
        1.0,
        gt=0,
        description="Wait for an object last seen heading out of the frame.",
    )
    confirm_frames: int = Field(
        4,
        ge=1,
        description="Frames a new object must be seen in before it counts, missing none two "
        "frames in a row (and frames a zone change must hold); shorter false detections "
        "never become objects.",
    )
    confirm_seconds: float = Field(
        0.6,
        ge=0,
        description="...and for at least this long, so a fast camera (15-30 frames/s) does "
        "not confirm a false detection that a slow one would drop.",
    )
    confirm_score: float = Field(
        0.55,
        ge=0,
        le=1,
        description="Mean detector score over those first frames a new object needs before "
        "it counts (false detections score low throughout).",
    )
    class_groups: list[list[str]] = Field(
        default_factory=lambda: [list(g) for g in DEFAULT_CLASS_GROUPS],
        description="Labels a detector confuses with each other; a track keeps its identity "
        "across them and takes the label it was seen as most.",
    )
    presets: dict[str, TrackerPreset] = Field(
        default_factory=_default_presets,
        description="Per-label settings (people move fast; cows and parked cars stay).",
    )
    max_frame_gap_seconds: float = Field(
        120.0,
        gt=0,
        description="Frames further apart than this, or going back in time, mean the clock "
        "jumped or the camera stalled: tracks and timers carry on as if one frame passed.",
    )


def _default_rules() -> list[RuleConfig]:
    return [
        RuleConfig(name="arrivals", kind="arrival"),
        RuleConfig(name="departures", kind="departure"),
    ]


class CameraSettings(Strict):
    """What the core needs of one camera: its name, zones, rules, tracking and coalescing."""

    name: str = Field("camera", description="Identifier used in topics, e.g. 'barn'.")
    labels: list[str] = Field(
        default_factory=list,
        description="Only track these labels; empty = every label the detector knows.",
    )
    zones: list[ZoneConfig] = Field(default_factory=list, description="Named areas of the frame.")
    rules: list[RuleConfig] = Field(
        default_factory=_default_rules, description="When changes become events."
    )
    tracker: TrackerConfig = Field(default_factory=TrackerConfig, description="Track joining.")
    coalesce_seconds: float = Field(
        3.0,
        ge=0,
        description="Changes of one rule less than this many seconds apart become one event.",
    )
    coalesce_max_seconds: float = Field(
        15.0, gt=0, description="Longest an event may keep collecting changes before it is sent."
    )
    follow_up_seconds: float = Field(
        0.4,
        ge=0,
        description="After a rule's news, follow-up events go out at most this often (at once "
        "when the last is this old): the second of a pair or the next animals of a herd are "
        "told within a second of being seen, and those that come in together share a message. "
        "Raise it (up to coalesce_seconds) for fewer, later messages.",
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, v: str) -> str:
        return check_name(v, "camera name")

    @model_validator(mode="after")
    def _references_exist(self) -> CameraSettings:
        zone_names = [z.name for z in self.zones]
        if len(set(zone_names)) != len(zone_names):
            raise ValueError(f"zone names must be unique within a camera, got {zone_names}")
        rule_names = [r.name for r in self.rules]
        if len(set(rule_names)) != len(rule_names):
            raise ValueError(f"rule names must be unique within a camera, got {rule_names}")
        for rule in self.rules:
            unknown = sorted(set(rule.zones) - set(zone_names))
            if unknown:
                known = ", ".join(zone_names) or "none defined"
                raise ValueError(
                    f"rule '{rule.name}' names zone(s) {unknown} that camera '{self.name}' "
                    f"does not define (zones: {known})"
                )
            if rule.kind in ZONE_KINDS and not zone_names:
                raise ValueError(
                    f"rule '{rule.name}' is a {rule.kind} rule but camera '{self.name}' has no "
                    "zones: add a zone or change the rule's kind"
                )
            if self.labels:
                outside = sorted(set(rule.labels) - set(self.labels))
                if outside:
                    raise ValueError(
                        f"rule '{rule.name}' watches {outside}, which the camera's 'labels' "
                        "filter removes: add them to 'labels' or drop them from the rule"
                    )
        return self
