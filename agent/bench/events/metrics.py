"""Scoring a run's events, counts and tracks against a world's truth.

An event about n objects counts as n reports. Reports are matched one-to-one to true
arrivals or departures of the same label, within `EARLY` seconds before and the kind's
window after the true moment (Hungarian assignment on the time difference). Delay is
measured to the moment the report came out of the system, not the time it names.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

import lap
import numpy as np
import numpy.typing as npt

from agent.bench.events.noise import Frame
from agent.bench.events.worlds import World

EARLY = 2.0
WINDOW = {"arrival": 10.0, "departure": 15.0}
#: Counts are judged only on frames this long after the last true change.
SETTLE_SECONDS = 6.0
#: True events this close to the end of a stream cannot be reported in time; they, and
#: reports made then, are left out.
TAIL_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Report:
    """One object in one event: 'a cow arrived', told at `at` (world seconds)."""

    kind: str
    label: str
    at: float


@dataclass(slots=True)
class Run:
    """What one system said about one stream."""

    reports: list[Report] = field(default_factory=list)
    counts: list[dict[str, int]] = field(default_factory=list)  # per frame
    #: Per frame, (track id, box) of the tracks seen in that frame; None without tracks.
    tracks: list[list[tuple[int, tuple[float, float, float, float]]]] | None = None
    #: Messages sent (one event may report several objects); None: one per report.
    messages: int | None = None


@dataclass(slots=True)
class Score:
    """Sums over streams, so figures can be pooled per kind of world or noise level."""

    true: dict[str, int] = field(default_factory=lambda: {"arrival": 0, "departure": 0})
    told: dict[str, int] = field(default_factory=lambda: {"arrival": 0, "departure": 0})
    matched: dict[str, int] = field(default_factory=lambda: {"arrival": 0, "departure": 0})
    delays: dict[str, list[float]] = field(default_factory=lambda: {"arrival": [], "departure": []})
    visits: int = 0
    messages: int = 0
    count_frames: int = 0
    count_right: int = 0
    id_switches: int = 0
    idtp: float = 0.0
    gt_dets: int = 0
    tr_dets: int = 0
    has_tracks: bool = False

    def add(self, other: Score) -> None:
        for k in ("arrival", "departure"):
            self.true[k] += other.true[k]
            self.told[k] += other.told[k]
            self.matched[k] += other.matched[k]
            self.delays[k].extend(other.delays[k])
        self.visits += other.visits
        self.messages += other.messages
        self.count_frames += other.count_frames
        self.count_right += other.count_right
        self.id_switches += other.id_switches
        self.idtp += other.idtp
        self.gt_dets += other.gt_dets
        self.tr_dets += other.tr_dets
        self.has_tracks |= other.has_tracks

    def precision(self, kind: str | None = None) -> float:
        kinds = [kind] if kind else ["arrival", "departure"]
        told = sum(self.told[k] for k in kinds)
        return sum(self.matched[k] for k in kinds) / told if told else 1.0

    def recall(self, kind: str | None = None) -> float:
        kinds = [kind] if kind else ["arrival", "departure"]
        true = sum(self.true[k] for k in kinds)
        return sum(self.matched[k] for k in kinds) / true if true else 1.0

    @property
    def spurious_per_visit(self) -> float:
        spurious = sum(self.told[k] - self.matched[k] for k in self.told)
        return spurious / max(self.visits, 1)

    def median_delay(self, kind: str) -> float:
        return statistics.median(self.delays[kind]) if self.delays[kind] else float("nan")

    def delay_quantile(self, kind: str, q: float) -> float:
        """The q-quantile of the delays (nearest rank), e.g. 0.9 for the 90th percentile."""
        d = sorted(self.delays[kind])
        return d[min(len(d) - 1, math.ceil(q * len(d)) - 1)] if d else float("nan")

    @property
    def messages_per_visit(self) -> float:
        """Messages a subscriber received per true visit (arrivals and departures)."""
        return self.messages / max(self.visits, 1)

    @property
    def count_accuracy(self) -> float:
        return self.count_right / self.count_frames if self.count_frames else 1.0

    @property
    def idf1(self) -> float:
        if not self.has_tracks:
            return float("nan")
        return 2 * self.idtp / max(self.gt_dets + self.tr_dets, 1)


def true_events(world: World) -> list[Report]:
    """Arrivals at each visit's first frame; departures after its last (if it ends in view)."""
    out = []
    for v in world.visits:
        out.append(Report("arrival", v.label, v.start))
        if v.end < world.duration:
            out.append(Report("departure", v.label, v.end))
    return out


def score(world: World, frames: Sequence[Frame], run: Run) -> Score:
    """Everything we measure about one run on one stream."""
    s = Score(visits=len(world.visits))
    s.messages = len(run.reports) if run.messages is None else run.messages
    truth = true_events(world)
    tail = world.duration - TAIL_SECONDS
    for kind in ("arrival", "departure"):
        t = [r for r in truth if r.kind == kind and r.at < tail]
        told = [r for r in run.reports if r.kind == kind]
        pairs = _match(t, told, WINDOW[kind])
        matched = {j for _, j, _ in pairs}
        # A report made in the tail counts only when it matches an earlier true event.
        s.told[kind] = sum(1 for j, r in enumerate(told) if r.at < tail or j in matched)
        s.true[kind] = len(t)
        s.matched[kind] = len(pairs)
        s.delays[kind].extend(dt for _, _, dt in pairs)
    changes = sorted({r.at for r in truth})
    for f, counts in zip(frames, run.counts, strict=True):
        i = int(np.searchsorted(changes, f.t, side="right"))
        if i and f.t - changes[i - 1] < SETTLE_SECONDS:
            continue
        s.count_frames += 1
        s.count_right += int({k: v for k, v in counts.items() if v} == world.counts(f.t))
    if run.tracks is not None:
        _score_ids(s, frames, run.tracks)
    return s


@dataclass(slots=True)
class Bound:
    """What the detections themselves allow, whatever the tracker: per true arrival (the
    tail left out, as in `score`), the times of its first detections after it came into
    view (a box of the object, IoU >= 0.5, within the arrival window; inf when there are
    fewer). A tracker that needs k detections cannot report an arrival before its k-th."""

    nth: dict[int, list[float]] = field(default_factory=lambda: {1: [], 3: [], 4: []})

    def add(self, other: Bound) -> None:
        for k, v in other.nth.items():
            self.nth[k].extend(v)

    def share(self, k: int, within: float = math.inf) -> float:
        """Share of arrivals detected k times within the window (and by `within` s)."""
        d = self.nth[k]
        return sum(1 for x in d if math.isfinite(x) and x <= within + 1e-9) / len(d) if d else 1.0

    def quantile(self, k: int, q: float) -> float:
        """The q-quantile of the k-th detection's delay over all arrivals (nearest rank)."""
        d = sorted(self.nth[k])
        return d[min(len(d) - 1, math.ceil(q * len(d)) - 1)] if d else float("nan")


def detector_bound(world: World, frames: Sequence[Frame]) -> Bound:
    """The `Bound` of one stream."""
    seen: dict[int, list[float]] = {}
    for f in frames:
        if not len(f.true_ids) or not len(f.labels):
            continue
        ov = iou(f.true_boxes.astype(np.float64), f.boxes.astype(np.float64))
        for gi in np.flatnonzero(ov.max(axis=1) >= 0.5).tolist():
            seen.setdefault(f.true_ids[gi], []).append(f.t)
    b = Bound()
    for v in world.visits:
        if v.start >= world.duration - TAIL_SECONDS:
            continue
        times = [t - v.start for t in seen.get(v.id, []) if t - v.start <= WINDOW["arrival"]]
        for k in b.nth:
            b.nth[k].append(times[k - 1] if len(times) >= k else math.inf)
    return b


def _match(truth: list[Report], told: list[Report], window: float) -> list[tuple[int, int, float]]:
    """One-to-one matched pairs: (true index, report index, delay)."""
    if not truth or not told:
        return []
    t_at = np.array([r.at for r in truth])
    r_at = np.array([r.at for r in told])
    dt = r_at[None, :] - t_at[:, None]
    same = np.array([[a.label == b.label for b in told] for a in truth])
    ok = same & (dt >= -EARLY) & (dt <= window)
    # When every report comes after every true event, all pairings cost the same total; a
    # tiny square term breaks the tie toward the order-preserving one (the smallest delays).
    rows, cols = _assign(np.abs(dt) + 1e-9 * dt**2, ok)
    return [(int(r), int(c), float(dt[r, c])) for r, c in zip(rows, cols, strict=True)]


def _assign(
    cost: npt.NDArray[np.float64], allowed: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The allowed pairs of a least-cost one-to-one assignment: as many allowed pairs as
    possible, then the least cost. `lap` (Jonker-Volgenant) instead of scipy, which the
    agent no longer installs; lap wants a square matrix, so zero-cost dummies pad it."""
    n, m = cost.shape
    if n == 0 or m == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    # Exactly min(n, m) real pairs are always made, so shifting every real cost by one
    # constant changes nothing: allowed costs become 0..spread, and a forbidden pair costs
    # more than all allowed pairs together (and stays below lap's own "infinity", 1e6).
    lo = float(cost[allowed].min()) if allowed.any() else 0.0
    shifted = np.where(allowed, cost - lo, 0.0)
    forbidden = float(shifted.max()) * min(n, m) + 1.0
    square = np.zeros((max(n, m), max(n, m)))
    square[:n, :m] = np.where(allowed, shifted, forbidden)
    x = np.asarray(lap.lapjv(square, return_cost=False)[0][:n], np.intp)
    rows = np.flatnonzero(x < m)
    cols = x[rows]
    keep = allowed[rows, cols]
    return rows[keep], cols[keep]


def iou(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Pairwise IoU of x1,y1,x2,y2 boxes."""
    ix = np.clip(
        np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None
    )
    iy = np.clip(
        np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None
    )
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    out: npt.NDArray[np.float64] = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
    return out


def _score_ids(
    s: Score,
    frames: Sequence[Frame],
    tracks: list[list[tuple[int, tuple[float, float, float, float]]]],
) -> None:
    """ID switches as CLEAR MOT counts them, and IDF1's identity true positives.

    IDF1 (Ristani et al., 2016): match whole true trajectories to whole tracks so that the
    frames they share (IoU >= 0.5) are most; IDF1 = 2 IDTP / (true boxes + tracked boxes).
    """
    s.has_tracks = True
    shared: dict[tuple[int, int], int] = {}
    last: dict[int, int] = {}
    for f, tr in zip(frames, tracks, strict=True):
        s.gt_dets += len(f.true_ids)
        s.tr_dets += len(tr)
        if not tr or not f.true_ids:
            continue
        ov = iou(f.true_boxes.astype(np.float64), np.array([b for _, b in tr], np.float64))
        ids = [i for i, _ in tr]
        for gi, ti in zip(*np.nonzero(ov >= 0.5), strict=True):
            key = (f.true_ids[gi], ids[ti])
            shared[key] = shared.get(key, 0) + 1
        # Keep last frame's pairs where they still hold, as CLEAR MOT does, then assign.
        cost = 1 - ov
        for gi, g in enumerate(f.true_ids):
            if g in last and last[g] in ids:
                ti = ids.index(last[g])
                if ov[gi, ti] >= 0.5:
                    cost[gi, ti] = -1.0
        rows, cols = _assign(cost, ov >= 0.5)
        for r, c in zip(rows, cols, strict=True):
            g = f.true_ids[r]
            if g in last and last[g] != ids[c]:
                s.id_switches += 1
            last[g] = ids[c]
    if shared:
        gts = sorted({g for g, _ in shared})
        trs = sorted({t for _, t in shared})
        m = np.zeros((len(gts), len(trs)))
        for (g, t), n in shared.items():
            m[gts.index(g), trs.index(t)] = n
        rows, cols = _assign(-m, np.ones(m.shape, bool))
        s.idtp += float(m[rows, cols].sum())
