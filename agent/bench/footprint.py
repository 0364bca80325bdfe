"""`eva bench --footprint`: what the agent costs a small machine, each figure from a fresh
process: start-up time and peak memory of `eva --help` beside a bare `python -c pass`, the
import of the running service, a template-only replay of the demo scene, and `eva run` on
the demo with the embedded SmolLM2 (time to the first frame, peak memory).

Peak memory is the child's own high-water resident set (VmHWM), read by the child as it
exits: getrusage and wait4 would report the forked parent's size, which Linux keeps across
exec. Every child runs the same code as this process.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import agent

REPEATS = 5
FIRST_FRAME = "first frame received"
PEAK = "EVA_FOOTPRINT_PEAK_KB"
# Runs `-m module args...` or `-c code` and says its VmHWM on stderr at exit.
_PROBE = f"""
import atexit, os, runpy, sys
def _peak():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            sys.stderr.write('{PEAK} ' + line.split()[1] + chr(10))
            sys.stderr.flush()
atexit.register(_peak)
_exit = os._exit
def _say_then_exit(code):  # `eva run` ends with os._exit, which skips atexit
    _peak()
    _exit(code)
os._exit = _say_then_exit
mode, what, *rest = sys.argv[1:]
sys.argv = [what, *rest]
if mode == '-m':
    runpy.run_module(what, run_name='__main__', alter_sys=True)
else:
    exec(what)
"""


@dataclass(frozen=True)
class Run:
    """One child process: wall seconds, peak RSS in MB, and seconds to a marker line."""

    seconds: float
    peak_mb: float
    marker_seconds: float | None = None


def run_child(args: list[str], marker: str | None = None, timeout: float = 600) -> Run:
    """Run `python <args>` (`-m module ...` or `-c code`) with this process's code."""
    env = {**os.environ, "PYTHONPATH": str(Path(agent.__file__).resolve().parents[1])}
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", _PROBE, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[float] = []
    peak_kb: list[int] = []

    def watch() -> None:  # read stderr as it comes, so the marker's time is when it was said
        assert proc.stderr is not None
        for line in proc.stderr:
            if marker is not None and not seen and marker in line:
                seen.append(time.monotonic() - started)
            if line.startswith(PEAK):
                peak_kb.append(int(line.split()[1]))

    reader = threading.Thread(target=watch, daemon=True)
    reader.start()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise RuntimeError(f"{' '.join(args)} did not finish within {timeout:.0f} s") from None
    seconds = time.monotonic() - started
    reader.join(5)
    if proc.returncode != 0 or not peak_kb:
        raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}")
    return Run(seconds, peak_kb[0] / 1024, seen[0] if seen else None)


def median_run(args: list[str], repeats: int = REPEATS) -> Run:
    runs = [run_child(args) for _ in range(repeats)]
    return Run(
        statistics.median(r.seconds for r in runs), statistics.median(r.peak_mb for r in runs)
    )


def _replay_config(folder: Path, data: Path) -> Path:
    path = folder / "replay.yaml"
    path.write_text(
        f"llm: {{type: template}}\nstorage: {{path: {data}}}\n"
        "cameras:\n  - name: demo\n    rules: [{name: arrivals, kind: arrival}, "
        "{name: departures, kind: departure}]\n"
    )
    return path


def _run_config(folder: Path, data: Path) -> Path:
    path = folder / "run.yaml"
    path.write_text(
        f"mqtt: {{embedded_port: 0}}\nllm: {{type: llamacpp}}\nstorage: {{path: {data}}}\n"
        "cameras:\n  - name: demo\n    source: {type: demo, realtime: false}\n"
        "    rules: [{name: arrivals, kind: arrival}, {name: departures, kind: departure}]\n"
    )
    return path


def run_footprint(out: TextIO, with_llm: bool = True) -> None:
    """Print the figures as a table (the machine's load shifts them; compare side by side)."""
    from pipelines.demo_scene import ensure_demo_scene

    scene = ensure_demo_scene()
    bare = median_run(["-c", "pass"])
    help_ = median_run(["-m", "agent.cli", "--help"])
    service = median_run(["-c", "import agent.service.app"])
    with tempfile.TemporaryDirectory(prefix="eva-footprint-") as tmp:
        folder = Path(tmp)
        replay = run_child(
            [
                "-m",
                "agent.cli",
                "replay",
                "--config",
                str(_replay_config(folder, folder / "replay-data")),
                "--source",
                str(scene),
            ]
        )
        llm_run = (
            run_child(
                [
                    "-m",
                    "agent.cli",
                    "run",
                    "--config",
                    str(_run_config(folder, folder / "run-data")),
                ],
                marker=FIRST_FRAME,
            )
            if with_llm
            else None
        )
    print("footprint (fresh processes; medians of 5 where marked)", file=out)
    print(
        f"  python -c pass          {bare.seconds:6.2f} s  {bare.peak_mb:6.1f} MB  (x5)", file=out
    )
    print(
        f"  eva --help              {help_.seconds:6.2f} s  {help_.peak_mb:6.1f} MB  (x5; "
        f"+{help_.seconds - bare.seconds:.2f} s over bare python)",
        file=out,
    )
    print(
        f"  import agent.service.app {service.seconds:5.2f} s  {service.peak_mb:6.1f} MB  (x5)",
        file=out,
    )
    print(
        f"  eva replay, template    {replay.seconds:6.2f} s  {replay.peak_mb:6.1f} MB peak "
        "(demo scene, CPU detector)",
        file=out,
    )
    if llm_run is not None:
        first = f"{llm_run.marker_seconds:.2f} s" if llm_run.marker_seconds is not None else "-"
        print(
            f"  eva run, SmolLM2        {llm_run.seconds:6.2f} s  {llm_run.peak_mb:6.1f} MB peak "
            f"(demo once, embedded broker; first frame after {first})",
            file=out,
        )
