"""Video files, RTSP/HTTP streams and USB cameras through OpenCV."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OpenCVSourceConfig(BaseModel):
    """A video file, an RTSP/HTTP URL or a USB camera index, read with OpenCV."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["opencv"] = Field("opencv", description="Selects the OpenCV source.")
    uri: str = Field(
        "0",
        description="A video file path, an rtsp:// or http(s):// URL, or a USB camera index ('0').",
    )
    fps: float | None = Field(
        None, gt=0, description="Process at most this many frames per second; empty = every frame."
    )
    loop: bool = Field(False, description="Start a video file again when it ends.")
    reconnect_max_seconds: float = Field(
        30.0, gt=0, description="Longest wait between attempts to reopen a failed live stream."
    )
