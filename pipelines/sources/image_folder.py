"""A folder of images played in name order at a given frame rate."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ImageFolderSourceConfig(BaseModel):
    """Images in a folder, played in name order as if they were a video."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["image_folder"] = Field("image_folder", description="Selects the folder source.")
    path: str = Field("frames", description="Folder holding .jpg, .jpeg, .png or .bmp images.")
    fps: float = Field(2.0, gt=0, description="Frames per second the images represent.")
    loop: bool = Field(False, description="Start again from the first image after the last.")
    realtime: bool = Field(
        False, description="Wait between frames as a camera would; replay runs as fast as it can."
    )
