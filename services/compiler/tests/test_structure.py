"""The shape of the compiler's code (issue 14): small classes, no import cycles, one AST walk.

Read with ``ast`` (nothing imported for the static checks): every class of ``eigen_compiler``
stays under :data:`MAX_CLASS_LINES`, the module import graph is acyclic, and each part of the
Eigen-Lang lowering depends on the shared context only. A lowering run is also observed: once
the scan has walked the module, no lowering code walks a subtree again.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import eigen_compiler
from eigen_compiler.frontends.eigen_lang import lower_program

SRC = Path(eigen_compiler.__file__).parent
LOWERING = SRC / "frontends" / "eigen_lang" / "lowering"
MAX_CLASS_LINES = 300
PROGRAMS = Path(__file__).parent / "programs" / "valid"


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield _module_name(path), path, ast.parse(path.read_text(encoding="utf-8"))


def _imports(module: str, tree: ast.Module, known: set[str]) -> set[str]:
    """First-party modules ``module`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    out: set[str] = set()
    package = module if module in known and _is_package(module) else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                base = ".".join(anchor[: len(anchor) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.add(full if full in known else base)
    return {m for m in out if m in known and m != module}


def _is_package(module: str) -> bool:
    return (SRC.parent / module.replace(".", "/") / "__init__.py").exists()


def _graph() -> dict[str, set[str]]:
    sources = list(_sources())
    known = {name for name, _, _ in sources}
    return {name: _imports(name, tree, known) for name, _, tree in sources}


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: _module_name(p))
def test_no_class_is_larger_than_the_limit(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sizes = {
        node.name: (node.end_lineno or node.lineno) - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    assert all(size <= MAX_CLASS_LINES for size in sizes.values()), sizes


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_the_module_import_graph_has_no_cycle() -> None:
    cycle = _find_cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_checker_sees_a_cycle_and_resolves_from_imports() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None
    tree = ast.parse("from eigen_compiler import b\nfrom . import c\n")
    known = {"eigen_compiler.a", "eigen_compiler.b", "eigen_compiler.c"}
    assert _imports("eigen_compiler.a", tree, known) == {"eigen_compiler.b", "eigen_compiler.c"}


def test_lowering_parts_depend_on_the_context_only() -> None:
    graph = _graph()
    prefix = "eigen_compiler.frontends.eigen_lang.lowering."
    parts = {
        m
        for m in graph
        if m.startswith(prefix) and m.rsplit(".", 1)[1] not in ("context", "lowerer")
    }
    assert len(parts) >= 9, parts
    for part in sorted(parts):
        siblings = {m for m in graph[part] if m.startswith(prefix)}
        assert siblings == {prefix + "context"}, (part, siblings)


def test_the_lowering_walks_no_subtree_after_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ast.walk`` is called only by the scan (for callee expressions), never by lowering."""
    callers: list[str] = []
    real_walk = ast.walk

    def walk(node: ast.AST) -> Iterator[ast.AST]:
        callers.append(sys._getframe(1).f_globals.get("__name__", "?"))
        return real_walk(node)

    monkeypatch.setattr(ast, "walk", walk)
    for name in (
        "22_helpers_nested",
        "04_nested_for",
        "41_seed_appendix",
        "36_nelder_mead_closure",
    ):
        source = (PROGRAMS / f"{name}.eigen.py").read_text(encoding="utf-8")
        lower_program(source)
    lowering = [c for c in callers if c.startswith("eigen_compiler.frontends.eigen_lang.lowering")]
    assert not lowering, sorted(set(lowering))
    assert "eigen_compiler.frontends.eigen_lang.scan" in callers  # the probe sees calls
