"""Seeded ground-truth worlds: who is in view when, where, and the true visits.

Coordinates are fractions of the frame (x1, y1, x2, y2). A visit is one object in view
from `start` to `end`; it may be hidden for a while (behind a post), and it still counts
as present then. Each kind of world exercises one way real scenes break trackers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

FPS = 5.0  # what Frigate recommends for detection, and what a Pi's CPU detector manages


@dataclass(frozen=True, slots=True)
class Visit:
    """One object's stay in view; `path` is (t, cx, bottom) waypoints, linear in between."""

    id: int
    label: str
    start: float
    end: float
    path: tuple[tuple[float, float, float], ...]
    size: tuple[float, float]
    hidden: tuple[tuple[float, float], ...] = ()

    def box(self, t: float) -> tuple[float, float, float, float]:
        ts = [p[0] for p in self.path]
        cx = float(np.interp(t, ts, [p[1] for p in self.path]))
        bottom = float(np.interp(t, ts, [p[2] for p in self.path]))
        w, h = self.size
        return (cx - w / 2, bottom - h, cx + w / 2, bottom)

    def visible(self, t: float) -> bool:
        return self.start <= t < self.end and not any(a <= t < b for a, b in self.hidden)

    def speed(self, t: float, dt: float = 1.0) -> float:
        """How far the box moves per second around `t`, in box widths."""
        a, b = self.box(t), self.box(t + dt)
        return abs(b[0] - a[0]) / max(self.size[0], 1e-6) / dt


@dataclass(slots=True)
class World:
    """A scene: its visits, frame times and what a perfect observer would count."""

    kind: str
    seed: int
    duration: float
    visits: list[Visit] = field(default_factory=list)
    fps: float = FPS

    @property
    def times(self) -> list[float]:
        return [i / self.fps for i in range(int(self.duration * self.fps))]

    def present(self, t: float) -> list[Visit]:
        return [v for v in self.visits if v.start <= t < v.end]

    def counts(self, t: float) -> dict[str, int]:
        out: dict[str, int] = {}
        for v in self.present(t):
            out[v.label] = out.get(v.label, 0) + 1
        return out


class _Builder:
    def __init__(self, kind: str, seed: int, duration: float) -> None:
        self.world = World(kind, seed, duration)
        self.rng = np.random.default_rng(seed)

    def u(self, a: float, b: float) -> float:
        return float(self.rng.uniform(a, b))

    def add(
        self,
        label: str,
        path: list[tuple[float, float, float]],
        size: tuple[float, float],
        hidden: tuple[tuple[float, float], ...] = (),
    ) -> None:
        t0 = max(0.0, path[0][0])
        t1 = min(self.world.duration, path[-1][0])
        if t1 - t0 < 1.0:
            return
        # Snap to frame times, so a visit's first and last frames are well defined.
        fps = self.world.fps
        t0, t1 = np.ceil(t0 * fps) / fps, np.ceil(t1 * fps) / fps
        vid = len(self.world.visits) + 1
        self.world.visits.append(Visit(vid, label, t0, t1, tuple(path), size, hidden))

    def walk_across(
        self,
        label: str,
        t: float,
        speed: float,
        size: tuple[float, float],
        bottom: float | None = None,
        from_left: bool | None = None,
    ) -> float:
        """Enter at one side, leave at the other; returns the time it leaves."""
        w = size[0]
        left = self.rng.random() < 0.5 if from_left is None else from_left
        x0, x1 = (w / 2, 1 - w / 2) if left else (1 - w / 2, w / 2)
        y = bottom if bottom is not None else self.u(0.5, 0.95)
        y = max(y, size[1] + 0.01)
        end = t + abs(x1 - x0) / speed
        self.add(label, [(t, x0, y), (end, x1, y)], size)
        return end

    def stay(
        self,
        label: str,
        t0: float,
        t1: float,
        x: float,
        y: float,
        size: tuple[float, float],
        drift: float = 0.0,
        speed: float = 0.1,
    ) -> None:
        """Appear at (x, y) (out of a door, from behind a wall), stay, moving a little, then
        walk (or drive) out of the nearest side of the frame."""
        y = max(y, size[1] + 0.01)
        pts = [(t0, x, y)]
        t = t0
        lo, hi = size[0] / 2, 1 - size[0] / 2
        while t < t1:
            t = min(t1, t + self.u(5, 20))
            nx = float(np.clip(pts[-1][1] + self.rng.normal(0, drift), lo, hi))
            pts.append((t, nx, y))
        x_end = lo if pts[-1][1] < 0.5 else hi
        pts.append((t1 + abs(pts[-1][1] - x_end) / speed + 0.2, x_end, y))
        self.add(label, pts, size)


PERSON, CAR, COW = (0.06, 0.25), (0.22, 0.16), (0.14, 0.12)
DOG, SHEEP, TRUCK = (0.08, 0.07), (0.07, 0.06), (0.3, 0.2)


def _comings_and_goings(b: _Builder) -> None:
    t = b.u(2, 8)
    while t < b.world.duration - 15:
        b.walk_across("person", t, b.u(0.08, 0.15), PERSON)
        t += b.u(12, 30)


def _crossings(b: _Builder) -> None:
    t = b.u(2, 6)
    while t < b.world.duration - 20:
        y = b.u(0.6, 0.9)
        s = b.u(0.08, 0.12)
        b.add("person", [(t, 0.03, y), (t + 0.94 / s, 0.97, y)], PERSON)
        b.add("person", [(t, 0.97, y + 0.02), (t + 0.94 / s, 0.03, y + 0.02)], PERSON)
        t += b.u(20, 35)


def _parked_car(b: _Builder) -> None:
    b.stay("car", b.u(2, 10), b.world.duration - b.u(10, 30), 0.35, 0.8, CAR)
    t = b.u(20, 40)
    while t < b.world.duration - 15:
        b.walk_across("person", t, b.u(0.08, 0.12), PERSON, bottom=0.95)
        t += b.u(40, 80)


def _resting_dog(b: _Builder) -> None:
    b.stay("dog", b.u(2, 10), b.world.duration - b.u(10, 30), 0.6, 0.85, DOG, drift=0.01)


def _herd(b: _Builder) -> None:
    t0 = b.u(3, 10)
    n = int(b.rng.integers(4, 8))
    leave = b.world.duration * 0.55
    for i in range(n):
        y = 0.55 + 0.07 * (i % 5)
        xin = 0.1 + 0.12 * i
        ta = t0 + i * b.u(0.3, 0.8)
        tl = leave + i * b.u(6, 14)
        # Walk in from the left edge to a spot, graze, then walk out to the right.
        b.add("cow", [(ta, 0.07, y), (ta + 4, xin, y), (tl, xin, y), (tl + 8, 0.93, y)], COW)


def _quick_passes(b: _Builder) -> None:
    t = b.u(2, 6)
    while t < b.world.duration - 10:
        label = "person" if b.rng.random() < 0.6 else "dog"
        b.walk_across(label, t, b.u(0.2, 0.35), PERSON if label == "person" else DOG)
        t += b.u(10, 20)


def _occlusions(b: _Builder) -> None:
    t = b.u(2, 6)
    while t < b.world.duration - 20:
        s = b.u(0.08, 0.12)
        end = t + 0.94 / s
        mid = t + (0.5 - 0.03) / s
        hide = b.u(0.5, 2.0)
        b.add("person", [(t, 0.03, 0.85), (end, 0.97, 0.85)], PERSON, hidden=((mid, mid + hide),))
        t = end + b.u(5, 15)


def _busy_road(b: _Builder) -> None:
    # Two lanes, one each way; traffic in a lane keeps its pace, so nobody drives through
    # the car ahead.
    pace = {True: b.u(0.25, 0.45), False: b.u(0.25, 0.45)}
    t = b.u(1, 3)
    while t < b.world.duration - 8:
        label = "car" if b.rng.random() < 0.8 else "truck"
        far = b.rng.random() < 0.5  # the far lane drives right to left
        size = CAR if label == "car" else TRUCK
        speed = pace[far] * b.u(0.97, 1.0)
        b.walk_across(label, t, speed, size, bottom=0.55 if far else 0.8, from_left=not far)
        t += b.u(2, 6)


def _farm_mixed(b: _Builder) -> None:
    d = b.world.duration
    for _ in range(3):
        b.stay("cow", b.u(0, 20), d - b.u(0, 40), b.u(0.1, 0.9), b.u(0.4, 0.95), COW, 0.03)
    for _ in range(2):
        b.stay("sheep", b.u(0, 30), d - b.u(0, 40), b.u(0.1, 0.9), b.u(0.4, 0.95), SHEEP, 0.03)
    t = b.u(10, 30)
    while t < d - 20:
        b.walk_across(
            "person" if b.rng.random() < 0.5 else "dog", t, b.u(0.08, 0.2), PERSON, bottom=0.97
        )
        t += b.u(30, 60)


def _running_dog(b: _Builder) -> None:
    t = b.u(2, 6)
    y = 0.8
    pts = [(t, 0.1, y)]
    end = b.world.duration - b.u(10, 20)
    while pts[-1][0] < end:
        x = b.u(0.08, 0.92)
        pts.append((pts[-1][0] + abs(x - pts[-1][1]) / b.u(0.2, 0.4) + 0.5, x, b.u(0.6, 0.95)))
    b.add("dog", pts, DOG)


def _come_back(b: _Builder) -> None:
    t = b.u(2, 6)
    while t < b.world.duration - 30:
        end = b.walk_across("person", t, b.u(0.1, 0.2), PERSON, bottom=0.9)
        t = end + b.u(8, 20)  # the same person returns: a new visit


def _flock(b: _Builder) -> None:
    d = b.world.duration
    n = int(b.rng.integers(6, 10))
    for i in range(n):
        x = 0.1 + 0.8 * (i + 0.5) / n
        b.stay("sheep", b.u(0, 10), d - b.u(0, 60), x, b.u(0.55, 0.9), SHEEP, drift=0.02)


def _empty_night(b: _Builder) -> None:
    t = b.u(30, 60)
    b.walk_across("person", t, 0.1, PERSON)  # one visit, so there is something to find


def _delivery(b: _Builder) -> None:
    t = b.u(5, 15)
    park = t + 5
    b.add(
        "car",
        [(t, 0.11, 0.9), (park, 0.4, 0.9), (park + 40, 0.4, 0.9), (park + 46, 0.89, 0.9)],
        CAR,
    )
    b.add(
        "person",
        [
            (park + 3, 0.45, 0.95),
            (park + 10, 0.8, 0.8),
            (park + 25, 0.8, 0.8),
            (park + 35, 0.45, 0.95),
        ],
        PERSON,
    )
    b.walk_across("dog", park + 60, 0.2, DOG, bottom=0.97)


KINDS: dict[str, Callable[[_Builder], None]] = {
    "comings_and_goings": _comings_and_goings,
    "crossings": _crossings,
    "parked_car": _parked_car,
    "resting_dog": _resting_dog,
    "herd": _herd,
    "quick_passes": _quick_passes,
    "occlusions": _occlusions,
    "busy_road": _busy_road,
    "farm_mixed": _farm_mixed,
    "running_dog": _running_dog,
    "come_back": _come_back,
    "flock": _flock,
    "empty_night": _empty_night,
    "delivery": _delivery,
}


def make_world(kind: str, seed: int, duration: float = 180.0) -> World:
    """The world of this kind for this seed; the same arguments give the same world."""
    b = _Builder(kind, seed, duration)
    KINDS[kind](b)
    return b.world


def twenty_objects(seed: int, duration: float = 60.0) -> World:
    """Twenty objects in view at once, for the speed figure."""
    b = _Builder("twenty", seed, duration)
    for i in range(20):
        size = COW if i % 2 else PERSON
        y0, y1 = b.u(0.3, 0.95), b.u(0.3, 0.95)
        b.add(
            "cow" if i % 2 else "person",
            [(0, b.u(0.1, 0.9), y0), (duration, b.u(0.1, 0.9), y1)],
            size,
        )
    return b.world
