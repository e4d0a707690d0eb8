"""Statements of function bodies: assignments, expression statements, ``for`` and ``if``.

``for`` loops are unrolled (after :mod:`.budget` has estimated their work); ``if`` runs the
branch its compile-time constant condition selects. A rejected statement becomes a diagnostic
and lowering goes on with the next one (:meth:`Runner.collect`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from eigen_compiler.frontends.eigen_lang import folding as fo
from eigen_compiler.frontends.eigen_lang.diagnostics import Reject, Silent
from eigen_compiler.frontends.eigen_lang.lowering.context import Parts
from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.frontends.eigen_lang.syntax import describe, is_docstring, snippet
from eigen_compiler.frontends.eigen_lang.values import (
    STORABLE,
    Array,
    ClbitRef,
    CReg,
    QReg,
    QubitRef,
    kind,
)

_STATEMENT_HINTS: dict[str, str] = {
    "While": "the circuit must be known at compile time",
    "If": "module-level code runs once; put conditions in a function",
    "Try": "exception handling is not allowed in Eigen-Lang programs",
    "With": "context managers are not allowed in Eigen-Lang programs",
    "Global": "pass values as function parameters",
    "Import": "imports belong at module level",
    "ImportFrom": "imports belong at module level",
}


class Runner:
    """Runs statements (implements :class:`.context.Statements`)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.diagnostics = parts.diagnostics
        self.scope = parts.scope
        self._handlers: dict[type, Callable[[Any], None]] = {}

    def run(self, stmt: ast.stmt) -> None:
        """Run one statement of a function body (counted against the statement budget).

        Raises:
            Reject: the statement is not allowed or fails (positioned).
            Silent: it uses a name whose assignment failed.
        """
        handler = self._handlers.get(type(stmt))
        if handler is None:
            handler = getattr(self, f"_stmt_{type(stmt).__name__}", None)
            if handler is None:
                self.forbidden(stmt, module_level=False)
            self._handlers[type(stmt)] = handler
        self.parts.budget.step(stmt)
        handler(stmt)

    def block(self, body: list[ast.stmt]) -> None:
        """Run ``body`` in order."""
        for stmt in body:
            self.run(stmt)

    def collect(self, stmt: ast.stmt, action: Callable[[Any], None]) -> None:
        """Run ``action(stmt)``; a rejection becomes a diagnostic and lowering continues.

        Names the failed statement would have assigned are poisoned: a later use of them
        abandons that statement silently (the cause is already reported).
        """
        try:
            action(stmt)
            return
        except Silent:
            pass
        except Reject as rej:
            self.diagnostics.add(rej.diag)
        targets = stmt.targets if isinstance(stmt, ast.Assign) else []
        if isinstance(stmt, ast.AnnAssign | ast.AugAssign):
            targets = [stmt.target]
        names = [stmt.name] if isinstance(stmt, ast.FunctionDef) else []  # @ansatz, @cost_function
        names += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        self.scope.poison(names)

    def forbidden(self, stmt: ast.stmt, *, module_level: bool) -> NoReturn:
        """Reject a statement Eigen-Lang does not have (``forbidden-statement``)."""
        kind_ = type(stmt).__name__
        hint = _STATEMENT_HINTS.get(kind_, "")
        if isinstance(stmt, ast.AsyncFunctionDef | ast.AsyncFor | ast.AsyncWith):
            message = "async code is not allowed"
        elif isinstance(stmt, ast.FunctionDef):
            message = f"nested function {stmt.name!r} is not yet supported"
            hint = "define it at module level"
            self.diagnostics.reject("unsupported-construct", message, stmt, hint)
        elif module_level and isinstance(stmt, ast.Expr):
            message = "module-level expressions are not allowed"
            hint = 'put local runs under `if __name__ == "__main__":`'
        else:
            word = {"ClassDef": "class", "ImportFrom": "from-import"}.get(kind_, kind_.lower())
            message = f"`{word}` statements are not allowed here"
        self.diagnostics.reject("forbidden-statement", message, stmt, hint)

    def assign(self, target: ast.expr, value: Any) -> None:
        """Bind ``value`` to a name or unpack it into a tuple/list of names."""
        if isinstance(target, ast.Tuple | ast.List):
            with self.diagnostics.located(target):
                items = fo.sequence(value) if fo.is_constant(value) else None
            if items is None or len(items) != len(target.elts):
                message = f"cannot unpack {kind(value)} into {len(target.elts)} names"
                self.diagnostics.reject("unsupported-assignment", message, target)
            for elt, item in zip(target.elts, items, strict=True):
                self.assign(elt, item)
            return
        if not isinstance(target, ast.Name):
            message = f"cannot assign to {snippet(target)!r}; only to simple names"
            self.diagnostics.reject("unsupported-assignment", message, target)
        self.scope.check_name(target.id, target)
        if not (fo.is_constant(value) or isinstance(value, STORABLE)):
            message = f"{target.id!r} must be a constant, a register or a qubit, not {kind(value)}"
            self.diagnostics.reject("unsupported-assignment", message, target)
        self.scope.store(target.id, value)

    def _stmt_Expr(self, stmt: ast.Expr) -> None:
        if is_docstring(stmt):
            return
        if not isinstance(stmt.value, ast.Call):
            message = f"{describe(stmt.value)} has no effect"
            hint = "call a gate or a function"
            self.diagnostics.reject("unsupported-statement", message, stmt, hint)
        self.parts.expressions.eval(stmt.value)

    def _stmt_Pass(self, stmt: ast.Pass) -> None:
        return

    def _stmt_Return(self, stmt: ast.Return) -> None:
        message = "`return` is only allowed as the last statement of a function"
        self.diagnostics.reject("unsupported-statement", message, stmt)

    def _stmt_Assign(self, stmt: ast.Assign) -> None:
        value = self.parts.expressions.eval(stmt.value)
        for target in stmt.targets:
            self.assign(target, value)

    def _stmt_AnnAssign(self, stmt: ast.AnnAssign) -> None:
        if stmt.value is not None:  # the annotation itself is never evaluated
            self.assign(stmt.target, self.parts.expressions.eval(stmt.value))

    def _stmt_AugAssign(self, stmt: ast.AugAssign) -> None:
        target = stmt.target
        if not isinstance(target, ast.Name):
            self.diagnostics.reject("unsupported-assignment", "only names can be assigned", target)
        current = self.scope.lookup(target.id, target)
        operand = self.parts.expressions.eval(stmt.value)
        with self.diagnostics.located(stmt):
            value = fo.binary(type(stmt.op).__name__, current, operand)
        self.assign(target, value)

    def _stmt_For(self, stmt: ast.For) -> None:
        if stmt.orelse:
            message = "`for ... else` is not supported"
            self.diagnostics.reject("unsupported-construct", message, stmt)
        iterable = self.parts.expressions.eval(stmt.iter)
        with self.diagnostics.located(stmt.iter):
            items = _iteration(iterable)
        self.parts.budget.before_loop(stmt, len(items))
        for item in items:
            self.assign(stmt.target, item)
            self.block(stmt.body)

    def _stmt_If(self, stmt: ast.If) -> None:
        test = self.parts.expressions.eval(stmt.test)
        if not fo.is_constant(test):
            message = f"the condition is {kind(test)}, not a compile-time constant"
            hint = "branch only on constants, parameters and loop indices"
            self.diagnostics.reject("non-constant-if", message, stmt.test, hint)
        with self.diagnostics.located(stmt.test):
            self.block(stmt.body if fo.truth(test) else stmt.orelse)

    def _stmt_FunctionDef(self, stmt: ast.FunctionDef) -> None:
        self.parts.hybrid_values.nested_function(stmt)


def _iteration(v: Any) -> Sequence[Any]:
    """The items a ``for`` loop runs over (ranges are not materialised)."""
    if isinstance(v, QReg):
        return [QubitRef(v.offset + i) for i in range(v.size)]
    if isinstance(v, CReg):
        return [ClbitRef(v.offset + i) for i in range(v.size)]
    if isinstance(v, tuple | range | Array):
        return fo.sequence(v)
    raise Problem(
        "bad-argument",
        f"a loop runs over range(...), a tuple, an array or a register, not {kind(v)}",
    )
