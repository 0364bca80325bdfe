"""Fit a frame into a network input without distorting it, and map boxes back."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

#: Ultralytics, Frigate and Hailo pad with this grey; models are trained on it.
PAD_VALUE = 114


class Letterboxed(NamedTuple):
    """A network input and where the frame sits inside it."""

    tensor: FloatArray  # [1, 3, H, W] RGB 0..1
    scale: float  # input pixels per frame pixel
    pad_x: int  # left border in input pixels
    pad_y: int  # top border in input pixels


class Placed(NamedTuple):
    """A BGR image scaled and centred on grey at the network's size."""

    image: npt.NDArray[np.uint8]  # [H, W, 3] BGR
    scale: float  # input pixels per frame pixel
    pad_x: int  # left border in input pixels
    pad_y: int  # top border in input pixels


def place(image: npt.NDArray[np.uint8], size: int | tuple[int, int]) -> Placed:
    """Scale a BGR image to fit `size` (square side or (width, height)), centred on grey."""
    import cv2  # here: loading a configuration (eva check, eva ask) must not load OpenCV

    out_w, out_h = (size, size) if isinstance(size, int) else size
    img: npt.NDArray[Any] = image
    h, w = img.shape[:2]
    scale = min(out_w / w, out_h / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    if (new_w, new_h) != (w, h):
        img = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (out_w - new_w) // 2, (out_h - new_h) // 2
    if (new_w, new_h) != (out_w, out_h):
        img = cv2.copyMakeBorder(
            img,
            pad_y,
            out_h - new_h - pad_y,
            pad_x,
            out_w - new_w - pad_x,
            cv2.BORDER_CONSTANT,
            value=(PAD_VALUE, PAD_VALUE, PAD_VALUE),
        )
    return Placed(img, scale, pad_x, pad_y)


def letterbox(image: npt.NDArray[np.uint8], size: int | tuple[int, int]) -> Letterboxed:
    """The float NCHW RGB 0..1 input of an ONNX model, from `place`."""
    import cv2  # here: loading a configuration (eva check, eva ask) must not load OpenCV

    placed = place(image, size)
    rgb = cv2.cvtColor(placed.image, cv2.COLOR_BGR2RGB)
    # Transpose, widen and scale in one pass; order="C" so ONNX Runtime need not copy again.
    tensor = np.multiply(
        rgb.transpose(2, 0, 1)[None], np.float32(1 / 255), dtype=np.float32, order="C"
    )
    return Letterboxed(tensor, placed.scale, placed.pad_x, placed.pad_y)


def boxes_to_frame(
    boxes: npt.ArrayLike,
    scale: float,
    pad_x: float,
    pad_y: float,
    frame_size: tuple[int, int],
) -> FloatArray:
    """Map (N, 4) x1, y1, x2, y2 boxes in input pixels to the frame, normalized and clipped.

    Args:
        boxes: corners in network-input pixels.
        scale, pad_x, pad_y: as returned by `letterbox`.
        frame_size: (width, height) of the original frame.

    Returns:
        (N, 4) float32 corners in 0..1 of the frame.
    """
    frame_w, frame_h = frame_size
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    offset = np.array([pad_x, pad_y, pad_x, pad_y], np.float32)
    extent = np.array([frame_w, frame_h, frame_w, frame_h], np.float32) * np.float32(scale)
    return np.clip((b - offset) / extent, 0.0, 1.0)
