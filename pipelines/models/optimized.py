"""An ONNX model with ONNX Runtime's graph optimisations applied once and saved for this machine.

ONNX Runtime's ALL level re-lays the weights of every convolution for the CPU (NCHWc): on
YOLOv3-tiny that makes a session creation peak ~65 MB above the session it leaves, and the
freed memory stays with the process. Saved ("offline mode" in ONNX Runtime's graph
optimisation docs, https://onnxruntime.ai/docs/performance/model-optimizations/
graph-optimizations.html) and loaded with optimisations off, the same graph runs with the same
kernels, without that peak. The docs warn that a model saved at the ALL level may hold
hardware-specific optimisations for the machine that made it, so the saved file is derived
here, never shipped or downloaded, and its name carries what it depends on: the source
model's checksum, the ONNX Runtime version, the machine type and the CPU's feature flags.
Another machine, runtime or model gets another file.

The optimising runs in a child process (`python -m pipelines.models.optimized SOURCE DEST`),
so the long-running agent never has that peak at all. Anything that goes wrong (no writable
cache, a failed child, a damaged file) leaves the caller on the original model, optimised in
process as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from pipelines.models.builtin import sha256_file
from pipelines.models.paths import cache_dir

log = logging.getLogger(__name__)

#: Bump when the way the file is made changes (options, format).
FORMAT = 1
#: The child loads ONNX Runtime and optimises a model: seconds on a Pi 5 for YOLOv3-tiny.
CHILD_TIMEOUT = 300.0
SIDECAR_SUFFIX = ".sha256"
#: Smaller models optimise in process: a child process costs more than their peak.
AHEAD_MIN_BYTES = 1 << 20
# The cameras of an agent build their detectors on their own threads at once: one child
# per model, the others then find its file.
_LOCK = threading.Lock()


def _cpu_flags() -> str:
    """The CPU's feature flags (x86 "flags", ARM "Features"): what MLAS picks kernels by."""
    try:
        text = Path("/proc/cpuinfo").read_text("utf-8", errors="replace")
    except OSError:
        return platform.processor()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return " ".join(sorted(value.split()))
    return platform.processor()


def optimized_key(source_sha256: str, ort_version: str) -> str:
    """What the optimised file depends on, hashed: model, runtime, machine and CPU."""
    parts = [str(FORMAT), source_sha256, ort_version, platform.machine(), _cpu_flags()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def optimized_path(source: Path, source_sha256: str, ort_version: str) -> Path:
    """Where the optimised copy of `source` lives in the cache for this machine."""
    key = optimized_key(source_sha256, ort_version)[:16]
    return cache_dir() / "models" / "optimized" / f"{source.stem}-{key}.onnx"


def cached_optimized(path: Path) -> bool:
    """True when `path` and its checksum sidecar exist and agree."""
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not (path.is_file() and sidecar.is_file()):
        return False
    try:
        expected = sidecar.read_text("utf-8").split(maxsplit=1)[:1]
        return expected == [sha256_file(path)]
    except OSError:
        return False


def ensure_optimized(source: Path, ort_version: str) -> Path | None:
    """The optimised copy of `source` for this machine, made by a child process if missing.

    None when it cannot be had (the caller then optimises in process, as before)."""
    try:
        if source.stat().st_size < AHEAD_MIN_BYTES:
            return None
        with _LOCK:
            return _ensure(source, optimized_path(source, sha256_file(source), ort_version))
    except OSError as exc:
        log.warning("no optimised copy of %s (%s); optimising in process", source, exc)
        return None


def _ensure(source: Path, target: Path) -> Path | None:
    if cached_optimized(target):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        writable = os.access(target.parent, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        log.info("%s is not writable: ONNX Runtime optimises %s in process", target.parent, source)
        return None
    log.info("optimising %s for this machine into %s (once)", source.name, target)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pipelines.models.optimized", str(source), str(target)],
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            env={**os.environ, "PYTHONPATH": _project_root()},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("could not optimise %s ahead (%s); optimising in process", source, exc)
        return None
    if done.returncode != 0 or not cached_optimized(target):
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        log.warning("could not optimise %s ahead (%s); optimising in process", source, last)
        return None
    return target


def discard(path: Path) -> None:
    """Remove an optimised copy that failed to load, so the next start makes it again."""
    for p in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
        p.unlink(missing_ok=True)


def _project_root() -> str:
    """The folder holding `pipelines`, first on the child's path so it runs this same code."""
    root = str(Path(__file__).resolve().parents[2])
    rest = os.environ.get("PYTHONPATH")
    return f"{root}{os.pathsep}{rest}" if rest else root


def write_optimized(source: Path, target: Path) -> None:
    """Optimise `source` at ONNX Runtime's ALL level and save it, with its checksum, at `target`.

    Run in the child process. Written under temporary names and renamed, sidecar last, so a
    reader never takes half a file for a whole one."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Errors only: ONNX Runtime warns on every save at this level that the file suits this
    # machine alone, which the file's name already encodes.
    options.log_severity_level = 3
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".onnx")
    os.close(fd)
    tmp = Path(name)
    sidecar_tmp: Path | None = None
    try:
        options.optimized_model_filepath = str(tmp)
        ort.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model cache is not secret
        digest = sha256_file(tmp)
        os.replace(tmp, target)
        # Same format as sha256sum; a unique temporary name, as two agents may write at once.
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        sidecar_tmp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"{digest}  {target.name}\n")
        os.chmod(sidecar_tmp, 0o644)
        os.replace(sidecar_tmp, target.with_name(target.name + SIDECAR_SUFFIX))
    finally:
        for leftover in (tmp, sidecar_tmp):
            if leftover is not None:
                leftover.unlink(missing_ok=True)


def _main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(
            "usage: python -m pipelines.models.optimized SOURCE.onnx TARGET.onnx", file=sys.stderr
        )
        return 2
    try:
        write_optimized(Path(argv[0]), Path(argv[1]))
    except Exception as exc:  # onnxruntime raises its own untyped exceptions
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
