"""Run the peer trackers on streams from a JSON file; started by peers.py in .venv-peers.

This file imports nothing from the agent (the peer environment has numpy<2 and none of our
dependencies), so it is run by path: `python peer_runner.py STREAMS.json OUT.json`.

norfair is set up as Frigate sets it up (blakeblackshear/frigate, frigate/track/
norfair_tracker.py and frigate/config/config.py at v0.18.0-beta1-19-ge3fa701): one tracker
per label group with Frigate's `distance` (bottom-centre shift relative to the box size plus
width and height ratios), distance_threshold 2.5, OptimizedKalmanFilterFactory(R=3.4)
(cars: R=3.4, Q=0.03), initialization_delay = max(fps / 2, 2) frames and
hit_counter_max = 5 * fps frames. Boxes are in pixels of a 1280x720 frame, as Frigate's are.
ByteTrack is supervision's (0.26.1) with its defaults and the stream's frame rate.
The event rule for both is the simplest: a track that becomes active is an arrival, a track
that is dropped is a departure.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np

W, H = 1280.0, 720.0
Json = dict[str, Any]


def frigate_distance_points(detection: np.ndarray, estimate: np.ndarray) -> float:
    """Frigate's `distance` (frigate/track/norfair_tracker.py), unchanged in substance."""
    estimate_dim = np.diff(estimate, axis=0).flatten()
    detection_dim = np.diff(detection, axis=0).flatten()
    if (
        not np.all(np.isfinite(estimate_dim))
        or not np.all(np.isfinite(detection_dim))
        or estimate_dim[0] <= 0
        or estimate_dim[1] <= 0
        or detection_dim[0] <= 0
        or detection_dim[1] <= 0
    ):
        return float("inf")
    detection_position = np.array([np.average(detection[:, 0]), np.max(detection[:, 1])])
    estimate_position = np.array([np.average(estimate[:, 0]), np.max(estimate[:, 1])])
    distance = (detection_position - estimate_position).astype(float)
    distance[0] /= estimate_dim[0]
    distance[1] /= estimate_dim[1]
    widths = np.sort([estimate_dim[0], detection_dim[0]])
    heights = np.sort([estimate_dim[1], detection_dim[1]])
    change = np.append(
        distance, np.array([widths[1] / widths[0] - 1.0, heights[1] / heights[0] - 1.0])
    )
    return float(np.linalg.norm(change))


class _Events:
    """Arrival when an id becomes active, departure when it is dropped."""

    def __init__(self) -> None:
        self.active: dict[int, str] = {}
        self.reports: list[list[Any]] = []

    def step(self, t: float, alive: dict[int, str]) -> None:
        for i, label in alive.items():
            if i not in self.active:
                self.reports.append(["arrival", label, t])
        for i, label in self.active.items():
            if i not in alive:
                self.reports.append(["departure", label, t])
        self.active = dict(alive)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for label in self.active.values():
            out[label] = out.get(label, 0) + 1
        return out


def run_norfair(stream: Json) -> Json:
    from norfair import Detection, Tracker
    from norfair.filter import OptimizedKalmanFilterFactory

    fps = stream["fps"]
    min_init = max(int(fps / 2), 2)
    max_disappeared = int(fps * 5)

    def dist(det: Any, obj: Any) -> float:
        return frigate_distance_points(det.points, obj.estimate)

    def make(label: str) -> Any:
        factory = (
            OptimizedKalmanFilterFactory(R=3.4, Q=0.03)
            if label == "car"
            else OptimizedKalmanFilterFactory(R=3.4)
        )
        return Tracker(
            distance_function=dist,
            distance_threshold=2.5,
            initialization_delay=min_init,
            hit_counter_max=max_disappeared,
            filter_factory=factory,
        )

    # Frigate keeps a tracker of its own for cars and one shared by every other label;
    # norfair itself only matches a detection to an object of the same label.
    trackers = {"car": make("car"), "*": make("*")}
    events = _Events()
    counts, tracks = [], []
    for frame in stream["frames"]:
        by: dict[str, list[Any]] = {"car": [], "*": []}
        for k, (box, score, label) in enumerate(
            zip(frame["boxes"], frame["scores"], frame["labels"], strict=True)
        ):
            pts = np.array([[box[0] * W, box[1] * H], [box[2] * W, box[3] * H]])
            if pts[1, 0] - pts[0, 0] < 1 or pts[1, 1] - pts[0, 1] < 1:
                continue
            d = Detection(points=pts, label=label, data={"t": frame["t"], "k": k, "score": score})
            by["car" if label == "car" else "*"].append(d)
        alive: dict[int, str] = {}
        seen = []
        for key, tracker in trackers.items():
            for obj in tracker.update(detections=by[key]):
                alive[int(obj.global_id)] = str(obj.label)
                ld = obj.last_detection
                if ld is not None and ld.data["t"] == frame["t"]:
                    x1, y1, x2, y2 = (float(v) for v in frame["boxes"][ld.data["k"]])
                    seen.append([int(obj.global_id), x1, y1, x2, y2])
        events.step(frame["t"], alive)
        counts.append(events.counts())
        tracks.append(seen)
    return {"reports": events.reports, "counts": counts, "tracks": tracks}


def run_bytetrack(stream: Json) -> Json:
    import supervision as sv

    fps = stream["fps"]
    tracker = sv.ByteTrack(frame_rate=int(round(fps)))
    names: dict[str, int] = {}
    label_of: dict[int, str] = {}
    last_frame: dict[int, int] = {}
    events = _Events()
    counts, tracks = [], []
    for n, frame in enumerate(stream["frames"]):
        boxes = np.array(frame["boxes"], dtype=np.float32).reshape(-1, 4) * [W, H, W, H]
        ids = np.array([names.setdefault(lb, len(names)) for lb in frame["labels"]], dtype=int)
        dets = sv.Detections(
            xyxy=boxes, confidence=np.array(frame["scores"], np.float32), class_id=ids
        )
        out = tracker.update_with_detections(dets)
        seen = []
        inv = {v: k for k, v in names.items()}
        for box, cid, tid in zip(out.xyxy, out.class_id, out.tracker_id, strict=True):
            tid = int(tid)
            label_of[tid] = inv[int(cid)]
            last_frame[tid] = n
            x1, y1, x2, y2 = (float(v) for v in box / [W, H, W, H])
            seen.append([tid, x1, y1, x2, y2])
        # A track is dropped once it has been lost longer than the tracker keeps lost tracks.
        alive = {i: label_of[i] for i, f in last_frame.items() if n - f <= tracker.max_time_lost}
        events.step(frame["t"], alive)
        counts.append(events.counts())
        tracks.append(seen)
    return {"reports": events.reports, "counts": counts, "tracks": tracks}


PEERS = {"norfair (Frigate)": run_norfair, "ByteTrack": run_bytetrack}


def motmetrics_ids(stream: Json, tracks: list[list[list[float]]]) -> Json:
    """IDF1's parts and ID switches by py-motmetrics, to check the benchmark's own count."""
    import motmetrics as mm

    acc = mm.MOTAccumulator(auto_id=True)
    for frame, seen in zip(stream["frames"], tracks, strict=True):
        gt = np.array(frame["true_boxes"], dtype=float).reshape(-1, 4)
        hyp = np.array([x[1:] for x in seen], dtype=float).reshape(-1, 4)
        gt[:, 2:] -= gt[:, :2]  # x, y, w, h
        hyp[:, 2:] -= hyp[:, :2]
        acc.update(
            frame["true_ids"],
            [int(x[0]) for x in seen],
            mm.distances.iou_matrix(gt, hyp, max_iou=0.5),
        )
    m = mm.metrics.create().compute(
        acc, metrics=["idtp", "num_switches", "num_objects", "num_predictions"], name="s"
    )
    return {k: float(m[k].iloc[0]) for k in m.columns}


def main(src: str, dst: str) -> None:
    import logging

    logging.disable(logging.WARNING)  # norfair warns once per tracker about scalar distances
    with open(src) as f:
        job = json.load(f)
    out: Json = {"runs": {}, "fps": {}, "versions": {}, "motmetrics": {}}
    import motmetrics
    import norfair
    import supervision

    out["versions"] = {
        "norfair (Frigate)": norfair.__version__,
        "ByteTrack": f"supervision {supervision.__version__}",
        "motmetrics": motmetrics.__version__,
    }
    for name, fn in PEERS.items():
        runs = {s["key"]: fn(s) for s in job["streams"]}
        out["runs"][name] = runs
        out["motmetrics"][name] = {
            s["key"]: motmetrics_ids(s, runs[s["key"]]["tracks"]) for s in job["streams"]
        }
        speed = job["speed"]
        t0 = time.perf_counter()
        fn(speed)
        out["fps"][name] = len(speed["frames"]) / (time.perf_counter() - t0)
    with open(dst, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
