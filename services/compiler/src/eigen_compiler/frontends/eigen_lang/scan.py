"""The one walk over a parsed program: size limits, the allowlist, and the facts lowering needs.

:class:`ModuleScan` visits every node of the module exactly once, in source order, with an
explicit stack (a deep tree cannot exhaust Python's stack). On that walk it

1. enforces the AST node and nesting limits (``too-many-nodes``, ``too-deep``) before any other
   work, aborting at the first node past a limit;
2. applies the closed allowlist of :mod:`.rules` and collects every violation (rules
   ``forbidden-import``, ``dunder``, ``forbidden-call``, ``unknown-call``, ``recursion`` and
   one rule per rejected construct: ``while``, ``try``, ``with``, ``lambda``, ``class``,
   ``global``, ``async``, ``yield``, ``comprehension``, ``del``, ``star-args``, ``walrus``,
   ``f-string``, ``forbidden-statement``);
3. records :class:`ModuleFacts` — the names each function assigns (Python's local-scope rule),
   the calls in each statement (work estimates) and the module's call graph (recursion) — so the
   lowering never walks a subtree again.

A trailing ``if __name__ == "__main__":`` block only runs locally: it counts against the size
limits but is neither checked nor lowered.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from eigen_common.errors import Diagnostic
from eigen_compiler.frontends.eigen_lang.diagnostics import Diagnostics
from eigen_compiler.frontends.eigen_lang.library import is_allowed_member
from eigen_compiler.frontends.eigen_lang.rules import (
    ALLOWED_MODULES,
    BUILTIN_NAMES,
    CONSTRUCTS,
    FORBIDDEN_BUILTINS,
    IMPORT_HINT,
    LIBRARY,
    RESULT_METHODS,
    is_dunder,
    is_main_guard,
    library_names,
)
from eigen_compiler.frontends.eigen_lang.syntax import snippet
from eigen_compiler.model import Limits, fail

_NO_NAMES: frozenset[str] = frozenset()
#: Node types :meth:`ModuleScan._check` can object to (every other type is skipped cheaply).
_CHECKED_TYPES = frozenset(
    [
        *CONSTRUCTS,
        ast.Import,
        ast.ImportFrom,
        ast.Name,
        ast.Attribute,
        ast.alias,
        ast.keyword,
        ast.Call,
    ]
)


@dataclass
class ModuleFacts:
    """What the walk learnt about the module (keyed by the AST nodes themselves).

    ``functions`` are the module-level functions by name; ``assigned`` the names each function
    (module level or nested) assigns anywhere in its body; ``calls`` the calls of plain names
    made by each statement itself (not by statements nested in it); ``children`` the
    statements directly nested in each statement.
    """

    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    assigned: dict[ast.FunctionDef, frozenset[str]] = field(default_factory=dict)
    calls: dict[ast.stmt, list[tuple[str, ast.Call]]] = field(default_factory=dict)
    children: dict[ast.stmt, list[ast.stmt]] = field(default_factory=dict)

    def assigned_names(self, fn: ast.FunctionDef) -> frozenset[str]:
        """Names assigned anywhere in ``fn``'s body (Python's local-scope rule)."""
        return self.assigned.get(fn, _NO_NAMES)

    def named_calls(self, stmt: ast.stmt) -> Iterator[tuple[str, ast.Call]]:
        """``(name, call)`` of every call of a plain name in ``stmt`` and its nested statements."""
        stack = [stmt]
        while stack:
            current = stack.pop()
            yield from self.calls.get(current, ())
            stack.extend(reversed(self.children.get(current, ())))


#: A node to visit: ``(node, depth, enclosing functions, innermost statement, anchor)``.
_Item = tuple[ast.AST, int, tuple[ast.FunctionDef, ...], ast.stmt | None, ast.AST]


class ModuleScan:
    """Walk ``tree`` once (see the module docstring).

    Args:
        tree: the parsed program.
        limits: ``max_ast_nodes`` and ``max_nesting_depth`` are enforced here.
        diagnostics: positions the violations.
    """

    def __init__(self, tree: ast.Module, limits: Limits, diagnostics: Diagnostics) -> None:
        self.tree = tree
        self.limits = limits
        self.diagnostics = diagnostics
        self.violations: list[Diagnostic] = []
        self.facts = ModuleFacts()
        self._modules: dict[str, str] = {}  # alias → canonical module
        self._library: set[str] = set()  # names bound to eigen_lang / math / numpy members
        self._assigned: dict[ast.FunctionDef, set[str]] = {}
        self._graph: dict[ast.FunctionDef, list[ast.Call]] = {}  # module function → its calls
        self._count = 1  # the module node itself
        self._unknown_calls: set[str] = set()  # callees reported (once per name)

    def run(self) -> ModuleFacts:
        """Walk the module; violations are in :attr:`violations` afterwards.

        Raises:
            CompilationFailedError: ``too-many-nodes`` or ``too-deep`` (the walk stops there).
        """
        body = list(self.tree.body)
        guard = body.pop() if body and is_main_guard(body[-1]) else None
        for stmt in body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                self._import(stmt)
            elif isinstance(stmt, ast.FunctionDef):
                self.facts.functions[stmt.name] = stmt
        for stmt in body:
            checked = not is_main_guard(stmt)
            if not checked:
                message = '`if __name__ == "__main__":` must be the last statement'
                self._add("forbidden-statement", message, stmt, "move it to the end")
            self._walk(stmt, checked)
        if guard is not None:
            self._walk(guard, False)  # local-run block: counted, never checked or compiled
        self.facts.assigned = {fn: frozenset(names) for fn, names in self._assigned.items()}
        self._recursion()
        return self.facts

    def _add(self, rule: str, message: str, node: ast.AST, hint: str = "") -> None:
        self.violations.append(self.diagnostics.at(rule, message, node, hint))

    def _import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name not in ALLOWED_MODULES:
                    message = f"import of {alias.name!r} is not allowed"
                    self._add("forbidden-import", message, stmt, IMPORT_HINT)
                else:
                    self._modules[alias.asname or alias.name] = ALLOWED_MODULES[alias.name]
            return
        name = stmt.module or ""
        if stmt.level or name not in ALLOWED_MODULES:
            message = f"import from {'.' * stmt.level}{name!r} is not allowed"
            self._add("forbidden-import", message, stmt, IMPORT_HINT)
            return
        canonical = ALLOWED_MODULES[name]
        for alias in stmt.names:
            if alias.name == "*":
                if canonical != "eigen_lang":
                    message = f"`from {name} import *` is not allowed"
                    self._add("forbidden-import", message, stmt, "import names explicitly")
                else:
                    self._library.update(library_names())
            elif canonical in ("eigen_lang", "math", "numpy"):
                self._library.add(alias.asname or alias.name)  # checked when resolved

    def _walk(self, root: ast.stmt, checked: bool) -> None:
        """Visit ``root``'s subtree in source order (children after their parent, in order).

        A limit is reported at the first node past it; a node without a position (an
        expression context, an operator) is reported at its nearest positioned ancestor.
        """
        max_nodes, max_depth = self.limits.max_ast_nodes, self.limits.max_nesting_depth
        top = root if isinstance(root, ast.FunctionDef) else None
        stack: list[_Item] = [(root, 1, (), None, root)]
        while stack:
            node, depth, functions, stmt, anchor = stack.pop()
            if hasattr(node, "lineno"):
                anchor = node
            self._count += 1
            if self._count > max_nodes:
                message = f"the program has more than {max_nodes} syntax nodes"
                hint = "split the program"
                raise fail([self.diagnostics.at("too-many-nodes", message, anchor, hint)])
            if depth > max_depth:
                message = f"nesting deeper than {max_depth} levels"
                hint = "simplify the nesting"
                raise fail([self.diagnostics.at("too-deep", message, anchor, hint)])
            if isinstance(node, ast.stmt):
                if stmt is not None:
                    self.facts.children.setdefault(stmt, []).append(node)
                stmt = node
            if checked and type(node) in _CHECKED_TYPES:
                self._check(node, bool(functions), root)
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Store):
                    for fn in functions:
                        self._assigned[fn].add(node.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert stmt is not None
                self.facts.calls.setdefault(stmt, []).append((node.func.id, node))
                if top is not None:
                    self._graph.setdefault(top, []).append(node)
            elif isinstance(node, ast.FunctionDef):
                functions = (*functions, node)
                self._assigned.setdefault(node, set())
            children = list(ast.iter_child_nodes(node))
            stack.extend(
                (child, depth + 1, functions, stmt, anchor) for child in reversed(children)
            )

    def _check(self, node: ast.AST, in_function: bool, root: ast.stmt) -> None:
        """Allowlist violations of one node (``in_function``: inside a function, not on it)."""
        construct = CONSTRUCTS.get(type(node))
        if construct is not None:
            rule, message, hint = construct
            self._add(rule, message, node, hint)
        elif isinstance(node, ast.Import | ast.ImportFrom) and in_function:
            self._add("forbidden-import", "imports belong at module level", node, IMPORT_HINT)
        elif isinstance(node, ast.Name):
            if node.id in FORBIDDEN_BUILTINS:
                message = f"{node.id!r} is not allowed in Eigen-Lang programs"
                self._add("forbidden-call", message, node, "programs cannot reflect or do I/O")
            elif is_dunder(node.id):
                self._add("dunder", f"dunder name {node.id!r} is not allowed", node)
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            self._add("dunder", f"attribute {node.attr!r} is not allowed", node)
        elif isinstance(node, ast.alias) and node.name != "*" and node.name.startswith("_"):
            if not isinstance(root, ast.ImportFrom) or root.module != "__future__":
                self._add("dunder", f"name {node.name!r} is not allowed", root)
        elif isinstance(node, ast.keyword) and node.arg is None:
            self._add("star-args", "`**` unpacking is not allowed", node.value)
        elif isinstance(node, ast.Call):
            self._call(node)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if any(isinstance(n, ast.Attribute) and n.attr.startswith("_") for n in ast.walk(func)):
            return  # reported as ``dunder``
        if isinstance(func, ast.Name):
            name = func.id
            if name in FORBIDDEN_BUILTINS or is_dunder(name):
                return  # reported by the Name visit
            if name in self.facts.functions or name in self._library or name in BUILTIN_NAMES:
                return
        else:
            path = _dotted(func)
            if path is not None and path[0] in self._modules:
                module = self._modules[path[0]]
                if any(part.startswith("_") for part in path):
                    return  # reported as ``dunder``
                if is_allowed_member(module, path[1:]):
                    return
        if isinstance(func, ast.Attribute) and func.attr in RESULT_METHODS:
            return  # ``result.optimal_parameters.tolist()``: checked when lowered
        callee = snippet(func)
        if callee in self._unknown_calls:
            return  # one diagnostic per name, at its first call
        self._unknown_calls.add(callee)
        if isinstance(func, ast.Name) and func.id in LIBRARY:
            message = f"{func.id!r} is an eigen_lang name that this program does not import"
            hint = f"add it to the imports: `from eigen_lang import {func.id}`"
            self._add("missing-import", message, node, hint)
            return
        message = f"{callee!r} is not a function Eigen-Lang can call"
        hint = "call eigen_lang functions, @quantum_circuit functions, math/np or range/len"
        self._add("unknown-call", message, node, hint)

    def _recursion(self) -> None:
        """Report each call cycle among module-level functions at the call that closes it.

        One iterative depth-first search over the call graph (white/grey/black colouring):
        linear in the number of functions and calls, whatever their shape.
        """
        functions = self.facts.functions
        calls: dict[str, list[ast.Call]] = {
            name: [c for c in self._graph.get(fn, ()) if c.func.id in functions]  # type: ignore[attr-defined]
            for name, fn in functions.items()
        }
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
        for root in sorted(functions):
            if root in state:
                continue
            state[root] = 1
            stack: list[tuple[str, int]] = [(root, 0)]
            while stack:
                name, i = stack.pop()
                if i == len(calls[name]):
                    state[name] = 2
                    continue
                stack.append((name, i + 1))
                call = calls[name][i]
                target = call.func.id  # type: ignore[attr-defined]
                if state.get(target) == 1:
                    message = f"function {target!r} calls itself (through {name!r})"
                    if target == name:
                        message = f"function {target!r} calls itself"
                    self._add("recursion", message, call, "recursion is not allowed; use `for`")
                elif target not in state:
                    state[target] = 1
                    stack.append((target, 0))


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]
