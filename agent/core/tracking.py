"""Joining detections into tracks with stable ids across frames, through a detector's noise.

What a real detector does, and what each part here answers (measured with
`eva bench --events`, see docs/tracking.md):
- it misses an object for several frames: a constant-velocity motion model predicts where
  to look, and an object is judged gone only after a wait that grows with how long it has
  stood still (a parked car survives a minute of misses, a walker who left the frame goes
  after one second);
- it fires short false positives: a new track counts only after `confirm_frames` frames
  (missing none two in a row; one fewer for confident boxes), over `confirm_seconds`, with
  a mean score of `confirm_score`;
- it returns a smaller box inside the object (a head, the front of a car), also while the
  full box is missed: such a box neither starts a track nor moves one; it only tells that
  the object is still there;
- it flickers between similar classes (dog/cat, car/truck): within a class group a track
  keeps its identity and takes the label it was seen as most;
- it loses a fast object (a dog that turns, a walker behind a post): a detection nothing
  else takes, or a track that has just been confirmed, continues the nearest lost object
  that could have got there, so its visit goes on.

Matching is one optimal assignment (Jonker-Volgenant, `lap`) per frame over a cost that
mixes overlap with the predicted box and Frigate's size-relative distance, plus a second,
smaller one for the leftovers. norfair pins numpy<2 and ByteTrack
keeps no class groups or nested-box rule; this file is faster than both and wins on the
event benchmark (figures in docs/BENCHMARKS.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from agent.core.assignment import assign
from agent.core.geometry import FloatArray, area, inside_share, pair_geometry, size_change
from agent.core.settings import TrackerConfig
from pipelines.detections import Detections

#: Alpha-beta filter gains: how much a new box moves the estimate, and its velocity.
POSITION_GAIN, VELOCITY_GAIN, SIZE_GAIN = 0.7, 0.3, 0.5
#: A box this much inside another (share of its own area) and this much smaller is nested.
NESTED_INSIDE, NESTED_AREA = 0.8, 0.6
#: An object that moves less than this (box widths) from where it settled stands still.
STILL_RADIUS = 0.5
#: An unseen object may be picked up again this far from where it was expected (in the
#: same units as max_distance) rather than start a new visit: a dog that turned, a walker
#: behind a post.
REACQUIRE_DISTANCE = 4.0
REACQUIRE_SIZE_CHANGE = 0.5
#: ...plus this much per second the object's own box was not measured, up to
#: REACQUIRE_SIZE_MAX: someone walking up to or away from a door camera grows or shrinks
#: threefold in 4-8 s, and a detector that misses the full box for a few seconds of that
#: (or sees only a part of it) finds them again at a size the test above would refuse.
REACQUIRE_SIZE_GROWTH, REACQUIRE_SIZE_MAX = 0.75, 3.0
#: How much further a lost object may be looked for per second it was unseen (box sizes).
REACQUIRE_SPEED = 5.0
#: ...or this many times its own speed, when faster: a child running at six box widths a
#: second runs on after the prediction stops coasting (COAST_SECONDS).
REACQUIRE_OWN_SPEED = 1.5
#: How much the wait for an unseen object grows per second it has stood still: 3 s a
#: minute, so a car parked for ten minutes survives half a minute of misses, while someone
#: who stood still briefly and then vanished is judged gone almost as soon as a walker.
STILL_GROWTH = 0.05
#: The prediction follows the velocity at most this long into a gap; after that it waits.
COAST_SECONDS = 1.0
#: An object still for this long is matched within this share of its distance gate.
STILL_GATE_AFTER, STILL_GATE = 2.0, 0.5
#: ...and picked up again (re-acquisition) at most this far from where it stood, not 4.
STILL_REACQUIRE = 1.0


@dataclass(slots=True)
class Track:
    """One object followed across frames. Mutated only by the Tracker."""

    id: int
    label: str
    #: The box, x1, y1, x2, y2 as fractions of the frame (plain floats: the hot path
    #: avoids numpy scalars); `box` gives it as an array.
    corners: tuple[float, float, float, float]
    score: float
    max_score: float
    first_seen: float
    last_seen: float
    hits: int = 1
    #: Zones the object stands in, after debouncing (see `observe_zones`).
    zones: frozenset[str] = frozenset()
    #: When the object entered each zone in `zones`.
    zone_since: dict[str, float] = field(default_factory=dict)
    _zone_candidate: frozenset[str] = frozenset()
    _zone_candidate_frames: int = 0
    _zones_placed: bool = False
    #: Whether it has been seen in `confirm_frames` frames (missing none two in a row) once,
    #: so it counts.
    confirmed: bool = False
    votes: dict[str, float] = field(default_factory=dict)
    velocity: tuple[float, float] = (0.0, 0.0)  # of the box centre, per second
    last_update: float = 0.0  # last time the box itself was measured
    still_since: float = 0.0
    still_anchor: tuple[float, float] = (0.0, 0.0)
    group_id: int = 0
    label_id: int = 0
    score_sum: float = 0.0
    max_distance: float = 1.0
    #: The box it was first seen with: an object that came in over the frame's edge is
    #: a newcomer, not a lost object found again (see `Tracker._adopt`).
    first_corners: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    #: Frames in a row a tentative track has not been seen, and frames it was not seen in
    #: all (see `_bridges_a_miss`).
    misses: int = 0
    gaps: int = 0
    #: When the object's own box (not a part of it) was last measured.
    last_measured: float = 0.0

    def observe_zones(self, raw: frozenset[str], now: float, stable_frames: int) -> None:
        """Accept a new zone set only once it has held for `stable_frames` frames.

        Without this, a cow standing on a zone's border would enter and leave it on
        alternate frames.
        """
        if not self._zones_placed:
            # Where an object is first placed needs no debounce.
            self._zones_placed = True
            self._zone_candidate_frames = 0
            self.zone_since = {z: now for z in raw}
            self.zones = raw
            return
        if raw == self.zones:
            self._zone_candidate_frames = 0
            return
        if raw == self._zone_candidate:
            self._zone_candidate_frames += 1
        else:
            self._zone_candidate, self._zone_candidate_frames = raw, 1
        if self._zone_candidate_frames >= stable_frames:
            for z in raw - self.zones:
                self.zone_since[z] = now
            for z in self.zones - raw:
                self.zone_since.pop(z, None)
            self.zones = raw
            self._zone_candidate_frames = 0

    @property
    def box(self) -> npt.NDArray[np.float32]:
        return np.array(self.corners, np.float32)

    def predict(self, now: float) -> tuple[float, float, float, float]:
        """Where the box should be at `now`, coasting on the velocity for a short while."""
        dt = min(now - self.last_update, COAST_SECONDS)
        vx, vy = self.velocity
        x1, y1, x2, y2 = self.corners
        return (x1 + vx * dt, y1 + vy * dt, x2 + vx * dt, y2 + vy * dt)


@dataclass(frozen=True, slots=True)
class TrackUpdate:
    """The result of one frame: objects being followed, and objects judged gone.

    Only confirmed tracks appear here; a track that never reached `confirm_frames` in a
    row disappears without a word, since it was never an object.
    """

    active: list[Track]
    removed: list[Track]


class Tracker:
    """Motion-predicted, class-group-aware tracker with streak confirmation."""

    def __init__(self, config: TrackerConfig) -> None:
        self._config = config
        self._tracks: list[Track] = []
        self._next_id = 1
        # Labels of one class group share an id; every other label gets its own.
        self._group_ids: dict[str, int] = {}
        for gid, g in enumerate(config.class_groups, start=1):
            for label in g:
                self._group_ids.setdefault(label, -gid)
        self._last_frame = float("-inf")
        self._label_ids: dict[str, int] = {}
        # Group and label ids of the last frame's labels, kept for the next frame.
        self._last_labels: tuple[str, ...] | None = None
        self._last_ids = np.zeros((0, 2), np.int64)

    @property
    def tracks(self) -> list[Track]:
        """Every track, tentative ones included."""
        return self._tracks

    @property
    def last_frame(self) -> float:
        """Time of the latest frame."""
        return self._last_frame

    @property
    def confirmed(self) -> list[Track]:
        """Tracks that count as objects."""
        return [t for t in self._tracks if t.confirmed]

    def update(self, detections: Detections, now: float) -> TrackUpdate:
        """Match this frame's detections to tracks, start new ones and drop lost ones."""
        boxes = detections.boxes.astype(np.float64)
        labels = detections.labels
        gids, lids = self._group_ids, self._label_ids
        if labels != self._last_labels:  # the same labels as on the last frame, as a rule
            self._last_labels = labels
            self._last_ids = np.array(
                [
                    (gids.get(lb) or self._group_id(lb), lids.get(lb) or self._label_id(lb))
                    for lb in labels
                ],
                np.int64,
            ).reshape(-1, 2)
            self._last_ids.flags.writeable = False
        groups, kinds = self._last_ids[:, 0], self._last_ids[:, 1]
        seen: set[int] = set()
        if len(labels) and self._tracks:
            matched, inner = self._match(boxes, groups, kinds, now)
            box_list = boxes.tolist()
            scores = detections.scores.tolist()
            tracks = self._tracks
            fresh = []
            for ti, di in matched:
                t = tracks[ti]
                was = t.confirmed
                self._observe(t, box_list[di], scores[di], labels[di], now)
                if t.confirmed and not was:
                    fresh.append(ti)
            seen.update([ti for ti, _ in matched])
            for ti in inner:
                if ti >= 0 and ti not in seen:
                    _seen_inside(tracks[ti], now)  # still there, where it was expected
                    seen.add(ti)
            for ti in fresh:
                if self._adopt(tracks[ti], now):
                    seen.discard(ti)  # an object already known took this track over
            if len(matched) == len(labels):
                new = []  # every box continued a track (pairs are one to one): the usual frame
            else:
                used = {di for _, di in matched} | set(inner.values())
                new = [di for di in range(len(labels)) if di not in used]
        else:
            new = list(range(len(labels)))
        if len(new) > 1:
            # Of new boxes, one inside another of the same label is a duplicate.
            keep = _outermost(boxes[new], kinds[new])
            new = [di for di, k in zip(new, keep.tolist(), strict=True) if k]
        # Tentative tracks that missed a frame were noise; drop them before adding new ones.
        removed: list[Track] = []
        expired: list[Track] = []
        if len(seen) < len(self._tracks):  # (else every track was seen, and all stay)
            survivors: list[Track] = []
            for i, t in enumerate(self._tracks):
                if i in seen:
                    survivors.append(t)
                elif not t.confirmed:
                    t.misses += 1
                    t.gaps += 1
                    if _bridges_a_miss(t, self._config):
                        survivors.append(t)
                    continue
                else:
                    survivors.append(t)
                    if now - t.last_seen > self._wait(t, now):
                        expired.append(t)
            self._tracks = survivors
        for di in new:
            self._start(detections, di, gids.get(labels[di]) or self._group_id(labels[di]), now)
        for t in expired:  # (decided once this frame's new tracks have started)
            if not self._may_be_back(t, now):
                self._tracks.remove(t)
                removed.append(t)
        self._last_frame = now
        return TrackUpdate(active=self.confirmed, removed=removed)

    def flush(self) -> list[Track]:
        """Remove and return every confirmed track (the input ended)."""
        gone, self._tracks = self.confirmed, []
        return gone

    def _group_id(self, label: str) -> int:
        gid = self._group_ids.get(label)
        if gid is None:
            gid = self._group_ids[label] = len(self._group_ids) + 1
        return gid

    def _label_id(self, label: str) -> int:
        lid = self._label_ids.get(label)
        if lid is None:
            lid = self._label_ids[label] = len(self._label_ids) + 1
        return lid

    def _limit(self, label: str) -> float:
        preset = self._config.presets.get(label)
        return (preset.max_distance if preset else None) or self._config.max_distance

    def _start(self, detections: Detections, di: int, group: int, now: float) -> None:
        score = float(detections.scores[di])
        x1, y1, x2, y2 = detections.boxes[di].tolist()
        label = detections.labels[di]
        t = Track(
            id=self._next_id,
            label=label,
            corners=(x1, y1, x2, y2),
            score=score,
            max_score=score,
            first_seen=now,
            last_seen=now,
            votes={label: score},
            last_update=now,
            still_since=now,
            still_anchor=((x1 + x2) / 2, (y1 + y2) / 2),
            group_id=group,
            label_id=self._label_id(label),
            max_distance=self._limit(label),
            score_sum=score,
            first_corners=(x1, y1, x2, y2),
            last_measured=now,
        )
        self._next_id += 1
        c = self._config
        t.confirmed = c.confirm_frames <= 1 and c.confirm_seconds <= 0 and score >= c.confirm_score
        self._tracks.append(t)

    def _observe(self, t: Track, z: list[float], score: float, label: str, now: float) -> None:
        """Fold one detection into a track: alpha-beta filter on centre and size."""
        # `predict`, written out: this runs for every object on every frame.
        dt = now - t.last_update
        k = COAST_SECONDS if dt > COAST_SECONDS else dt  # min(dt, COAST_SECONDS), inlined
        x1, y1, x2, y2 = t.corners
        vx, vy = t.velocity
        p0, p1, p2, p3 = x1 + vx * k, y1 + vy * k, x2 + vx * k, y2 + vy * k
        pcx, pcy, pw, ph = (p0 + p2) / 2, (p1 + p3) / 2, p2 - p0, p3 - p1
        z0, z1, z2, z3 = z
        rx, ry = (z0 + z2) / 2 - pcx, (z1 + z3) / 2 - pcy
        cx, cy = pcx + POSITION_GAIN * rx, pcy + POSITION_GAIN * ry
        if dt > 0:
            g = _velocity_gain(t.hits)
            t.velocity = (vx + g * rx / dt, vy + g * ry / dt)
        w, h = _size_update(pw, ph, z2 - z0, z3 - z1)
        hw, hh = w / 2, h / 2
        t.corners = (cx - hw, cy - hh, cx + hw, cy + hh)
        votes = t.votes
        vote = votes[label] = votes.get(label, 0.0) + score
        if label != t.label and vote > votes[t.label]:
            t.label = label
            t.label_id = self._label_id(label)
            t.max_distance = self._limit(label)
        t.score = score
        t.score_sum += score
        if score > t.max_score:
            t.max_score = score
        t.hits += 1  # a tentative track is dropped after a few misses in a row (see update)
        t.misses = 0
        t.last_seen = t.last_update = t.last_measured = now
        ax, ay = t.still_anchor
        if abs(cx - ax) > STILL_RADIUS * w or abs(cy - ay) > STILL_RADIUS * h:
            t.still_anchor, t.still_since = (cx, cy), now
        if not t.confirmed:
            t.confirmed = _confirms(t, self._config, now)

    def _adopt(self, new: Track, now: float) -> bool:
        """Let a lost object take over a track that has just been confirmed.

        A dog that ran on while the detector missed it for a second comes back further
        away than any gate; when the new track is confirmed, the nearest unseen object of
        its class group that could have got there (about 4 box sizes, plus 5 a second of
        the gap), of a similar size and not one that left the frame, continues with it:
        its visit goes on, and nobody is told of an arrival and a departure.
        """
        best: tuple[float, Track] | None = None
        for old in self._tracks:
            if old is new or not old.confirmed or old.group_id != new.group_id:
                continue
            if now - old.last_seen > self._wait(old, now) + PENDING_GRACE:
                continue  # (kept past its wait only while a new track may be it)
            shift = self._shift_to(old, new, now)
            if shift is not None and (best is None or shift < best[0]):
                best = (shift, old)
        if best is None:
            return False
        old = best[1]
        old.corners, old.velocity = new.corners, new.velocity
        old.last_seen = old.last_update = old.last_measured = now
        old.still_since, old.still_anchor = new.still_since, new.still_anchor
        for label, v in new.votes.items():
            old.votes[label] = old.votes.get(label, 0.0) + v
        old.hits += new.hits
        old.max_score = max(old.max_score, new.max_score)
        new.confirmed = False  # dropped below as a tentative track not seen this frame
        return True

    def _shift_to(self, old: Track, new: Track, now: float) -> float | None:
        """How far (box sizes) the young track `new` is from where the unseen object `old`
        could be, or None when it cannot be that object: `old` was seen since, or left the
        frame; `new` came in over an edge `old` was not near, or is of another size, or is
        further than `old` could have got (about 4 box sizes, plus 5 a second of the gap).
        """
        gap = new.first_seen - old.last_seen
        if old.last_seen >= now or _leaving(old, now):
            return None
        # Seen at once by its own box, or by a part of it (a head box) while `new` was not
        # yet confirmed: that part may have been `new`'s object, shrunk as it walked away.
        unmeasured = new.first_seen - old.last_measured
        if unmeasured <= 0 and not (
            unmeasured == 0 and _born_inside(new.first_corners, old.corners)
        ):
            return None  # both seen at once: two objects
        ox1, oy1, ox2, oy2 = old.predict(new.first_seen)
        ow, oh = max(ox2 - ox1, 1e-6), max(oy2 - oy1, 1e-6)
        if _came_in(_entry_box(new, now - self._last_frame), (ox1, oy1, ox2, oy2), ow, oh):
            return None
        nx1, ny1, nx2, ny2 = new.corners
        nw, nh = max(nx2 - nx1, 1e-6), max(ny2 - ny1, 1e-6)
        still = old.last_seen - old.still_since >= STILL_GATE_AFTER
        if math.hypot(max(ow, nw) / min(ow, nw) - 1, max(oh, nh) / min(oh, nh) - 1) > (
            _size_tolerance(unmeasured if still else 0.0)
        ):
            return None
        shift = math.hypot(((nx1 + nx2) - (ox1 + ox2)) / (2 * ow), (ny2 - oy2) / oh)
        if still:
            # Or where it was first seen, against where the object stood: a cat that
            # sat, then darted off faster than any gate, has run on since.
            fx1, _, fx2, fy2 = new.first_corners
            first = math.hypot(((fx1 + fx2) - (ox1 + ox2)) / (2 * ow), (fy2 - oy2) / oh)
            shift = min(shift, first)
        reach = (STILL_REACQUIRE if still else REACQUIRE_DISTANCE) + _reach_speed(old, ow, oh) * gap
        return shift if shift <= reach else None

    def _may_be_back(self, old: Track, now: float) -> bool:
        """Whether an unseen object whose wait is over should be kept a little longer
        (PENDING_GRACE), because a track not yet confirmed, seen in this frame, could be
        it: a walker missed for two seconds before and after three behind a parked car is
        seen again just as the wait ends, and judged gone then, the departure and the
        arrival that follow it are both false."""
        if now - old.last_seen > self._wait(old, now) + PENDING_GRACE:
            return False
        return any(
            not t.confirmed
            and t.last_seen == now
            and t.group_id == old.group_id
            and self._shift_to(old, t, now) is not None
            for t in self._tracks
        )

    def _wait(self, t: Track, now: float) -> float:
        """How long an unseen confirmed track is kept: longer the longer it stood still."""
        c = self._config
        preset = c.presets.get(t.label)
        base = (preset.lost_after_seconds if preset else None) or c.lost_after_seconds
        still_max = preset.still_lost_after_seconds if preset else None
        still_max = still_max or c.still_lost_after_seconds
        still_for = t.last_seen - t.still_since
        if _leaving(t, now):
            return min(base, c.edge_lost_after_seconds)
        return max(base, min(still_max, base + STILL_GROWTH * still_for))

    def _match(
        self,
        boxes: FloatArray,
        groups: npt.NDArray[np.int64],
        kinds: npt.NDArray[np.int64],
        now: float,
    ) -> tuple[list[tuple[int, int]], dict[int, int]]:
        """Pairs (track, detection), and nested detections by the track they sit inside."""
        c = self._config
        tracks = self._tracks
        # One row per track, with what depends on the track alone worked out here in plain
        # floats (the same operations as numpy's, in the same order, so the same floats):
        # at 20 tracks a dozen numpy calls on columns cost more than this loop, and numpy
        # converts fewer columns. Columns: the predicted box, the distance limit, group,
        # label, confirmed, how long it has stood still. (One flat list: numpy converts it
        # in half the time of a list of tuples.)
        rows: list[float] = []
        for t in tracks:
            # `predict`, written out.
            dt = now - t.last_update
            k = COAST_SECONDS if dt > COAST_SECONDS else dt
            x1, y1, x2, y2 = t.corners
            vx, vy = t.velocity
            # A track unseen for a while may have moved further; widen its gate with the gap.
            gap = now - t.last_seen
            limit = t.max_distance * (1.0 + (3.0 if gap > 3.0 else gap) / 3.0)
            # An object that has stood still does not jump: in a resting herd, the next
            # cow's box is not this one's while this one is missed (nor, with one more box
            # at the herd's other end, is each cow's box its neighbour's).
            still_for = t.last_seen - t.still_since
            if still_for >= STILL_GATE_AFTER:
                limit *= STILL_GATE
            rows += (
                x1 + vx * k,
                y1 + vy * k,
                x2 + vx * k,
                y2 + vy * k,
                limit,
                t.group_id,
                t.label_id,
                t.confirmed,
                still_for,
            )
        state = np.array(rows, np.float64).reshape(-1, 9)
        pred, limits = state[:, 0:4], state[:, 4]
        confirmed = state[:, 7] > 0
        same = state[:, 5, None] == groups[None, :]
        geo = pair_geometry(pred, boxes)
        iou, dist = geo.iou, geo.dist
        ok: npt.NDArray[np.bool_] = same & (
            (iou >= max(c.iou_threshold, 1e-6)) | (dist <= limits[:, None])
        )
        # A smaller box of the same label inside the object is a duplicate (YOLO's head
        # or torso box); a sheep standing in front of a cow is not. Rare, so the cheap
        # size test comes first.
        # (The smallest box against the largest track tells whether any pair passes it.)
        any_nested = _much_smaller(geo.area_b, geo.area_a)
        if any_nested:
            nested = geo.area_b[None, :] < NESTED_AREA * geo.area_a[:, None]
            # (np.count_nonzero for any/all/sum of a small mask: a quarter of the cost of
            # the array methods, which go through Python-level wrappers.)
            nested &= (state[:, 6, None] == kinds[None, :]) & (geo.inside() >= NESTED_INSIDE)
            any_nested = bool(np.count_nonzero(nested))
            ok &= ~nested
        parts = _parts(boxes, kinds, geo.area_b)
        if parts is not None:
            ok &= ~parts[None, :] | (iou >= PART_IOU)
        # Confirmed tracks first, then the closest; a pair that cannot join costs too much.
        cost = (1.0 - iou) + 0.5 * dist
        if np.count_nonzero(confirmed) < len(confirmed):
            cost += 5.0 * ~confirmed[:, None]
        pairs = list(zip(*assign(cost, ok), strict=True))
        # Boxes left over (none, as a rule) may continue an object lost from view.
        if len(pairs) < len(boxes):
            covered = np.zeros(len(boxes), np.bool_)  # boxes inside a track
            if any_nested:
                np.any(nested, axis=0, out=covered)
            if parts is not None:
                covered |= parts
            if len(pairs) + np.count_nonzero(covered) < len(boxes):
                candidates = same & ~covered[None, :] & ~ok
                pairs += _reacquire_pairs(pairs, tracks, pred, boxes, dist, candidates)
        # A leftover box inside a track is that object seen again, not a new one: it keeps
        # an unseen confirmed track alive (inner) and is dropped otherwise (-1).
        inner: dict[int, int] = {}
        if any_nested:
            taken = {k for _, k in pairs}
            for row, column in zip(*np.nonzero(nested), strict=True):
                r, col = int(row), int(column)
                if col in taken:
                    continue
                taken.add(col)
                if tracks[r].confirmed and r not in inner:
                    inner[r] = col
                else:
                    inner.setdefault(-1 - col, col)
        return pairs, inner


#: An unseen object whose wait is over is kept at most this much longer while a track not
#: yet confirmed could be it (see `Tracker._may_be_back`).
PENDING_GRACE = 1.0

#: A box this close to the frame's edge (share of the frame) touches it.
EDGE = 0.02


#: A streak one frame shorter confirms a track whose boxes scored at least this on average.
FAST_CONFIRM_SCORE = 0.7
#: ...or whose boxes reached `confirm_score` on average with one box this confident.
SURE_SCORE = 0.8


def _confirms(t: Track, c: TrackerConfig, now: float) -> bool:
    """Whether a tentative track's streak makes it an object: `confirm_frames` boxes in a
    row over `confirm_seconds` with a mean score of `confirm_score` (false positives tend to
    score low all along; a real object scores well on most frames, so the mean over the
    streak separates them better than the best); or one box fewer when a frame of the
    streak was missed (bridged) but it lasted as many frames and as long; or one box fewer,
    over the same share of the time, when the boxes were confident: a mean of
    FAST_CONFIRM_SCORE, or of `confirm_score` with one box of SURE_SCORE (false positives
    seldom score that high: the real detector's scored 0.46-0.49, calibrated.json). Most
    real objects get out a frame sooner, and a low-scoring box still needs the full
    streak."""
    mean, span = t.score_sum / t.hits, now - t.first_seen + 1e-6
    if t.hits >= c.confirm_frames and span >= c.confirm_seconds:
        return mean >= c.confirm_score
    fast = c.confirm_frames - 1
    if fast < 2 or t.hits < fast:
        return False
    if t.hits + t.gaps >= c.confirm_frames and span >= c.confirm_seconds:
        # A full streak with a frame missed in it (bridged): a false positive is seldom
        # missed and seen again in the same place.
        return mean >= c.confirm_score
    return span >= c.confirm_seconds * (fast - 1) / (c.confirm_frames - 1) and (
        mean >= max(FAST_CONFIRM_SCORE, c.confirm_score)
        or (mean >= c.confirm_score and t.max_score >= SURE_SCORE)
    )


#: Frames in a row a tentative track seen more than once may be missed and still go on.
TENTATIVE_MISSES = 3


def _bridges_a_miss(t: Track, c: TrackerConfig) -> bool:
    """Whether a tentative track not seen in this frame (its miss counted) is kept for the
    next: when it was seen more than once and has been missed at most TENTATIVE_MISSES
    frames in a row. The real detector misses a third of the frames of what it can see, in
    bursts (calibrated.json: 41% of bursts are one frame, 17% two, 7% three), so a streak
    that had to start again at each miss kept real objects tentative for seconds; a false
    positive that comes and goes still needs `confirm_frames` boxes, and seldom comes back
    in the same place. A track of one box bridges as many when that box was sure
    (SURE_SCORE): an object seen once as it came in and missed in the next frames was
    otherwise confirmed a frame or more later, on its later boxes alone."""
    if t.misses > 1 and t.score_sum < c.confirm_score * t.hits:
        return False
    return (t.hits > 1 or t.max_score >= SURE_SCORE) and t.misses <= TENTATIVE_MISSES


def _seen_inside(t: Track, now: float) -> None:
    """A box inside the track's predicted box (a head, a torso) while the object itself is
    missed: the object is still there, where it was expected. A moving object goes on
    along its prediction (the box is not measured: its size and velocity stay), an object
    that stood still stays put; left where
    it was last measured, a truck seen only by the front of its cab as it drove out was
    kept in mid-frame for the full wait, and the next car in its lane continued it."""
    t.last_seen = now
    if _stands_still(t):
        return  # its velocity is the jitter's
    x1, y1, x2, y2 = t.predict(now)
    t.corners, t.last_update = (x1, y1, x2, y2), now
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    ax, ay = t.still_anchor
    if abs(cx - ax) > STILL_RADIUS * (x2 - x1) or abs(cy - ay) > STILL_RADIUS * (y2 - y1):
        t.still_anchor, t.still_since = (cx, cy), now


def _size_update(pw: float, ph: float, zw: float, zh: float) -> tuple[float, float]:
    """The track's new size from its predicted size and a box's. A box of less than
    NESTED_AREA of the track's area is most likely a part of it (a head box while the full
    box is missed): it may move the track but does not shrink it, or the object, found
    again, no longer looks like itself (REACQUIRE_SIZE_CHANGE)."""
    if zw * zh < NESTED_AREA * pw * ph:
        return pw, ph
    return pw + SIZE_GAIN * (zw - pw), ph + SIZE_GAIN * (zh - ph)


def _reach_speed(t: Track, w: float, h: float) -> float:
    """How much further (box sizes of w x h) the unseen object `t` may be looked for per
    second: REACQUIRE_SPEED, or REACQUIRE_OWN_SPEED times its own speed when faster; a
    slow object (a sheep walking through a gate) is not looked for further than before."""
    vx, vy = t.velocity
    own = REACQUIRE_OWN_SPEED * math.hypot(vx / w, vy / h)
    return own if own > REACQUIRE_SPEED else REACQUIRE_SPEED


def _size_tolerance(unmeasured: float) -> float:
    """How different in size (`_shift_to`'s measure) a lost object may be found again,
    its own box unmeasured for `unmeasured` seconds: REACQUIRE_SIZE_CHANGE, growing with
    the time it had to walk towards or away from the camera (REACQUIRE_SIZE_GROWTH). Only
    for an object that stood still (a visitor waiting at the door, then walking back): a
    car lost while crossing does not change size, and a bigger car behind it is another."""
    grown = REACQUIRE_SIZE_CHANGE + REACQUIRE_SIZE_GROWTH * max(unmeasured, 0.0)
    return grown if grown < REACQUIRE_SIZE_MAX else REACQUIRE_SIZE_MAX


def _velocity_gain(hits: int) -> float:
    """How much a new box corrects the velocity, after `hits` boxes so far: 1/hits for a
    young track (the mean velocity over its first boxes, as a filter started from no
    knowledge would weigh them), then VELOCITY_GAIN. A car crossing the frame in two seconds
    otherwise keeps a velocity far below its own when it is missed, is not seen leaving,
    and the next car in its lane continues its track."""
    return VELOCITY_GAIN if hits * VELOCITY_GAIN >= 1.0 else 1.0 / hits


def _came_in(
    first: tuple[float, float, float, float],
    lost: tuple[float, float, float, float],
    w: float,
    h: float,
) -> bool:
    """Whether a track first seen touching an edge of the frame came in over it, rather
    than being the lost object (last expected at `lost`, of size w x h) found again: true
    unless the lost object was itself within a box size of that edge. The next car in a
    lane is not the car the detector missed in mid-frame a few seconds ago (a confirmed new
    track, `Tracker._adopt`, or a leftover box, `_reacquire_pairs`)."""
    x1, y1, x2, y2 = first
    lx1, ly1, lx2, ly2 = lost
    return (
        (x1 < EDGE and lx1 > w)
        or (x2 > 1 - EDGE and lx2 < 1 - w)
        or (y1 < EDGE and ly1 > h)
        or (y2 > 1 - EDGE and ly2 < 1 - h)
    )


#: An object leaves over an edge it was last seen this near (box sizes), not over one its
#: prediction reaches after a second of coasting: a running dog that turns near the edge.
NEAR_EDGE = 1.0


#: An object whose measured box has stayed put this long stands still: its velocity is the
#: detector's jitter, not motion.
STANDS_STILL_AFTER = 1.0


def _stands_still(t: Track) -> bool:
    return t.last_update - t.still_since >= STANDS_STILL_AFTER


def _leaving(t: Track, now: float) -> bool:
    """Whether a moving object's predicted box crosses the edge it is heading for, having
    last been seen within NEAR_EDGE box sizes of it."""
    if _stands_still(t):
        return False  # it did not drive out
    x1, y1, x2, y2 = t.predict(now)
    vx, vy = t.velocity
    c1, d1, c2, d2 = t.corners
    w, h = NEAR_EDGE * (c2 - c1), NEAR_EDGE * (d2 - d1)
    return (
        (vx > 0 and x2 > 1 and c2 > 1 - w)
        or (vx < 0 and x1 < 0 and c1 < w)
        or (vy > 0 and y2 > 1 and d2 > 1 - h)
        or (vy < 0 and y1 < 0 and d1 < h)
    )


def _reacquire_pairs(
    pairs: list[tuple[int, int]],
    tracks: list[Track],
    pred: FloatArray,
    boxes: FloatArray,
    dist: FloatArray,
    candidates: npt.NDArray[np.bool_],
) -> list[tuple[int, int]]:
    """Second chance for confirmed objects no detection continued in the ordinary way: a dog
    that turned, a walker back from behind a post. A detection nothing took continues the
    nearest such object's visit rather than start a new one, unless its size is different
    or the object had just gone out of view (a car leaving as another comes in)."""
    taken_t = {r for r, _ in pairs}
    taken_d = {k for _, k in pairs}
    rows = [r for r, t in enumerate(tracks) if t.confirmed and r not in taken_t]
    cols = [k for k in range(len(boxes)) if k not in taken_d]
    if not rows or not cols:
        return []
    wide = candidates[rows][:, cols]
    if not np.count_nonzero(wide):
        return []
    # Per object, in plain floats (a few rows): whether it was heading out of the frame
    # (its predicted box past the edge it moves towards), which boxes came in over an edge
    # it was not near, and how far it may be found.
    heading_out, came_in, reach = [], [], []
    col_boxes = [(b[0], b[1], b[2], b[3]) for b in boxes[cols].tolist()]
    for r, (x1, y1, x2, y2) in zip(rows, pred[rows].tolist(), strict=True):
        t = tracks[r]
        vx, vy = t.velocity
        heading_out.append(
            (vx > 0 and x2 > 1) or (vx < 0 and x1 < 0) or (vy > 0 and y2 > 1) or (vy < 0 and y1 < 0)
        )
        lost = (x1, y1, x2, y2)
        came_in.append([_came_in(b, lost, x2 - x1, y2 - y1) for b in col_boxes])
        still = t.last_seen - t.still_since >= STILL_GATE_AFTER
        reach.append(STILL_REACQUIRE if still else REACQUIRE_DISTANCE)
    d = dist[rows][:, cols]
    p = pred[rows]
    wide &= ~np.array(heading_out, np.bool_)[:, None]
    wide &= ~np.array(came_in, np.bool_)
    wide &= d <= np.array(reach, np.float64)[:, None]
    wide &= size_change(p, boxes[cols]) <= REACQUIRE_SIZE_CHANGE
    if not np.count_nonzero(wide):
        return []
    r2, c2 = assign(d, wide)
    return [(rows[i], cols[j]) for i, j in zip(r2, c2, strict=True)]


#: ...unless it overlaps a track this much: a track of its own size (a sheep, seen as a cow,
#: in front of a cow), not a neighbour's or a lost one found by distance.
PART_IOU = 0.5


def _parts(
    boxes: FloatArray, kinds: npt.NDArray[np.int64], areas: FloatArray
) -> npt.NDArray[np.bool_] | None:
    """True for a box nested inside a bigger box of the same label in this frame (a head, a
    torso: part of that object), None when there is none. Such a box starts no track and
    continues one only by overlap (PART_IOU): matched by distance to a neighbour's or a lost
    track, it shrank that track to a part's size and kept a second track of one running dog
    alive, and the dog's next confirmed track was too big to be found to be it."""
    if len(boxes) < 2 or not _much_smaller(areas, areas):
        return None  # the usual frame: no box is much smaller than another
    parts = ~_outermost(boxes, kinds, areas)
    return parts if np.count_nonzero(parts) else None


def _entry_box(t: Track, frame: float) -> tuple[float, float, float, float]:
    """Where a young track's object was one frame (`frame` s) before it was first seen, at
    its velocity: a car that crosses the frame in two or three seconds is first seen up to
    a tenth of the frame in from the edge it came over, which `_came_in` would not count
    as touching it."""
    x1, y1, x2, y2 = t.first_corners
    vx, vy = t.velocity
    return (x1 - vx * frame, y1 - vy * frame, x2 - vx * frame, y2 - vy * frame)


def _born_inside(
    first: tuple[float, float, float, float], box: tuple[float, float, float, float]
) -> bool:
    """Whether a track's first box was a part of `box` (mostly inside it, and much
    smaller), the box another track was last seen with in that same frame: a head box left
    over when the full box continued the object. When that object is then lost (a running
    dog that turned, its prediction running on) and the part's track confirmed, it is the
    object, not a second one seen beside it."""
    x1, y1, x2, y2 = first
    b1, c1, b2, c2 = box
    own = (x2 - x1) * (y2 - y1)
    if own >= NESTED_AREA * (b2 - b1) * (c2 - c1):
        return False
    ix = max(0.0, min(x2, b2) - max(x1, b1))
    iy = max(0.0, min(y2, c2) - max(y1, c1))
    return ix * iy >= NESTED_INSIDE * own


def _much_smaller(small: FloatArray, large: FloatArray) -> bool:
    """Whether some area of `small` is below NESTED_AREA times some area of `large`.

    The smallest against the largest gives the same answer as the NxM test (rounding a
    product keeps the order of its factor), in two reductions instead of a mask.
    """
    return bool(min(small.tolist()) < NESTED_AREA * max(large.tolist()))


def _outermost(
    boxes: FloatArray, kinds: npt.NDArray[np.int64], areas: FloatArray | None = None
) -> npt.NDArray[np.bool_]:
    """False for a box nested inside a bigger box of the same label in this frame.

    `areas`, when given, are the boxes' areas as `pair_geometry` computed them (width times
    height; the same floats as `area`'s, since a detection's x2 >= x1 and y2 >= y1).
    """
    n = len(boxes)
    keep = np.ones(n, bool)
    if n < 2:
        return keep
    if areas is None:
        areas = area(boxes)
    smaller = areas[None, :] < NESTED_AREA * areas[:, None]
    if not np.count_nonzero(smaller):
        return keep  # no box is much smaller than another: the usual frame
    smaller &= kinds[:, None] == kinds[None, :]
    if not np.count_nonzero(smaller):
        return keep  # none much smaller than one of its own label
    inside = inside_share(boxes, boxes)  # [i, j]: share of box j inside box i
    nested = (inside >= NESTED_INSIDE) & smaller
    keep[np.any(nested, axis=0)] = False
    return keep
