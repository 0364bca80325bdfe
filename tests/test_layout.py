"""The tree is the architecture: layers import only downward, the core stays pure, and the
benchmarks stay out of the product (see docs/architecture.md)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first: a module may import its own layer and the layers before it, never one after.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("eva_errors", "hailo_models"),
    ("pipelines",),
    ("agent.core",),
    ("agent.config",),
    ("agent.adapters",),
    ("agent.llm",),
    ("agent.ask",),
    ("agent.service",),
    ("agent.bench",),  # only the command line imports it, and only when asked
    ("agent.cli",),
)
# What the pure core may use besides itself: the error family, the vision side's data types,
# and libraries that do no I/O.
CORE_MAY_IMPORT = (
    "agent.core",
    "eva_errors",
    "pipelines.detections",
    "pipelines.models.labels",
    "numpy",
    "pydantic",
    "ulid",
    "lap",
    "pipelines.models.paths",  # where the compiled core is cached (agent.core.compiled)
)
OUTSIDE_WORLD = ("paho", "ollama", "sqlite3", "cv2", "yaml", "onnxruntime", "llama_cpp", "scipy")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def product_modules() -> dict[str, Path]:
    files = [ROOT / "eva_errors.py", *ROOT.glob("hailo_models/**/*.py")]
    files += [*ROOT.glob("pipelines/**/*.py"), *ROOT.glob("agent/**/*.py")]
    modules = {_module_name(p): p for p in files}
    modules.pop("agent")  # the empty package that holds the layers
    return modules


def imports(path: Path, *, top_level_only: bool = False) -> Iterator[tuple[int, str]]:
    """(line, module) of every import; with `top_level_only`, not those inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes: list[ast.AST] = list(tree.body) if top_level_only else list(ast.walk(tree))
    if top_level_only:  # imports under `if TYPE_CHECKING:` or `try:` at module level count too
        nodes = [
            n
            for top in tree.body
            if not isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            for n in ast.walk(top)
        ]
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def layer_of(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def upward_imports(modules: dict[str, Path]) -> list[str]:
    found = []
    for name, path in modules.items():
        own = layer_of(name)
        for line, imported in imports(path):
            target = layer_of(imported)
            if own is not None and target is not None and target > own:
                found.append(f"{name}:{line} imports {imported} ({LAYERS[target][0]} is above)")
    return found


def test_every_product_module_sits_in_a_layer() -> None:
    assert [m for m in product_modules() if layer_of(m) is None] == []


def test_no_import_runs_upward() -> None:
    assert upward_imports(product_modules()) == []


def test_the_core_imports_only_itself_and_the_domain_types() -> None:
    offenders = [
        f"{name}:{line} imports {imported}"
        for name, path in product_modules().items()
        if _under(name, ("agent.core",))
        for line, imported in imports(path)
        if (_under(imported, ("agent", "pipelines", "hailo_models", *OUTSIDE_WORLD)))
        and not _under(imported, CORE_MAY_IMPORT)
    ]
    assert offenders == []


def test_adapters_never_import_the_service_ask_or_language_models() -> None:
    offenders = [
        f"{name}:{line} imports {imported}"
        for name, path in product_modules().items()
        if _under(name, ("agent.adapters",))
        for line, imported in imports(path)
        if _under(imported, ("agent.service", "agent.ask", "agent.llm", "agent.cli"))
    ]
    assert offenders == []


def test_only_the_command_line_imports_the_benchmarks_and_only_when_asked() -> None:
    offenders = []
    for name, path in product_modules().items():
        if _under(name, ("agent.bench",)):
            continue
        cli = _under(name, ("agent.cli",))
        for line, imported in imports(path, top_level_only=cli):
            if _under(imported, ("agent.bench",)):
                offenders.append(f"{name}:{line} imports {imported}")
    assert offenders == []


def test_no_import_cycles_between_packages() -> None:
    """Packages two levels deep (agent.adapters.mqtt, pipelines.sources...) form no cycle."""

    def package(module: str) -> str:
        return ".".join(
            module.split(".")[:3] if module.startswith("agent.") else module.split(".")[:2]
        )

    graph: dict[str, set[str]] = {}
    modules = product_modules()
    for name, path in modules.items():
        for _, imported in imports(path):
            if layer_of(imported) is not None and package(imported) != package(name):
                graph.setdefault(package(name), set()).add(package(imported))
    cycles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    cycles.append(" -> ".join([*trail, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert cycles == []


def test_at_most_six_loose_modules_in_agent() -> None:
    assert len(list((ROOT / "agent").glob("*.py"))) <= 6


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from agent.adapters.mqtt.publisher import MqttPublisher\n", ["agent.core.bad:1"]),
        ("import ollama\n", ["agent.core.bad:1"]),
        ("from agent.core.events import Event\n", []),
    ],
)
def test_a_forbidden_core_import_would_be_caught(
    tmp_path: Path, source: str, expected: list[str]
) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(source)
    found = [
        f"agent.core.bad:{line}"
        for line, imported in imports(bad)
        if _under(imported, ("agent", "pipelines", *OUTSIDE_WORLD))
        and not _under(imported, CORE_MAY_IMPORT)
    ]
    assert found == expected


def test_an_upward_import_would_be_caught(tmp_path: Path) -> None:
    (tmp_path / "agent" / "core").mkdir(parents=True)
    bad = tmp_path / "agent" / "core" / "bad.py"
    bad.write_text("from agent.service.app import run_agent\n")
    found = [imported for _, imported in imports(bad) if (layer_of(imported) or 0) > 2]
    assert found == ["agent.service.app"]


def test_a_benchmark_import_at_the_top_of_the_cli_would_be_caught(tmp_path: Path) -> None:
    cli = tmp_path / "main.py"
    cli.write_text(
        "from agent.bench.components import run_bench\n\ndef f():\n    import agent.bench.soak\n"
    )
    assert [m for _, m in imports(cli, top_level_only=True)] == ["agent.bench.components"]
