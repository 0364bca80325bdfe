"""The facts a model's sentence is checked against, in a form the verifier can use."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.core.kinds import Language

Direction = Literal["in", "out", "stay", "change", "none"]


class Grounding(BaseModel):
    """Everything a sentence may say; anything else it says is ungrounded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: Language
    labels: dict[str, list[int]] = Field(
        description="Each label in the facts and the counts a number next to it may have "
        "(each entry's count, the label's total, and for count changes the counts before)."
    )
    numbers: list[int] = Field(
        default_factory=list, description="Other numbers the text may state anywhere."
    )
    times: list[str] = Field(default_factory=list, description="Clock times it may state, HH:MM.")
    direction: Direction = Field(
        "none", description="What the objects did: came in, went out, stayed, changed in number."
    )
    zones: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Zones in the facts: zone name -> the words that name it (name, title).",
    )
    other_zones: dict[str, list[str]] = Field(
        default_factory=dict, description="Configured zones not in the facts; naming one fails."
    )
    require_all_labels: bool = Field(
        True, description="Every label must be mentioned (events); digests may leave some out."
    )
    sightings: dict[str, list[int]] = Field(
        default_factory=dict,
        description="Per label, counts that add up over a period (digests): the text may tell "
        "them as sightings or times ('seen 3 times'), never as objects at once ('3 cows').",
    )
    max_sentences: int = Field(
        2, ge=1, description="Most sentences the text may have (events and digests: one)."
    )
    max_words: int = Field(60, ge=1, description="Most words the text may have.")
    busiest: tuple[str, int] | None = Field(
        None,
        description="Digests: the busiest hour (HH:00) and its events; a text that says "
        "'busiest' must state both.",
    )
