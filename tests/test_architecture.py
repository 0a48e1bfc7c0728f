"""The house rules of symgrad/ that a reader relies on: files with one job (none over about
800 lines) and no import circles, so each layer can be read without the ones above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symgrad"
MAX_LINES = 800


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, name: str, modules: dict[str, Path], top_level: bool) -> set[str]:
    """The symgrad modules ``path`` imports: at module level only, or anywhere."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level else list(ast.walk(tree))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return cycles


def test_no_file_is_over_about_800_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these files by job: {long}"


def test_no_import_circle_at_module_level():
    modules = _modules()
    graph = {name: _imports(path, name, modules, top_level=True)
             for name, path in modules.items()}
    # a package and its own submodules import each other as packages do (Python runs the
    # package's __init__ first): not a circle
    for name in graph:
        graph[name] = {m for m in graph[name]
                       if not m.startswith(name + ".") and not name.startswith(m + ".")}
    assert not _cycles(graph)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("layer, above", [
    ("symgrad.rules", ("symgrad.adjoint", "symgrad.codegen", "symgrad.api", "symgrad.runtime")),
    ("symgrad.frontend", ("symgrad.adjoint", "symgrad.codegen", "symgrad.api", "symgrad.runtime")),
])
def test_lower_layers_never_import_the_layers_above(layer, above):
    """The rules and the frontend sit below the pipeline: not even a function-level import
    of the adjoint, codegen, the API or the runtime from them."""
    modules = _modules()
    bad = {}
    for name, path in modules.items():
        if name == layer or name.startswith(layer + "."):
            up = {m for m in _imports(path, name, modules, top_level=False)
                  if any(m == a or m.startswith(a + ".") for a in above)}
            if up:
                bad[name] = sorted(up)
    assert not bad
