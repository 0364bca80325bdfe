"""The lock files (scripts/lock.sh) cover pyproject.toml: every dependency is pinned, with a
version its specifier allows, so the image and scripts/setup.sh install what the project
asks for. After changing a dependency, run `bash scripts/lock.sh`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]
LOCKS = {
    "run.txt": PROJECT["dependencies"],
    "setup.txt": PROJECT["dependencies"] + EXTRAS["demo"],
    "dev.txt": PROJECT["dependencies"] + EXTRAS["demo"] + EXTRAS["dev"],
}
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$", re.M)


def pins(name: str) -> dict[str, list[str]]:
    text = (ROOT / "requirements" / name).read_text()
    found: dict[str, list[str]] = {}
    for package, version, marker in PIN.findall(text):
        # Only the pins that apply to the image's Python (3.11).
        if marker and "3.12" in marker and ">=" in marker:
            continue
        found.setdefault(canonicalize_name(package), []).append(version)
    return found


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_dependency_is_pinned_within_its_specifier(lock: str) -> None:
    pinned = pins(lock)
    assert "--hash=sha256:" in (ROOT / "requirements" / lock).read_text()
    for line in LOCKS[lock]:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req.name} is not in requirements/{lock}: run scripts/lock.sh"
        for version in pinned[name]:
            assert req.specifier.contains(version, prereleases=True), (
                f"requirements/{lock} pins {req.name}=={version}, outside {req.specifier}: "
                "run scripts/lock.sh"
            )


def test_the_runtime_lock_has_no_setup_tools_or_scipy() -> None:
    pinned = pins("run.txt")
    for heavy in ("scipy", "scikit-image", "matplotlib", "onnx", "pytest"):
        assert heavy not in pinned, f"{heavy} would be in the runtime image"
