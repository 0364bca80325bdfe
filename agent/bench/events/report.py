"""`eva bench --events`: every world kind, seed and noise level through every system, then
one table of event precision, recall, spam, delay, counts and identities, and the speeds."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TextIO

from agent.bench.events.metrics import Bound, Score, detector_bound, score
from agent.bench.events.noise import LEVELS, Frame, detect, noise_level
from agent.bench.events.peers import (
    peers_python,
    run_count_diff,
    run_ours,
    run_peers,
    speed_ours,
)
from agent.bench.events.worlds import (
    HELDOUT_KINDS,
    HELDOUT_SEEDS,
    KINDS,
    SEEN_SEEDS,
    World,
    make_world,
    twenty_objects,
)
from agent.config.schema import CameraConfig

SEEDS = (1, 2, 3)
LEVEL_ORDER = ("clean", "realistic", "harsh", "calibrated")
OURS, COUNT_DIFF = "ours", "count-diff"


def streams(
    seeds: Sequence[int],
    duration: float,
    levels: Sequence[str],
    kinds: Sequence[str] = tuple(KINDS),
) -> dict[str, tuple[World, str, list[Frame]]]:
    """Key 'level/kind/seed' -> (world, level, detections); the noise is seeded per stream
    (by the kind's place among the tuning kinds, then the held-out ones, and the level's
    in LEVEL_ORDER, so one level run alone sees the same detections as in the full run)."""
    order = list(KINDS) + list(HELDOUT_KINDS)
    out = {}
    for seed in seeds:
        for kind in kinds:
            ki = order.index(kind)
            world = make_world(kind, seed, duration)
            for level in levels:
                li = LEVEL_ORDER.index(level)
                frames = detect(world, noise_level(level), seed * 10_000 + ki * 100 + li)
                out[f"{level}/{kind}/{seed}"] = (world, level, frames)
    return out


def run_event_bench(
    out: TextIO,
    seeds: Sequence[int] = SEEDS,
    duration: float = 180.0,
    levels: Sequence[str] = LEVEL_ORDER,
    camera: CameraConfig | None = None,
    peers: bool = True,
    heldout: bool = False,
) -> dict[str, dict[str, Score]]:
    """Run and print the event benchmark; returns the pooled scores, system -> level.

    `heldout`: the held-out kinds of world with the tuning ones, on `seeds` (give the
    held-out seeds, HELDOUT_SEEDS); the held-out kinds get a table of their own.
    """
    camera = camera or CameraConfig(name="bench")
    t0 = time.perf_counter()
    kinds = list(KINDS) + (list(HELDOUT_KINDS) if heldout else [])
    data = streams(seeds, duration, levels, kinds)
    speed_world = twenty_objects(seeds[0])
    speed_frames = detect(speed_world, LEVELS["realistic"], seeds[0])
    fps = speed_world.fps
    print(
        f"event quality: {len(kinds)} kinds of world x seeds {list(seeds)} x {duration:g} s at "
        f"{fps:g} frames/s, noise {', '.join(levels)}; default configuration"
        + (f"; held-out kinds {', '.join(HELDOUT_KINDS)}" if heldout else ""),
        file=out,
        flush=True,
    )
    if heldout and set(seeds) & set(SEEN_SEEDS):
        seen = ", ".join(str(x) for x in sorted(set(seeds) & set(SEEN_SEEDS)))
        print(f"note: seeds {seen} have been tuned on; they are not held out", file=out)
    systems: dict[str, dict[str, Score]] = {}
    per_kind: dict[str, dict[str, Score]] = {}
    per_seed: dict[tuple[str, str], dict[int, Score]] = {}

    apart: dict[str, dict[str, Score]] = {}  # the held-out kinds alone

    def add(system: str, level: str, world: World, s: Score) -> None:
        if world.kind in HELDOUT_KINDS:
            apart.setdefault(system, {}).setdefault(level, Score()).add(s)
        systems.setdefault(system, {}).setdefault(level, Score()).add(s)
        per_seed.setdefault((level, system), {}).setdefault(world.seed, Score()).add(s)
        if system == OURS:
            per_kind.setdefault(level, {}).setdefault(world.kind, Score()).add(s)

    bounds: dict[str, Bound] = {}
    for world, level, frames in data.values():
        bounds.setdefault(level, Bound()).add(detector_bound(world, frames))
        add(OURS, level, world, score(world, frames, run_ours(frames, camera)))
        add(COUNT_DIFF, level, world, score(world, frames, run_count_diff(frames)))
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
                    add(peer, level, world, score(world, frames, run))
            check_idf1(out, systems, results.motmetrics, data, versions)
    print_table(out, systems, levels, versions)
    if apart:
        print(f"\nthe held-out kinds alone ({', '.join(HELDOUT_KINDS)}):", file=out)
        print_table(out, apart, levels, versions)
    print_bounds(out, bounds, systems.get(OURS, {}))
    print_seeds(out, per_seed)
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
        "messages per visit | arrival delay (median / p90 s) | departure delay (median s) | "
        "count accuracy | ID switches | IDF1 |\n|---|---|---|---|---|---|---|---|---|---|---|",
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
                f"{_f(s.messages_per_visit)} | {_f(s.median_delay('arrival'), 1)} / "
                f"{_f(s.delay_quantile('arrival', 0.9), 1)} | "
                f"{_f(s.median_delay('departure'), 1)} | "
                f"{_f(s.count_accuracy)} | {s.id_switches if s.has_tracks else '-'} | "
                f"{_f(s.idf1)} |",
                file=out,
            )
    out.flush()


def print_bounds(out: TextIO, bounds: dict[str, Bound], ours: dict[str, Score]) -> None:
    """What the detections allow at each level, whatever the tracker, beside ours."""
    print(
        "\ndetector bound (counted on the detections, no tracker can do better; a tracker "
        "that confirms on k detections reports at its k-th at the soonest): share of true "
        "arrivals detected at least 1 / 3 / 4 times within 10 s, and the delay of the 1st "
        "and 3rd detection (median / p90 s, over all arrivals); ours beside it:",
        file=out,
    )
    for level, b in bounds.items():
        s = ours.get(level)
        mine = (
            f"; ours recall {_f(s.recall('arrival'))}, delay {_f(s.median_delay('arrival'), 1)}"
            f" / {_f(s.delay_quantile('arrival', 0.9), 1)}"
            if s
            else ""
        )
        print(
            f"  {level}: detected {_f(b.share(1))} / {_f(b.share(3))} / {_f(b.share(4))}; "
            f"1st {_f(b.quantile(1, 0.5), 1)} / {_f(b.quantile(1, 0.9), 1)}, "
            f"3rd {_f(b.quantile(3, 0.5), 1)} / {_f(b.quantile(3, 0.9), 1)}; "
            f"1st within 1 s {_f(b.share(1, 1.0))}, 3rd {_f(b.share(3, 1.0))}{mine}",
            file=out,
        )


def print_seeds(out: TextIO, per_seed: dict[tuple[str, str], dict[int, Score]]) -> None:
    """Each seed on its own, so the spread behind the pooled figures shows."""
    print("\nper seed: spurious per visit, arrival P / R (range over seeds):", file=out)
    for (level, system), seeds in per_seed.items():
        sp = [s.spurious_per_visit for s in seeds.values()]
        cells = ", ".join(
            f"{seed}: {_f(s.spurious_per_visit)}, {_f(s.precision('arrival'))} / "
            f"{_f(s.recall('arrival'))}"
            for seed, s in sorted(seeds.items())
        )
        print(f"  {level} {system}: {cells} (spurious {_f(min(sp))}-{_f(max(sp))})", file=out)


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


__all__ = ["HELDOUT_SEEDS", "SEEDS", "peers_python", "run_event_bench"]
