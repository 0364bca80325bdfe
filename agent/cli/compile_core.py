"""`eva setup`'s step that compiles the core's per-frame modules with mypyc into the cache,
where agent/core/compiled.py finds the build for the sources it was made from."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from agent.core import compiled

#: A Pi 5 compiles the eight modules in a few minutes; this machine in about 20 s.
COMPILE_TIMEOUT = 900.0
# The build's own mypy settings: the project's pyproject.toml is not there once installed.
_MYPY_CONFIG = "[mypy]\nignore_missing_imports = True\nplugins = pydantic.mypy\n"
# Runs in the child: mypyc's setuptools build of the listed modules into `out`.
_BUILD = """
import sys
from mypyc.build import mypycify
from setuptools import setup
out, work, group, *paths = sys.argv[1:]
setup(
    name="eva-core",
    ext_modules=mypycify(paths, opt_level="3", group_name=group, target_dir=work + "/c"),
    script_args=["build_ext", "--build-lib", out, "--build-temp", work + "/obj", "-q"],
)
"""


def compile_core() -> str:
    """Compile the modules into the cache unless a build of them is there; say the outcome.

    mypyc and the C compiler run in a child process; a failure leaves the cache as it was
    and the core interpreted.
    """
    dest = compiled.build_dir()
    if compiled.complete(dest / "agent" / "core"):
        return f"compiled: {dest}"
    try:
        import mypyc  # noqa: F401
    except ImportError:
        return "not compiled: mypyc is not installed (pip install mypy); the core runs interpreted"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="build-", dir=dest.parent) as tmp:
        work = Path(tmp)
        _copy_sources(work / "src")
        (work / "mypy.ini").write_text(_MYPY_CONFIG)
        paths = ["--config-file", str(work / "mypy.ini")]
        paths += [f"agent/core/{name}.py" for name in compiled.MODULES]
        env = {**os.environ, "MYPY_CACHE_DIR": str(work / "mypy-cache")}
        env.pop("MYPYPATH", None)
        out = work / "out"
        try:
            done = subprocess.run(
                [sys.executable, "-c", _BUILD, str(out), str(work), compiled.GROUP, *paths],
                cwd=work / "src",
                env=env,
                capture_output=True,
                text=True,
                timeout=COMPILE_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return f"not compiled: took over {COMPILE_TIMEOUT:.0f} s; the core runs interpreted"
        if done.returncode != 0 or not compiled.complete(out / "agent" / "core"):
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return f"not compiled ({last[0][:200]}); the core runs interpreted"
        try:
            out.rename(dest)
        except OSError:  # another setup made it meanwhile
            if not compiled.complete(dest / "agent" / "core"):
                raise
    return f"compiled: {dest}"


def _copy_sources(src: Path) -> None:
    """The sources the key is made from, alone in `src`: mypyc checks and builds exactly
    those, and writes nothing next to the installed ones."""
    core = Path(compiled.__file__).resolve().parent
    ignore = shutil.ignore_patterns("__pycache__", "*.so")
    shutil.copytree(core, src / "agent" / "core", ignore=ignore)
    for name in compiled.DEPENDS:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(compiled.ROOT / name, src / name)
    for package in ("agent", "pipelines", "pipelines/models"):
        (src / package / "__init__.py").touch()
