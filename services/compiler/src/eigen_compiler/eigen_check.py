"""The closed allowlist of Eigen-Lang v0.1 (SPEC §6), checked over the whole AST before lowering.

:func:`check_module` walks every node once (iteratively, so a deep tree cannot exhaust the
stack) and returns every violation as ``(rule, message, node, hint)``; the lowering runs only
when there are none. Rules:

- ``forbidden-import``: a module other than ``eigen_lang``/``Eigen_lang``, ``math``, ``numpy``,
  ``typing`` (``__future__`` too), a relative or star import of anything but ``eigen_lang``, or
  an import inside a function;
- ``dunder``: a ``__dunder__`` name or any ``_``-prefixed attribute (``().__class__``);
- ``forbidden-call``: ``eval``, ``exec``, ``open``, ``__import__``, ``getattr`` and the other
  reflective builtins, called or merely named;
- ``unknown-call``: a call of anything but an ``eigen_lang`` name, a module-level function, an
  allowlisted builtin or an allowlisted ``math``/``numpy`` member;
- ``recursion``: a cycle among the module's functions (found statically, nothing is unrolled);
- one rule per construct: ``while``, ``try``, ``with``, ``lambda``, ``class``, ``global``,
  ``async``, ``yield``, ``comprehension``, ``del``, ``star-args``, ``walrus``, ``f-string``,
  ``forbidden-statement`` (``raise``, ``assert``, ``match``, ``break``, ``continue``).

A trailing ``if __name__ == "__main__":`` block at module level is not checked: it only runs
locally and the compiler skips it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from eigen_compiler import eigen_values as ev
from eigen_ir.gates import LIBRARY_NAMES, MODULE_NAMES

Violation = tuple[str, str, ast.AST, str]

#: Modules a program may import (spelling → canonical module).
ALLOWED_MODULES: dict[str, str] = {
    **{m: "eigen_lang" for m in MODULE_NAMES},
    "math": "math",
    "numpy": "numpy",
    "typing": "typing",
    "__future__": "__future__",
}
IMPORT_HINT = "allowed imports: eigen_lang, math, numpy (as np), typing"

#: Builtins that are always rejected (SPEC §6), reported as ``forbidden-call``.
FORBIDDEN_BUILTINS = frozenset(
    [
        "eval", "exec", "open", "compile", "__import__", "getattr", "setattr", "delattr",
        "hasattr", "globals", "locals", "vars", "dir", "input", "breakpoint", "exit", "quit",
        "help", "memoryview", "type", "object", "super", "classmethod", "staticmethod",
    ]
)  # fmt: skip

_CONSTRUCTS: dict[type, tuple[str, str, str]] = {
    ast.While: ("while", "`while` loops are not allowed", "use `for i in range(<constant>)`"),
    ast.Try: ("try", "`try` is not allowed", "a program cannot catch errors; remove it"),
    ast.With: ("with", "`with` is not allowed", "context managers are not part of Eigen-Lang"),
    ast.AsyncWith: ("async", "`async with` is not allowed", "programs are synchronous"),
    ast.AsyncFor: ("async", "`async for` is not allowed", "programs are synchronous"),
    ast.AsyncFunctionDef: ("async", "`async def` is not allowed", "programs are synchronous"),
    ast.Await: ("async", "`await` is not allowed", "programs are synchronous"),
    ast.Lambda: ("lambda", "`lambda` is not allowed", "use a @quantum_circuit function"),
    ast.ClassDef: ("class", "classes are not allowed", "use functions and library types"),
    ast.Global: ("global", "`global` is not allowed", "pass values as function arguments"),
    ast.Nonlocal: ("global", "`nonlocal` is not allowed", "pass values as function arguments"),
    ast.Yield: ("yield", "`yield` is not allowed", "return a value instead"),
    ast.YieldFrom: ("yield", "`yield from` is not allowed", "return a value instead"),
    ast.ListComp: ("comprehension", "comprehensions are not supported", "use a `for` loop"),
    ast.SetComp: ("comprehension", "comprehensions are not supported", "use a `for` loop"),
    ast.DictComp: ("comprehension", "comprehensions are not supported", "use a `for` loop"),
    ast.GeneratorExp: ("comprehension", "generators are not supported", "use a `for` loop"),
    ast.Delete: ("del", "`del` is not allowed", "names cannot be deleted"),
    ast.Starred: ("star-args", "`*` unpacking is not allowed", "pass arguments one by one"),
    ast.NamedExpr: ("walrus", "`:=` is not allowed", "assign on its own line"),
    ast.JoinedStr: ("f-string", "f-strings are not allowed", "use a plain string"),
    ast.Raise: ("forbidden-statement", "`raise` is not allowed", ""),
    ast.Assert: ("forbidden-statement", "`assert` is not allowed", ""),
    ast.Match: ("forbidden-statement", "`match` is not allowed", "use `if` on a constant"),
    ast.Break: ("forbidden-statement", "`break` is not allowed", "loops always run fully"),
    ast.Continue: ("forbidden-statement", "`continue` is not allowed", "use `if` on a constant"),
}
_CONSTRUCTS[ast.TryStar] = _CONSTRUCTS[ast.Try]


def is_main_guard(stmt: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` without ``else`` (the local-run block)."""
    if not isinstance(stmt, ast.If) or stmt.orelse:
        return False
    t = stmt.test
    return (
        isinstance(t, ast.Compare)
        and isinstance(t.left, ast.Name)
        and t.left.id == "__name__"
        and len(t.ops) == 1
        and isinstance(t.ops[0], ast.Eq)
        and isinstance(t.comparators[0], ast.Constant)
        and t.comparators[0].value == "__main__"
    )


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and len(name) > 4


class _Checker:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.out: list[Violation] = []
        self.modules: dict[str, str] = {}  # alias → canonical module
        self.library: set[str] = set()  # names bound to eigen_lang members
        self.functions: dict[str, ast.FunctionDef] = {}

    def run(self) -> list[Violation]:
        body = list(self.tree.body)
        if body and is_main_guard(body[-1]):
            body.pop()  # local-run block: never compiled, never checked
        for stmt in body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                self._import(stmt)
            elif isinstance(stmt, ast.FunctionDef):
                self.functions[stmt.name] = stmt
        for stmt in body:
            if is_main_guard(stmt):
                message = '`if __name__ == "__main__":` must be the last statement'
                self._add("forbidden-statement", message, stmt, "move it to the end")
                continue
            self._walk(stmt)
        self._recursion()
        return self.out

    def _add(self, rule: str, message: str, node: ast.AST, hint: str = "") -> None:
        self.out.append((rule, message, node, hint))

    def _import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name not in ALLOWED_MODULES:
                    message = f"import of {alias.name!r} is not allowed"
                    self._add("forbidden-import", message, stmt, IMPORT_HINT)
                else:
                    self.modules[alias.asname or alias.name] = ALLOWED_MODULES[alias.name]
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
                    self.library.update(library_names())
            elif canonical == "eigen_lang":
                self.library.add(alias.asname or alias.name)
            elif canonical in ("math", "numpy"):
                self.library.add(alias.asname or alias.name)  # checked when resolved

    def _walk(self, root: ast.stmt) -> None:
        stack: list[tuple[ast.AST, bool]] = [(root, False)]
        while stack:
            node, in_function = stack.pop()
            self._node(node, in_function, root)
            inner = in_function or isinstance(node, ast.FunctionDef)
            children = list(ast.iter_child_nodes(node))
            stack.extend((child, inner) for child in reversed(children))

    def _node(self, node: ast.AST, in_function: bool, root: ast.stmt) -> None:
        construct = _CONSTRUCTS.get(type(node))
        if construct is not None:
            rule, message, hint = construct
            self._add(rule, message, node, hint)
        elif isinstance(node, ast.Import | ast.ImportFrom) and in_function:
            self._add("forbidden-import", "imports belong at module level", node, IMPORT_HINT)
        elif isinstance(node, ast.Name):
            if node.id in FORBIDDEN_BUILTINS:
                message = f"{node.id!r} is not allowed in Eigen-Lang programs"
                self._add("forbidden-call", message, node, "programs cannot reflect or do I/O")
            elif _is_dunder(node.id):
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
            if name in FORBIDDEN_BUILTINS or _is_dunder(name):
                return  # reported by the Name visit
            if name in self.functions or name in self.library or name in ev.BUILTIN_NAMES:
                return
        else:
            path = _dotted(func)
            if path is not None and path[0] in self.modules:
                module = self.modules[path[0]]
                if any(part.startswith("_") for part in path):
                    return  # reported as ``dunder``
                if ev.is_allowed_member(module, path[1:]):
                    return
        if isinstance(func, ast.Attribute) and func.attr in RESULT_METHODS:
            return  # ``result.optimal_parameters.tolist()``: checked when lowered
        message = f"{_snippet(func)!r} is not a function Eigen-Lang can call"
        hint = "call eigen_lang functions, @quantum_circuit functions, math/np or range/len"
        self._add("unknown-call", message, node, hint)

    def _recursion(self) -> None:
        """Report each call cycle among module-level functions at the call that closes it.

        One iterative depth-first search over the call graph (white/grey/black colouring):
        linear in the number of functions and calls, whatever their shape.
        """
        calls: dict[str, list[ast.Call]] = {
            name: [
                n
                for n in ast.walk(fn)
                if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name)
                and n.func.id in self.functions
            ]
            for name, fn in self.functions.items()
        }
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
        for root in sorted(self.functions):
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


def library_names() -> Iterable[str]:
    """Every name ``from eigen_lang import *`` binds in a program."""
    return sorted({*LIBRARY_NAMES, *HYBRID_NAMES})


#: Hybrid library names of seed 004 the compiler knows, whether or not the installed
#: ``eigen_lang`` exports them yet (the library and the compiler are written side by side).
HYBRID_NAMES: tuple[str, ...] = (
    "ansatz",
    "cost_function",
    "Param",
    "Observable",
    "Ansatz",
    "ExpectationValue",
    "minimize",
    "create_hea_ansatz",
    "create_ising_model_hamiltonian",
    "get_program_ast",
    "visualize_circuit",
)


#: Methods a program may call on library values (``result.optimal_parameters.tolist()``).
RESULT_METHODS: frozenset[str] = frozenset(["tolist"])


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _snippet(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def check_module(tree: ast.Module) -> list[Violation]:
    """Every allowlist violation of ``tree`` as ``(rule, message, node, hint)``, in walk order."""
    return _Checker(tree).run()
