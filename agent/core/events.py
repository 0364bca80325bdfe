"""What the agent publishes: events and per-camera state, as pydantic models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from ulid import ULID

from agent.core.kinds import EventKind, Language, Severity


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventObject(_Payload):
    """One kind of object taking part in an event."""

    label: str = Field(description="What the object is, e.g. 'cow' or 'person'.")
    count: int = Field(ge=0, description="How many such objects the event is about.")
    previous_count: int | None = Field(
        None, ge=0, description="For count_change: the count before the change."
    )
    zones: list[str] = Field(default_factory=list, description="Zones involved, by name.")
    track_ids: list[int] = Field(default_factory=list, description="Tracker ids of the objects.")
    max_score: float = Field(ge=0, le=1, description="Best detector score among the objects.")


class Event(_Payload):
    """Something worth telling that happened in front of one camera."""

    schema_version: Literal[1] = Field(1, description="Version of this schema.")
    id: str = Field(description="Unique, time-sortable id (ULID); consumers de-duplicate by it.")
    camera: str = Field(description="The camera's name from the configuration.")
    rule: str = Field(description="The rule that produced the event.")
    kind: EventKind = Field(description="What changed.")
    started_at: AwareDatetime = Field(description="First change in the event (ISO 8601).")
    ended_at: AwareDatetime = Field(description="Last change in the event (ISO 8601).")
    objects: list[EventObject] = Field(description="The objects involved, one entry per label.")
    severity: Severity = Field(description="info, warning or alert, from the rule.")
    title: str = Field(max_length=255, description="A short headline.")
    summary: str = Field(description="One or two plain-language sentences.")
    summary_source: str = Field(
        description="Who wrote the summary: 'template', or a model such as 'ollama:qwen2.5:0.5b'."
    )
    language: Language = Field(description="Language of title and summary.")


class EventUpdate(_Payload):
    """A language model's wording of an event sent earlier, on <base>/<camera>/events/update.

    The event itself was published at once with template text; this follows with the same
    `id` when a model's sentence passed the grounding verifier. Consumers replace the
    summary of the event with that id.
    """

    schema_version: Literal[1] = Field(1, description="Version of this schema.")
    type: Literal["summary_update"] = Field(
        "summary_update", description="Always 'summary_update', so updates never pass for events."
    )
    id: str = Field(description="The id of the event this rewords.")
    camera: str = Field(description="The camera's name.")
    summary: str = Field(description="The model's sentence; it agrees with the event's facts.")
    summary_source: str = Field(description="The model that wrote it, e.g. 'ollama:qwen2.5:0.5b'.")
    language: Language = Field(description="Language of the summary.")
    worded_at: AwareDatetime = Field(description="When the wording was ready (ISO 8601).")
    model_seconds: float = Field(ge=0, description="Time the model spent on it, retries included.")
    attempts: int = Field(ge=1, le=2, description="1, or 2 when the first answer was rejected.")


class CameraState(_Payload):
    """What one camera sees now; retained on <base>/<camera>/state."""

    schema_version: Literal[1] = Field(1, description="Version of this schema.")
    camera: str = Field(description="The camera's name.")
    updated_at: AwareDatetime = Field(description="Time of the frame the counts come from.")
    counts: dict[str, int] = Field(description="Objects currently tracked, per label.")
    zones: dict[str, dict[str, int]] = Field(
        description="Objects currently in each zone, per label; every configured zone is listed."
    )


def new_event_id(at: datetime) -> str:
    """A ULID whose time part is the event's time, so ids sort like the events."""
    return str(ULID.from_datetime(at))
