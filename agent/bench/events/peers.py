"""The systems compared: our camera core, a per-frame count-diff baseline, and the peer
trackers (norfair as Frigate sets it up, and ByteTrack), which run in .venv-peers."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.bench.events.metrics import Report, Run
from agent.bench.events.noise import Frame
from agent.config.schema import CameraConfig
from agent.core.camera import CameraCore
from pipelines.detections import Detections

T0 = 1_800_000_000.0
RUNNER = Path(__file__).with_name("peer_runner.py")
#: The environment scripts/setup-peers.sh makes; EVA_PEERS_PYTHON points elsewhere.
PEERS_PYTHON = Path(__file__).resolve().parents[3] / ".venv-peers" / "bin" / "python"


def to_detections(frame: Frame) -> Detections:
    if not len(frame.labels):
        return Detections.empty()
    names = sorted(set(frame.labels))
    return Detections.build(
        frame.boxes, frame.scores, [names.index(lb) for lb in frame.labels], names
    )


def run_ours(frames: Sequence[Frame], camera: CameraConfig) -> Run:
    """Our camera core with `camera`'s tracker, rules and coalescing."""
    core = CameraCore(camera, "en")
    run = Run(tracks=[])
    counts: dict[str, int] = {}
    assert run.tracks is not None
    for f in frames:
        result = core.step(to_detections(f), T0 + f.t)
        _reports(run, result.events, f.t)
        if result.state is not None:
            counts = dict(result.state.counts)
        run.counts.append(counts)
        now = core.tracker.last_frame
        run.tracks.append([(t.id, t.corners) for t in core.tracker.confirmed if t.last_seen == now])
    if frames:
        _reports(run, core.finish(), frames[-1].t)
    return run


def _reports(run: Run, events: Sequence[Any], at: float) -> None:
    for e in events:
        for o in e.objects:
            run.reports.extend(Report(e.kind, o.label, at) for _ in range(o.count))


def run_count_diff(frames: Sequence[Frame], min_score: float = 0.5) -> Run:
    """The simplest thing: a label's count rising is an arrival, falling a departure."""
    run = Run()
    before: dict[str, int] = {}
    for f in frames:
        now: dict[str, int] = {}
        for label, score in zip(f.labels, f.scores, strict=True):
            if score >= min_score:
                now[label] = now.get(label, 0) + 1
        for label in set(now) | set(before):
            d = now.get(label, 0) - before.get(label, 0)
            kind = "arrival" if d > 0 else "departure"
            run.reports.extend(Report(kind, label, f.t) for _ in range(abs(d)))
        run.counts.append(now)
        before = now
    return run


def speed_ours(frames: Sequence[Frame], camera: CameraConfig) -> float:
    """Frames per second through our core (tracking, rules, coalescing), detections prebuilt."""
    dets = [to_detections(f) for f in frames]
    core = CameraCore(camera, "en")
    t0 = time.perf_counter()
    for f, d in zip(frames, dets, strict=True):
        core.step(d, T0 + f.t)
    return len(frames) / (time.perf_counter() - t0)


@dataclass(frozen=True, slots=True)
class PeerResults:
    runs: dict[str, dict[str, Run]]  # peer -> stream key -> run
    fps: dict[str, float]
    versions: dict[str, str]
    #: py-motmetrics' IDF1 parts per peer and stream, to check our own computation.
    motmetrics: dict[str, dict[str, dict[str, float]]]


def peers_python() -> Path | None:
    p = Path(os.environ.get("EVA_PEERS_PYTHON", PEERS_PYTHON))
    return p if p.exists() else None


def run_peers(
    streams: dict[str, tuple[float, Sequence[Frame]]], speed: Sequence[Frame], fps: float
) -> PeerResults | None:
    """The peer trackers on the same streams, in their own environment; None if it is absent."""
    python = peers_python()
    if python is None:
        return None
    job = {
        "streams": [_stream_json(k, rate, fr) for k, (rate, fr) in streams.items()],
        "speed": _stream_json("speed", fps, speed),
    }
    with tempfile.TemporaryDirectory(prefix="eva-eventbench-") as d:
        src, dst = Path(d) / "streams.json", Path(d) / "out.json"
        src.write_text(json.dumps(job))
        subprocess.run([str(python), str(RUNNER), str(src), str(dst)], check=True)
        out = json.loads(dst.read_text())
    runs = {
        peer: {
            key: Run(
                reports=[Report(k, lb, at) for k, lb, at in r["reports"]],
                counts=r["counts"],
                tracks=[[(int(x[0]), (x[1], x[2], x[3], x[4])) for x in fr] for fr in r["tracks"]],
            )
            for key, r in per.items()
        }
        for peer, per in out["runs"].items()
    }
    return PeerResults(runs, out["fps"], out["versions"], out["motmetrics"])


def _stream_json(key: str, fps: float, frames: Sequence[Frame]) -> dict[str, Any]:
    return {
        "key": key,
        "fps": fps,
        "frames": [
            {
                "t": f.t,
                "boxes": np.round(f.boxes, 5).tolist(),
                "scores": np.round(f.scores, 4).tolist(),
                "labels": list(f.labels),
                "true_ids": list(f.true_ids),
                "true_boxes": np.round(f.true_boxes, 5).tolist(),
            }
            for f in frames
        ],
    }
