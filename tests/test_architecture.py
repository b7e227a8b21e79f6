"""The dependency rule of the house, read from the source: no import circles, a pure domain,
adapters that know only the domain."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("plugin", "adapters", "webhooks", "widget")
# Libraries that do I/O or speak a provider's wire format: the domain imports none of them.
IO_LIBRARIES = ("flask", "sqlalchemy", "httpx", "requests", "huey", "redis", "psycopg",
                "woocommerce", "shopify", "shopifyapp", "werkzeug", "socket", "urllib")


def _modules() -> dict[str, Path]:
    """Every project module by dotted name (a package by its own name), migrations aside."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every absolute import in a file, at any depth (a lazy import is still a dependency),
    except under `if TYPE_CHECKING:`. Each `from a import b` counts as a and a.b."""
    names: set[str] = set()
    skipped: set[int] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for inner in node.body for child in ast.walk(inner))
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _project_module(name: str) -> str | None:
    """The project module an import name lands in (its longest known prefix), or None."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    """Module → the project modules it imports. A package's own __init__ is left out as a
    target of its children: importing `plugin` from `plugin.cli` is not a circle of code."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {_project_module(name) for name in _imports(path)}
        graph[module] = {t for t in targets
                         if t and t != module and not module.startswith(t + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles(_graph()) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("plugin.domain")))
def test_the_domain_does_no_io_and_knows_no_provider(module: str) -> None:
    for name in _imports(MODULES[module]):
        top = name.split(".")[0]
        assert top not in IO_LIBRARIES, f"{module} imports {name}"
        assert top not in PACKAGES or name.startswith("plugin.domain"), \
            f"{module} imports {name}, outside the domain"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("adapters")))
def test_adapters_know_only_the_domain_of_the_app(module: str) -> None:
    for name in _imports(MODULES[module]):
        top = name.split(".")[0]
        if top in PACKAGES and top != "adapters":
            assert name.startswith("plugin.domain"), f"{module} imports {name}"
