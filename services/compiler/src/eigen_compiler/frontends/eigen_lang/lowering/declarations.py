"""The module level: imports, constant assignments, decorated functions.

Functions are classified by their one decorator: ``@hybrid_program(...)`` (a candidate
entrypoint, with its checked options), ``@quantum_circuit`` (a helper inlined at each call),
``@ansatz`` and ``@cost_function`` (hybrid values). Module-level assignments run once, with no
circuit (a module-level gate call is ``forbidden-call``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import partial
from typing import Any

from eigen_compiler.frontends.eigen_lang import folding as fo
from eigen_compiler.frontends.eigen_lang.diagnostics import Reject
from eigen_compiler.frontends.eigen_lang.library import member
from eigen_compiler.frontends.eigen_lang.lowering.context import Candidate, Parts
from eigen_compiler.frontends.eigen_lang.rules import (
    ALLOWED_MODULES,
    IMPORT_HINT,
    LIBRARY,
    is_main_guard,
)
from eigen_compiler.frontends.eigen_lang.scope import POISON
from eigen_compiler.frontends.eigen_lang.syntax import is_docstring, snippet
from eigen_compiler.frontends.eigen_lang.values import HelperRef, LibRef, ModuleRef
from eigen_ir.gates import DECORATOR_OPTIONS

#: Decorators that mark helper functions inlined by the compiler.
HELPER_DECORATORS = ("quantum_circuit", "ansatz", "cost_function")
_DECORATOR_CHECKS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "target": ("a string", lambda v: isinstance(v, str)),
    "compiler": ("a string", lambda v: isinstance(v, str)),
    "shots": ("an integer >= 1", lambda v: fo.is_int(v) and v >= 1),
    "seed": (
        "an integer in 0..4294967295 (it also seeds numpy's random initial guesses)",
        lambda v: fo.is_int(v) and 0 <= v < 2**32,
    ),
    "optimization_level": ("0, 1, 2 or 3", lambda v: fo.is_int(v) and v in (0, 1, 2, 3)),
}


class ModuleLevel:
    """Lowers the module's top-level statements (implements :class:`.context.Declarations`)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.diagnostics = parts.diagnostics
        self.scope = parts.scope
        self.state = parts.state

    def module(self, tree: ast.Module) -> list[Candidate]:
        """Run every top-level statement; return the ``@hybrid_program`` candidates."""
        candidates: list[Candidate] = []
        last = len(tree.body) - 1

        def visit(stmt: ast.stmt, index: int) -> None:
            if is_docstring(stmt):
                return
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                self._import(stmt)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
                self.parts.statements.run(stmt)
            elif isinstance(stmt, ast.FunctionDef):
                options = self.function_decorator(stmt)
                if isinstance(options, dict):
                    candidates.append((stmt, options))
                elif options == "quantum_circuit":
                    self.state.helpers[stmt.name] = stmt
                    self.scope.globals[stmt.name] = HelperRef(stmt.name)
                else:
                    value = self.parts.hybrid_values.function_value(stmt, options, None)
                    self.scope.globals[stmt.name] = value
            elif isinstance(stmt, ast.If) and is_main_guard(stmt):
                if index != last:
                    message = '`if __name__ == "__main__":` must be the last statement'
                    self.diagnostics.reject("forbidden-statement", message, stmt)
            else:
                self.parts.statements.forbidden(stmt, module_level=True)

        for i, stmt in enumerate(tree.body):
            self.parts.statements.collect(stmt, partial(visit, index=i))
        return candidates

    def _import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        """Bind the imported names; each bad one is reported once and poisoned (no cascade)."""
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name not in ALLOWED_MODULES:
                    message = f"import of {alias.name!r} is not allowed"
                    self.diagnostics.error("forbidden-import", message, stmt, IMPORT_HINT)
                    self.scope.globals[(alias.asname or alias.name).split(".")[0]] = POISON
                    continue
                module = ModuleRef(ALLOWED_MODULES[alias.name])
                self._bind(alias.asname or alias.name, module, stmt)
            return
        name = stmt.module or ""
        if stmt.level or name not in ALLOWED_MODULES:
            message = f"import from {'.' * stmt.level}{name!r} is not allowed"
            self.diagnostics.error("forbidden-import", message, stmt, IMPORT_HINT)
            self.scope.poison([a.asname or a.name for a in stmt.names if a.name != "*"])
            return
        module = ModuleRef(ALLOWED_MODULES[name])
        if module.name == "__future__":
            return
        for alias in stmt.names:
            if alias.name != "*":
                try:
                    with self.diagnostics.located(stmt):
                        value = member(module, alias.name)
                except Reject as rej:  # this name only: the others are still imported
                    self.diagnostics.add(rej.diag)
                    self.scope.globals[alias.asname or alias.name] = POISON
                    continue
                self._bind(alias.asname or alias.name, value, stmt)
            elif module.name == "eigen_lang":
                for lib_name in LIBRARY:
                    self.scope.globals[lib_name] = LibRef(lib_name)
            else:
                message = f"`from {name} import *` is not allowed"
                self.diagnostics.reject(
                    "forbidden-import", message, stmt, "import names explicitly"
                )

    def _bind(self, name: str, value: Any, node: ast.AST) -> None:
        self.scope.check_name(name, node)
        self.scope.globals[name] = value

    def function_decorator(self, fn: ast.FunctionDef) -> dict[str, int | str] | str:
        """Options of a ``@hybrid_program``, else the name of the helper decorator.

        The helper decorators are ``quantum_circuit``, ``ansatz`` and ``cost_function``.

        Raises:
            Reject: ``unsupported-function`` (no decorator), ``forbidden-decorator``, or
                ``invalid-decorator-argument``.
        """
        if not fn.decorator_list:
            hint = "decorate it with @quantum_circuit (or @hybrid_program for the entrypoint)"
            message = f"function {fn.name!r} has no Eigen-Lang decorator"
            self.diagnostics.reject("unsupported-function", message, fn, hint)
        if len(fn.decorator_list) > 1:
            message = "use exactly one decorator"
            self.diagnostics.reject("forbidden-decorator", message, fn.decorator_list[1])
        (dec,) = fn.decorator_list
        call = dec if isinstance(dec, ast.Call) else None
        target = call.func if call else dec
        try:
            resolved = self.parts.expressions.eval(target)
        except Reject as rej:
            if rej.diag.rule == "missing-import":  # `@cost_function` without its import
                raise
            resolved = None
        if resolved == LibRef("hybrid_program"):
            return self._options(call) if call else {}
        if isinstance(resolved, LibRef) and resolved.name in HELPER_DECORATORS:
            if call is not None and (call.args or call.keywords):
                message = f"@{resolved.name} takes no arguments"
                self.diagnostics.reject("invalid-decorator-argument", message, call)
            return resolved.name
        message = f"decorator {snippet(target)!r} is not allowed"
        hint = "use @hybrid_program, @quantum_circuit, @ansatz or @cost_function"
        self.diagnostics.reject("forbidden-decorator", message, dec, hint)

    def _options(self, call: ast.Call) -> dict[str, int | str]:
        out: dict[str, int | str] = {}
        if call.args:
            message = "hybrid_program takes keyword arguments only"
            self.diagnostics.error("invalid-decorator-argument", message, call.args[0])
        for kw in call.keywords:
            if kw.arg is None or kw.arg not in DECORATOR_OPTIONS:
                message = f"hybrid_program argument {kw.arg or '**'!r} is ignored"
                self.diagnostics.warn("unknown-decorator-argument", message, kw.value)
                continue
            try:
                value = self.parts.expressions.eval(kw.value)
            except Reject as rej:
                self.diagnostics.add(rej.diag)
                continue
            expected, valid = _DECORATOR_CHECKS[kw.arg]
            if not valid(value):
                message = f"hybrid_program({kw.arg}=...) must be {expected}"
                self.diagnostics.error("invalid-decorator-argument", message, kw.value)
                continue
            out[kw.arg] = value
        return out
