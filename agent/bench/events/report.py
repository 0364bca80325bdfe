"""`eva bench --events`: every world kind, seed and noise level through every system, then
one table of event precision, recall, spam, delay, counts and identities, and the speeds."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TextIO

from agent.bench.events.metrics import Score, score
from agent.bench.events.noise import LEVELS, Frame, detect
from agent.bench.events.peers import (
    peers_python,
    run_count_diff,
    run_ours,
    run_peers,
    speed_ours,
)
from agent.bench.events.worlds import KINDS, World, make_world, twenty_objects
from agent.config.schema import CameraConfig

SEEDS = (1, 2, 3)
OURS, COUNT_DIFF = "ours", "count-diff"


def streams(
    seeds: Sequence[int], duration: float, levels: Sequence[str]
) -> dict[str, tuple[World, str, list[Frame]]]:
    """Key 'level/kind/seed' -> (world, level, detections); the noise is seeded per stream."""
    out = {}
    for seed in seeds:
        for ki, kind in enumerate(KINDS):
            world = make_world(kind, seed, duration)
            for li, level in enumerate(levels):
                frames = detect(world, LEVELS[level], seed * 10_000 + ki * 100 + li)
                out[f"{level}/{kind}/{seed}"] = (world, level, frames)
    return out


def run_event_bench(
    out: TextIO,
    seeds: Sequence[int] = SEEDS,
    duration: float = 180.0,
    levels: Sequence[str] = ("clean", "realistic", "harsh"),
    camera: CameraConfig | None = None,
    peers: bool = True,
) -> dict[str, dict[str, Score]]:
    """Run and print the event benchmark; returns the pooled scores, system -> level."""
    camera = camera or CameraConfig(name="bench")
    t0 = time.perf_counter()
    data = streams(seeds, duration, levels)
    speed_world = twenty_objects(seeds[0])
    speed_frames = detect(speed_world, LEVELS["realistic"], seeds[0])
    fps = speed_world.fps
    print(
        f"event quality: {len(KINDS)} kinds of world x seeds {list(seeds)} x {duration:g} s at "
        f"{fps:g} frames/s, noise {', '.join(levels)}; default configuration",
        file=out,
        flush=True,
    )
    systems: dict[str, dict[str, Score]] = {}
    per_kind: dict[str, dict[str, Score]] = {}

    def add(system: str, level: str, kind: str, s: Score) -> None:
        systems.setdefault(system, {}).setdefault(level, Score()).add(s)
        if system == OURS:
            per_kind.setdefault(level, {}).setdefault(kind, Score()).add(s)

    for world, level, frames in data.values():
        add(OURS, level, world.kind, score(world, frames, run_ours(frames, camera)))
        add(COUNT_DIFF, level, world.kind, score(world, frames, run_count_diff(frames)))
    speeds = {OURS: speed_ours(speed_frames, camera)}
    versions: dict[str, str] = {}
    if peers:
        results = run_peers({k: (fps, fr) for k, (_, _, fr) in data.items()}, speed_frames, fps)
        if results is None:
            print(
                "peers: not run; `bash scripts/setup-peers.sh` makes .venv-peers with norfair "
                "and ByteTrack (norfair needs numpy<2, so they live apart)",
                file=out,
            )
        else:
            versions = results.versions
            speeds.update(results.fps)
            for peer, runs in results.runs.items():
                for key, run in runs.items():
                    world, level, frames = data[key]
                    add(peer, level, world.kind, score(world, frames, run))
            check_idf1(out, systems, results.motmetrics, data, versions)
    print_table(out, systems, levels, versions)
    print_kinds(out, per_kind)
    print_speed(out, speeds)
    print(f"({time.perf_counter() - t0:.0f} s)", file=out)
    return systems


def check_idf1(
    out: TextIO,
    systems: dict[str, dict[str, Score]],
    mm: dict[str, dict[str, dict[str, float]]],
    data: dict[str, tuple[World, str, list[Frame]]],
    versions: dict[str, str],
) -> None:
    """Our IDF1 and ID switches beside py-motmetrics' on the same peer tracks."""
    cells = []
    for peer, per_stream in mm.items():
        for level in dict.fromkeys(level for _, level, _ in data.values()):
            keys = [k for k in per_stream if data[k][1] == level]
            idtp = sum(per_stream[k]["idtp"] for k in keys)
            n = sum(per_stream[k]["num_objects"] + per_stream[k]["num_predictions"] for k in keys)
            switches = sum(per_stream[k]["num_switches"] for k in keys)
            s = systems[peer][level]
            cells.append(
                f"{peer} {level}: IDF1 {s.idf1:.3f} vs {2 * idtp / max(n, 1):.3f}, "
                f"switches {s.id_switches} vs {switches:.0f}"
            )
    print(
        f"\nID measures, ours vs py-motmetrics {versions.get('motmetrics', '')} on the peers' "
        f"tracks: " + "; ".join(cells),
        file=out,
    )


def _f(x: float, digits: int = 2) -> str:
    return "-" if math.isnan(x) else f"{x:.{digits}f}"


def print_table(
    out: TextIO,
    systems: dict[str, dict[str, Score]],
    levels: Sequence[str],
    versions: dict[str, str],
) -> None:
    print(
        "\n| noise | system | arrival P / R | departure P / R | spurious per visit | "
        "arrival delay (median s) | departure delay (median s) | count accuracy | "
        "ID switches | IDF1 |\n|---|---|---|---|---|---|---|---|---|---|",
        file=out,
    )
    for level in levels:
        for name, per in systems.items():
            s = per.get(level)
            if s is None:
                continue
            label = f"{name} ({versions[name]})" if name in versions else name
            print(
                f"| {level} | {label} | {_f(s.precision('arrival'))} / "
                f"{_f(s.recall('arrival'))} | {_f(s.precision('departure'))} / "
                f"{_f(s.recall('departure'))} | {_f(s.spurious_per_visit)} | "
                f"{_f(s.median_delay('arrival'), 1)} | {_f(s.median_delay('departure'), 1)} | "
                f"{_f(s.count_accuracy)} | {s.id_switches if s.has_tracks else '-'} | "
                f"{_f(s.idf1)} |",
                file=out,
            )
    out.flush()


def print_kinds(out: TextIO, per_kind: dict[str, dict[str, Score]]) -> None:
    print("\nours, spurious per visit / precision / recall by kind of world:", file=out)
    for level, kinds in per_kind.items():
        cells = ", ".join(
            f"{k} {_f(s.spurious_per_visit)}/{_f(s.precision())}/{_f(s.recall())}"
            for k, s in kinds.items()
        )
        print(f"  {level}: {cells}", file=out)


def print_speed(out: TextIO, speeds: dict[str, float]) -> None:
    ours = speeds[OURS]
    cells = [f"ours {ours:.0f} frames/s"] + [
        f"{name} {fps:.0f} frames/s (ours {ours / fps:.1f}x)"
        for name, fps in speeds.items()
        if name != OURS
    ]
    print(f"\nspeed at 20 objects, one core, tracking + events: {'; '.join(cells)}", file=out)


__all__ = ["SEEDS", "peers_python", "run_event_bench"]
