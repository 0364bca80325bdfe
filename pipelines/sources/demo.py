"""The bundled demo scene, built from real photos at setup and played like a camera."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DemoSourceConfig(BaseModel):
    """The demo scene: a person, a cup and a motorbike appear, stay and leave."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["demo"] = Field("demo", description="Selects the bundled demo scene.")
    fps: float = Field(2.0, gt=0, description="Frames per second of the scene.")
    loop: bool = Field(False, description="Play the scene again after it ends.")
    realtime: bool = Field(
        True, description="Wait between frames as a camera would; false plays as fast as it can."
    )
