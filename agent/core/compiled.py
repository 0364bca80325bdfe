"""The core's per-frame modules compiled to C with mypyc, used when a build of these exact
sources is in the cache.

At 20 objects a frame the core's time goes on Python's per-object work (the filter update,
the assignment's rows, zones and rules), not on arithmetic numpy could batch. mypyc (part of
mypy, which already checks these modules strictly) compiles the same typed sources to a C
extension that runs them about 1.4 times as fast, with the same results to the bit
(tests/test_compiled_core.py compares the two on the golden streams).

The sources stay the truth. `eva setup` compiles them (agent/cli/compile_core.py) into
`<cache>/core/<key>/`, where the key hashes the sources, the Python build and the machine;
at import the package looks there first for these modules (the one thing the core reads from
disk: its own sources, to hash them, about a millisecond). Edit a source and the key
changes: that build no longer matches and the interpreted modules run, never a stale build.
`EVA_CORE=interpreted` forces them. No C compiler, Python headers or mypy at setup: the core
runs interpreted, as before.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import os
import platform
import sys
from pathlib import Path

from pipelines.models.paths import cache_dir

#: The modules compiled: everything `CameraCore.step` runs per frame. The ones that define
#: pydantic models (events, settings, grounding, digest) stay interpreted: mypyc does not
#: compile pydantic's model classes.
MODULES = (
    "assignment",
    "camera",
    "coalesce",
    "frame_clock",
    "geometry",
    "rules",
    "tracking",
    "zones",
)
#: mypyc puts the compiled code in one shared library, agent.core.compiled_core__mypyc.
GROUP = "agent.core.compiled_core"
#: The project's modules outside agent/core that the core imports (tests/test_layout.py's
#: CORE_MAY_IMPORT): mypyc may inline their constants, so a build depends on them too.
DEPENDS = ("eva_errors.py", "pipelines/detections.py", "pipelines/models/labels.py")
#: Bump when the way the build is made changes.
FORMAT = 1
ENV = "EVA_CORE"

_HERE = Path(__file__).resolve().parent
#: The folder holding the agent package: the source tree, or site-packages.
ROOT = _HERE.parents[1]


def sources() -> list[Path]:
    """Every source a build depends on: the whole core package and DEPENDS."""
    return sorted(_HERE.rglob("*.py")) + [ROOT / name for name in DEPENDS]


def build_key() -> str:
    """What a build depends on, hashed: the sources, the Python build and the machine."""
    h = hashlib.sha256()
    for part in (str(FORMAT), sys.version, sys.implementation.cache_tag, platform.machine()):
        h.update(part.encode() + b"\0")
    for path in sources():
        name = path.relative_to(ROOT).as_posix()
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def build_dir() -> Path:
    """Where the build of these sources lives (it may not exist)."""
    return cache_dir() / "core" / build_key()[:16]


def complete(package: Path) -> bool:
    """True when `package` (a build's agent/core folder) holds every compiled module."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    names = [*MODULES, GROUP.rsplit(".", 1)[1] + "__mypyc"]
    return all((package / f"{name}{suffix}").is_file() for name in names)


def select(package_path: list[str]) -> str:
    """Put the matching build first on the package's path; say which core runs and why."""
    if os.environ.get(ENV, "").strip().lower() == "interpreted":
        return f"interpreted ({ENV}=interpreted)"
    try:
        package = build_dir() / "agent" / "core"
        found = complete(package)
    except (OSError, RuntimeError) as e:  # a source unreadable, no home for the cache
        return f"interpreted (no compiled build: {e})"
    if not found:
        return "interpreted (no compiled build of these sources; `eva setup` makes one)"
    package_path.insert(0, str(package))
    return "compiled (mypyc)"
