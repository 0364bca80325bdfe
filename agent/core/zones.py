"""Polygon zones in normalized frame coordinates."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from agent.core.settings import ZoneConfig

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Zones:
    """The zones of one camera, testing which zone each box's anchor point lies in.

    The anchor is the bottom centre of a box: where an animal or person stands, so a
    cow whose head reaches over the gate line is not yet "at the gate".

    Every zone's edges sit in one set of arrays, so one frame's test of every object
    against every zone is a few numpy operations on an (objects x edges) grid, not a
    loop over zones and edges (at 20 objects, numpy's cost per call dominates).
    """

    def __init__(self, zones: list[ZoneConfig]) -> None:
        self.names: tuple[str, ...] = tuple(z.name for z in zones)
        self._edges = _Edges([np.asarray(z.points, np.float64) for z in zones])
        # A row of `membership` as one number (bit i: zone i), and the zone set for each
        # number, made once per pattern seen.
        self._bits = np.array([1 << i for i in range(min(len(self.names), 62))], np.int64)
        self._sets: dict[int, frozenset[str]] = {}

    def membership(self, boxes: npt.NDArray[np.float32]) -> BoolArray:
        """(N boxes, Z zones) mask of which zone each box stands in."""
        n = len(boxes)
        if n == 0 or not self.names:
            return np.zeros((n, len(self.names)), bool)
        # The anchor in the boxes' own precision, as it always was, then in float64.
        px = ((boxes[:, 0] + boxes[:, 2]) / 2.0).astype(np.float64)
        py = boxes[:, 3].astype(np.float64)
        return self._edges.contains(px, py)

    def zone_sets(self, boxes: npt.NDArray[np.float32]) -> list[frozenset[str]]:
        """For each box, the set of zones it stands in (equal sets are the same object)."""
        inside = self.membership(boxes)
        if len(self.names) > 62:  # beyond an int64's bits (no camera has that many zones)
            return [
                frozenset(n for n, hit in zip(self.names, row, strict=True) if hit)
                for row in inside
            ]
        codes: list[int] = (inside @ self._bits).tolist()
        sets = self._sets
        out = []
        for code in codes:
            found = sets.get(code)
            if found is None:
                found = sets[code] = frozenset(n for i, n in enumerate(self.names) if code >> i & 1)
            out.append(found)
        return out


class _Edges:
    """The edges of several polygons as flat arrays, each polygon's edges in a run."""

    def __init__(self, polygons: list[FloatArray]) -> None:
        xi: list[float] = []
        yi: list[float] = []
        xj: list[float] = []
        yj: list[float] = []
        self.starts: list[int] = []
        for poly in polygons:
            self.starts.append(len(xi))
            corners: list[list[float]] = poly.tolist()
            prev = corners[-1]
            for cur in corners:
                xi.append(cur[0])
                yi.append(cur[1])
                xj.append(prev[0])
                yj.append(prev[1])
                prev = cur
        self.xi, self.yi = np.array(xi), np.array(yi)
        self.xj, self.yj = np.array(xj), np.array(yj)
        self.dx, self.dy = self.xj - self.xi, self.yj - self.yi
        # A level edge is never crossed (the test below is false for it), so its divisor
        # only has to be harmless: 1 instead of 0, and numpy has nothing to warn about.
        self.divisor = np.where(self.dy == 0.0, 1.0, self.dy)
        # Bounding boxes of the edges, widened by the boundary tolerance.
        self.lo_x = np.minimum(self.xi, self.xj) - 1e-9
        self.hi_x = np.maximum(self.xi, self.xj) + 1e-9
        self.lo_y = np.minimum(self.yi, self.yj) - 1e-9
        self.hi_y = np.maximum(self.yi, self.yj) + 1e-9

    def contains(self, px: FloatArray, py: FloatArray) -> BoolArray:
        """(N points, polygons): even-odd rule, points on an edge counting as inside."""
        x, y = px[:, None], py[:, None]
        crosses = (self.yi > y) != (self.yj > y)
        x_cross = self.dx * (y - self.yi) / self.divisor + self.xi
        hits = crosses & (x < x_cross)
        inside: BoolArray = np.logical_xor.reduceat(hits, self.starts, axis=1)
        # A box touching the frame's bottom edge has its anchor exactly on a full-frame
        # zone's border; count that as inside rather than depend on float rounding.
        # (The cross product with the edge's direction flipped: the same magnitude.)
        cross = self.dx * (y - self.yj) - self.dy * (x - self.xj)
        on_line = np.abs(cross) < 1e-9
        if np.count_nonzero(on_line):  # rare but for boxes at the frame's edge: the rest only then
            on_edge = (
                on_line & (self.lo_x <= x) & (x <= self.hi_x) & (self.lo_y <= y) & (y <= self.hi_y)
            )
            inside |= np.logical_or.reduceat(on_edge, self.starts, axis=1)
        return inside


def points_in_polygon(
    x: npt.NDArray[np.floating], y: npt.NDArray[np.floating], poly: FloatArray
) -> BoolArray:
    """Even-odd rule, vectorized over points; points on the bottom/right edge count as inside."""
    inside = _Edges([np.asarray(poly, np.float64)]).contains(
        np.asarray(x, np.float64), np.asarray(y, np.float64)
    )
    out: BoolArray = inside[:, 0]
    return out
