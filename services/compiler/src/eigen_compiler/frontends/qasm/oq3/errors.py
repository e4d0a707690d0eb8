"""The error of the OpenQASM 3 lowering: a rule, a message and the node it is about."""

from __future__ import annotations

from typing import Any


class QasmError(Exception):
    """A program the lowering rejects.

    Args:
        rule: ``qasm3-unsupported`` (valid OpenQASM 3 this platform cannot run), ``qasm-syntax``
            (an invalid program: undefined names, wrong types), ``numeric-error``,
            ``too-many-operations``, ``too-deep``.
        message: what is wrong, naming the construct.
        node: the ``openqasm3.ast`` node (its span gives the position); the statement being
            lowered is used when omitted.
        hint: how to fix it.
    """

    def __init__(self, rule: str, message: str, node: Any = None, hint: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.node = node
        self.hint = hint
