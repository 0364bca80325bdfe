"""Polygon zones in normalized frame coordinates."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from agent.core.settings import ZoneConfig


class Zones:
    """The zones of one camera, testing which zone each box's anchor point lies in.

    The anchor is the bottom centre of a box: where an animal or person stands, so a
    cow whose head reaches over the gate line is not yet "at the gate".
    """

    def __init__(self, zones: list[ZoneConfig]) -> None:
        self.names: tuple[str, ...] = tuple(z.name for z in zones)
        self._polygons = [np.asarray(z.points, np.float64) for z in zones]

    def membership(self, boxes: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        """(N boxes, Z zones) mask of which zone each box stands in."""
        n = len(boxes)
        out = np.zeros((n, len(self._polygons)), bool)
        if n == 0:
            return out
        px = (boxes[:, 0] + boxes[:, 2]) / 2.0
        py = boxes[:, 3]
        for j, poly in enumerate(self._polygons):
            out[:, j] = points_in_polygon(px, py, poly)
        return out


def points_in_polygon(
    x: npt.NDArray[np.floating], y: npt.NDArray[np.floating], poly: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Even-odd rule, vectorized over points; points on the bottom/right edge count as inside."""
    # Corners as plain floats (numpy scalars cost a microsecond an operation) and the points
    # in float64, so the arithmetic is float64 throughout, as with float64 corners.
    px, py = np.asarray(x, np.float64), np.asarray(y, np.float64)
    corners: list[list[float]] = poly.tolist()
    inside = np.zeros(len(px), bool)
    xj, yj = corners[-1]
    for xi, yi in corners:
        crosses = (yi > py) != (yj > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = (xj - xi) * (py - yi) / (yj - yi) + xi
        inside ^= crosses & (px < x_cross)
        xj, yj = xi, yi
    on_edge = _on_boundary(px, py, corners)
    return inside | on_edge


def _on_boundary(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], corners: list[list[float]]
) -> npt.NDArray[np.bool_]:
    # A box touching the frame's bottom edge has its anchor exactly on a full-frame
    # zone's border; count that as inside rather than depend on float rounding.
    hit = np.zeros(len(x), bool)
    x0, y0 = corners[-1]
    for x1, y1 in corners:
        cross = (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)
        within = (
            (min(x0, x1) - 1e-9 <= x)
            & (x <= max(x0, x1) + 1e-9)
            & (min(y0, y1) - 1e-9 <= y)
            & (y <= max(y0, y1) + 1e-9)
        )
        hit |= within & (np.abs(cross) < 1e-9)
        x0, y0 = x1, y1
    return hit
