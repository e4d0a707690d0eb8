"""The position-free rejection raised by compile-time evaluation (the walker adds the position)."""

from __future__ import annotations


class Problem(Exception):
    """A rejected construct: ``rule`` (stable name), ``message`` and an optional ``hint``."""

    def __init__(self, rule: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.rule, self.message, self.hint = rule, message, hint
