"""What a real detector makes of a world: misses in bursts, jitter, short false positives,
nested duplicate boxes (also while the full box is missed) and class flicker.

Each factor can be switched off on its own (`NoiseLevel.without`), so a benchmark can show
what each one costs. The levels are what we see from YOLOv3-tiny at 416 on farm and street
footage: `realistic` for a decent camera by day, `harsh` for dusk, rain or a far camera.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from agent.bench.events.worlds import World

#: The label a detector mistakes each label for.
CONFUSED = {
    "dog": "cat",
    "cat": "dog",
    "car": "truck",
    "truck": "car",
    "bus": "truck",
    "cow": "horse",
    "horse": "cow",
    "sheep": "cow",
}
FALSE_LABELS = ("person", "dog", "car", "cow", "cat", "bird")
#: Written by `eva bench --calibrate-noise` (calibrate.py).
STATS_FILE = Path(__file__).with_name("calibrated.json")


@dataclass(frozen=True, slots=True)
class NoiseLevel:
    """One detector's faults; every rate is per object (or per frame for false positives)."""

    name: str
    miss_rate: float = 0.0  # share of frames in which a visible object is missed
    miss_burst_frames: float = 1.0  # mean length of a run of misses
    jitter: float = 0.0  # box edge noise, as a fraction of the box's size
    false_per_frame: float = 0.0  # new false positives per frame
    false_max_frames: int = 1  # a false positive lasts at most this many frames
    nested_rate: float = 0.0  # chance of a smaller box inside the object's box
    nested_when_missed: float = 0.0  # chance of the inner box while the full box is missed
    flicker_rate: float = 0.0  # chance of the confusable label instead of the true one
    #: Measured noise (the `calibrated` level) has distributions instead of means: the
    #: chance of a miss burst of 1, 2, ... frames; of a false positive lasting 1, 2, ...
    #: frames; its score range; and a second box of the object (what NMS left).
    miss_bursts: tuple[float, ...] = ()
    false_lives: tuple[float, ...] = ()
    false_scores: tuple[float, float] = (0.3, 0.7)
    true_scores: tuple[float, float] = (0.5, 0.95)
    duplicate_rate: float = 0.0

    def without(self, factor: str) -> NoiseLevel:
        """This level with one factor switched off: miss, jitter, false, nested or flicker."""
        off = {
            "miss": {"miss_rate": 0.0},
            "jitter": {"jitter": 0.0},
            "false": {"false_per_frame": 0.0},
            "nested": {"nested_rate": 0.0, "nested_when_missed": 0.0, "duplicate_rate": 0.0},
            "flicker": {"flicker_rate": 0.0},
        }[factor]
        return replace(self, name=f"{self.name}-{factor}", **off)  # type: ignore[arg-type]


LEVELS = {
    "clean": NoiseLevel("clean", jitter=0.005),
    "realistic": NoiseLevel(
        "realistic",
        miss_rate=0.1,
        miss_burst_frames=2.5,
        jitter=0.03,
        false_per_frame=0.015,
        false_max_frames=3,
        nested_rate=0.08,
        nested_when_missed=0.3,
        flicker_rate=0.05,
    ),
    "harsh": NoiseLevel(
        "harsh",
        miss_rate=0.25,
        miss_burst_frames=5.0,
        jitter=0.05,
        false_per_frame=0.05,
        false_max_frames=4,
        nested_rate=0.2,
        nested_when_missed=0.5,
        flicker_rate=0.12,
    ),
}


def noise_level(name: str) -> NoiseLevel:
    """A hand-set level by name, or `calibrated` (measured on the real detector)."""
    return calibrated_level() if name == "calibrated" else LEVELS[name]


def calibrated_level(stats: dict[str, Any] | None = None) -> NoiseLevel:
    """The noise measured on the real detector (calibrate.py, calibrated.json): misses with
    their burst lengths, jitter, false positives with their lengths and scores, nested and
    duplicate boxes, and the share of boxes given another label."""
    if stats is None:
        stats = json.loads(STATS_FILE.read_text())
    bursts = stats["miss_bursts"]
    longest = max((int(k) for k in bursts), default=1)
    lives = stats["false_durations"]
    longest_life = max((int(k) for k in lives), default=1)
    flicker = stats["flicker"]
    right = sum(row.get(label, 0) for label, row in flicker.items())
    seen = sum(sum(row.values()) for row in flicker.values())
    fq, tq = stats["false_score_quantiles"], stats["true_score_quantiles"]
    return NoiseLevel(
        "calibrated",
        miss_rate=float(stats["miss_rate"]),
        jitter=float(stats["jitter"]),
        false_per_frame=float(stats["false_per_frame"]),
        false_max_frames=longest_life,
        nested_rate=float(stats["nested_rate"]),
        nested_when_missed=float(stats["nested_when_missed"]),
        flicker_rate=1.0 - right / seen if seen else 0.0,
        miss_bursts=tuple(float(bursts.get(str(k), 0)) for k in range(1, longest + 1))
        if bursts
        else (),
        false_lives=tuple(float(lives.get(str(k), 0)) for k in range(1, longest_life + 1))
        if lives
        else (),
        false_scores=(fq["p10"], fq["p90"]) if fq else (0.3, 0.7),
        true_scores=(tq["p10"], tq["p90"]) if tq else (0.5, 0.95),
        duplicate_rate=float(stats["duplicate_rate"]),
    )


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame's detections, plus the truth the metrics need (visible visit ids and boxes)."""

    t: float
    boxes: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]
    labels: tuple[str, ...]
    true_ids: tuple[int, ...]
    true_boxes: npt.NDArray[np.float32]


def detect(world: World, level: NoiseLevel, seed: int) -> list[Frame]:
    """The detector's output for every frame of `world` under `level`; seeded."""
    rng = np.random.default_rng(seed)
    L = max(level.miss_burst_frames, 1.0)
    p_exit = 1.0 / L
    p_enter = level.miss_rate * p_exit / max(1e-9, 1.0 - level.miss_rate)
    missing: dict[int, bool] = {}
    # With measured bursts: frames of the current burst still to miss, per object.
    burst_left: dict[int, int] = {}
    bursts = np.array(level.miss_bursts) / sum(level.miss_bursts) if level.miss_bursts else None
    if bursts is not None:
        mean_burst = float((np.arange(1, len(bursts) + 1) * bursts).sum())
        p_enter = level.miss_rate / max(1e-9, mean_burst * (1.0 - level.miss_rate))
    # How much of a burst is left at a random missed frame: a length-biased draw.
    residual = None
    if bursts is not None:
        residual = bursts[::-1].cumsum()[::-1]
        residual = residual / residual.sum()
    lives = np.array(level.false_lives) / sum(level.false_lives) if level.false_lives else None
    falses: list[tuple[int, str, npt.NDArray[np.float64], float]] = []  # frames left, ...
    frames = []
    for t in world.times:
        boxes: list[npt.NDArray[np.float64]] = []
        scores: list[float] = []
        labels: list[str] = []
        ids, truth = [], []
        for v in world.present(t):
            if not v.visible(t):
                continue
            true_box = np.array(v.box(t))
            ids.append(v.id)
            truth.append(true_box)
            if bursts is None:
                was = missing.get(v.id, False)
                missing[v.id] = bool(rng.random() < (1 - p_exit if was else p_enter))
            else:
                # -1: a burst ended on the last frame, so this one is a hit. The measured
                # bursts are whole runs of misses, each ended by a detection; letting a new
                # burst start at once joined two drawn bursts into one longer run (measured
                # here: bursts of one frame 38% instead of 41%, 34.3% missed instead of 33%).
                left = burst_left.get(v.id, 0)
                if v.id not in burst_left and rng.random() < level.miss_rate:
                    # An object comes into view as the detector stands at any moment: in a
                    # burst as often as the measured rate, for the rest of that burst.
                    assert residual is not None
                    left = 1 + int(rng.choice(len(residual), p=residual))
                elif not left and rng.random() < p_enter:
                    left = 1 + int(rng.choice(len(bursts), p=bursts))
                missing[v.id] = left > 0
                burst_left[v.id] = -1 if left == 1 else max(left - 1, 0)
            label = v.label
            if v.label in CONFUSED and rng.random() < level.flicker_rate:
                label = CONFUSED[v.label]
            if not missing[v.id]:
                w, h = true_box[2] - true_box[0], true_box[3] - true_box[1]
                noise = rng.normal(0, level.jitter, 4) * np.array([w, h, w, h])
                boxes.append(true_box + noise)
                scores.append(float(rng.uniform(*level.true_scores)))
                labels.append(label)
                if level.duplicate_rate and rng.random() < level.duplicate_rate:
                    # A second box of the same object that NMS did not merge.
                    extra = rng.normal(0, max(level.jitter, 0.03) * 2, 4) * np.array([w, h, w, h])
                    boxes.append(true_box + extra)
                    scores.append(float(rng.uniform(level.true_scores[0], scores[-1])))
                    labels.append(label)
            nested = level.nested_when_missed if missing[v.id] else level.nested_rate
            if rng.random() < nested:
                boxes.append(_inner(true_box, rng))
                scores.append(float(rng.uniform(0.3, 0.55)))
                labels.append(label)
        if rng.random() < level.false_per_frame:
            w, h = rng.uniform(0.04, 0.2), rng.uniform(0.05, 0.25)
            x, y = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
            if lives is None:
                # Most false positives last one frame; each further frame is half as likely.
                life = int(min(rng.geometric(0.5), level.false_max_frames))
            else:
                life = 1 + int(rng.choice(len(lives), p=lives))
            falses.append(
                (
                    life,
                    str(rng.choice(FALSE_LABELS)),
                    np.array([x, y, x + w, y + h]),
                    float(rng.uniform(*level.false_scores)),
                )
            )
        still = []
        for life, label, box, score in falses:
            boxes.append(box + rng.normal(0, 0.005, 4))
            scores.append(score)
            labels.append(label)
            if life > 1:
                still.append((life - 1, label, box, score))
        falses = still
        frames.append(_frame(t, boxes, scores, labels, ids, truth))
    return frames


def _inner(box: npt.NDArray[np.float64], rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """A box inside `box` (a head, a torso, the front of a car): 40-70% of each side."""
    w, h = box[2] - box[0], box[3] - box[1]
    fw, fh = rng.uniform(0.4, 0.7, 2)
    x = box[0] + rng.uniform(0, 1 - fw) * w
    y = box[1] + rng.uniform(0, 1 - fh) * h
    return np.array([x, y, x + fw * w, y + fh * h])


def _frame(
    t: float,
    boxes: list[npt.NDArray[np.float64]],
    scores: list[float],
    labels: list[str],
    ids: list[int],
    truth: list[npt.NDArray[np.float64]],
) -> Frame:
    b = np.clip(np.array(boxes, np.float32).reshape(-1, 4), 0.0, 1.0)
    b[:, 2] = np.maximum(b[:, 2], b[:, 0])
    b[:, 3] = np.maximum(b[:, 3], b[:, 1])
    tb = np.clip(np.array(truth, np.float32).reshape(-1, 4), 0.0, 1.0)
    return Frame(t, b, np.array(scores, np.float32), tuple(labels), tuple(ids), tb)
