"""The compiled core (agent/core/compiled.py): mypyc builds it from the same sources, it
decides exactly as the interpreted core does, and a build of other sources is never used."""

from __future__ import annotations

import importlib.machinery
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import compile_core
from agent.core import compiled

ROOT = Path(__file__).resolve().parent.parent
# Prints which core the child runs, then runs the core's own tests in it.
_CHILD = """
import sys, agent.core, pytest
print("RUNNING", agent.core.RUNNING, flush=True)
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]]))
"""
CORE_TESTS = ["tests/test_core_golden.py", "tests/test_tracking.py", "tests/test_rules.py"]


def _child(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _setup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`eva setup --core-only` in a child with this environment."""
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", "setup", "--core-only"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=compile_core.COMPILE_TIMEOUT,
    )


@pytest.mark.slow
def test_the_compiled_core_decides_exactly_as_the_interpreted_one(tmp_path: Path) -> None:
    env = {**os.environ, "EVA_CACHE_DIR": str(tmp_path / "cache")}
    env.pop(compiled.ENV, None)
    made = _setup(env)
    assert made.returncode == 0, made.stdout + made.stderr
    said = made.stdout.strip().removeprefix("core:").strip()
    assert said.startswith("compiled: "), made.stdout
    build = Path(said.split(": ", 1)[1])
    assert build.parent == tmp_path / "cache" / "core"
    # A second setup finds the build and leaves it be.
    again = _setup(env)
    assert again.stdout == made.stdout
    # The golden digests (the core's every decision on the benchmark's streams) and the
    # core's tests pass on both.
    for mode, env_mode in (("compiled (mypyc)", None), ("interpreted", "interpreted")):
        child_env = {**env, compiled.ENV: env_mode} if env_mode else env
        done = _child(child_env, *CORE_TESTS)
        assert f"RUNNING {mode}" in done.stdout, done.stdout[-2000:]
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def _copy_of_the_sources(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(ROOT / "agent" / "core", root / "agent" / "core")
    for name in compiled.DEPENDS:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, root / name)
    return root


def _fake_build(where: Path) -> None:
    package = where / "agent" / "core"
    package.mkdir(parents=True)
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for name in [*compiled.MODULES, "compiled_core__mypyc"]:
        (package / f"{name}{suffix}").write_bytes(b"")


def test_a_build_of_other_sources_is_never_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy_of_the_sources(tmp_path)
    monkeypatch.setattr(compiled, "_HERE", root / "agent" / "core")
    monkeypatch.setattr(compiled, "ROOT", root)
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(compiled.ENV, raising=False)

    path: list[str] = []
    assert compiled.select(path).startswith("interpreted (no compiled build") and path == []
    _fake_build(compiled.build_dir())
    assert compiled.select(path) == "compiled (mypyc)"
    assert path == [str(compiled.build_dir() / "agent" / "core")]

    # One byte of a compiled module, of a module it imports, or of a project module outside
    # the core changes the key: the build is not the one for these sources any more.
    for changed in ("agent/core/tracking.py", "agent/core/settings.py", "pipelines/detections.py"):
        before = compiled.build_key()
        source = root / changed
        source.write_bytes(source.read_bytes() + b"\n")
        assert compiled.build_key() != before, changed
        path = []
        assert compiled.select(path).startswith("interpreted") and path == [], changed

    _fake_build(compiled.build_dir())  # a build for the sources as they are now
    monkeypatch.setenv(compiled.ENV, "interpreted")
    path = []
    assert compiled.select(path) == "interpreted (EVA_CORE=interpreted)" and path == []


def test_the_key_covers_every_project_module_the_core_may_import() -> None:
    from test_layout import CORE_MAY_IMPORT

    project = [m for m in CORE_MAY_IMPORT if m.split(".")[0] in ("eva_errors", "pipelines")]
    covered = {name.removesuffix(".py").replace("/", ".") for name in compiled.DEPENDS}
    # pipelines.models.paths only says where the cache is; the compiled modules never use it.
    assert set(project) - {"pipelines.models.paths"} <= covered


def test_setup_without_mypyc_says_so_and_the_core_runs_interpreted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "mypyc", None)  # import mypyc now fails
    said = compile_core.compile_core()
    assert said.startswith("not compiled: mypyc is not installed") and "interpreted" in said
    assert not (tmp_path / "cache" / "core").exists()
