"""Diagnostics of one program: positions from AST nodes, collection, and the two unwinders.

Every finding becomes a :class:`~eigen_common.errors.Diagnostic` with a 1-based line and a
1-based column counted in characters (Python's ``col_offset`` counts UTF-8 bytes).
:class:`Reject` abandons the current statement with one diagnostic; :class:`Silent` abandons it
without one (its cause is already reported).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from eigen_common.errors import Diagnostic
from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.model import source_lines


class Reject(Exception):
    """Abort the current statement with one positioned diagnostic."""

    def __init__(self, diag: Diagnostic):
        super().__init__(diag.message)
        self.diag = diag


class Silent(Exception):
    """Abandon a statement that uses a name whose assignment already failed (reported)."""


class Diagnostics:
    """The findings of one program, in the order they were made.

    Args:
        source: the program text (for columns in characters).
    """

    def __init__(self, source: str) -> None:
        self.lines = source_lines(source)
        self.items: list[Diagnostic] = []

    def at(
        self,
        rule: str,
        message: str,
        node: ast.AST | None = None,
        hint: str = "",
        severity: str = "error",
    ) -> Diagnostic:
        """A diagnostic at ``node`` (1-based column in characters, not UTF-8 bytes)."""
        line = getattr(node, "lineno", 0) or 0
        column = 0
        if line:
            text = self.lines[line - 1] if line <= len(self.lines) else ""
            offset = getattr(node, "col_offset", 0) or 0
            column = len(text.encode("utf-8")[:offset].decode("utf-8", "replace")) + 1
        return Diagnostic(rule, message, line, column, hint, severity)

    def add(self, diag: Diagnostic) -> None:
        """Record ``diag`` as it is."""
        self.items.append(diag)

    def error(self, rule: str, message: str, node: ast.AST | None, hint: str = "") -> None:
        """Record an error at ``node``; lowering continues."""
        self.items.append(self.at(rule, message, node, hint))

    def warn(self, rule: str, message: str, node: ast.AST | None = None) -> None:
        """Record a warning at ``node``."""
        self.items.append(self.at(rule, message, node, severity="warning"))

    def reject(self, rule: str, message: str, node: ast.AST, hint: str = "") -> NoReturn:
        """Abandon the current statement with an error at ``node``.

        Raises:
            Reject: always.
        """
        raise Reject(self.at(rule, message, node, hint))

    def positioned(self, problem: Problem, node: ast.AST) -> Reject:
        """The :class:`Reject` of a position-free :class:`.Problem` raised at ``node``."""
        return Reject(self.at(problem.rule, problem.message, node, problem.hint))

    @contextmanager
    def located(self, node: ast.AST) -> Iterator[None]:
        """Position any :class:`.Problem` raised inside at ``node``."""
        try:
            yield
        except Problem as p:
            raise self.positioned(p, node) from None

    def errors(self) -> int:
        """Number of errors recorded so far."""
        return sum(d.severity == "error" for d in self.items)

    def has_errors(self) -> bool:
        """True once any error is recorded."""
        return any(d.severity == "error" for d in self.items)
