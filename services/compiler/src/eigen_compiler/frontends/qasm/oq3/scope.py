"""Names of an OpenQASM 3 program while it is lowered: variables, qubits and definitions.

Scopes nest (blocks, loop bodies); a gate or subroutine body starts a *closed* scope that sees
only its own names plus the program's constants and definitions (OpenQASM 3 scoping). Every
variable remembers the run-time nesting ``level`` it was declared at: a statement under a
run-time condition may only change variables of its own level (see :mod:`.interp`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.values import Ty, Val
from eigen_ir.aqo_conditions import Bit


@dataclass(eq=False)
class Var:
    """A classical variable (``const`` ones never change); ``io`` is input, output or ''."""

    name: str
    ty: Ty
    val: Val
    level: int
    const: bool = False
    io: str = ""
    top: bool = False
    order: int = 0
    node: Any = None


@dataclass(eq=False)
class Qubits:
    """A qubit, register, alias or gate/subroutine argument: global qubit indices."""

    name: str
    indices: tuple[int, ...]
    single: bool


@dataclass(eq=False)
class Definition:
    """A ``gate``, ``def`` or ``extern`` (``kind``) and its AST node."""

    kind: str
    node: Any


Symbol = Var | Qubits | Definition


@dataclass
class _Frame:
    names: dict[str, Symbol] = field(default_factory=dict)
    closed: bool = False


class Scopes:
    """The stack of scopes; the first is the program's global scope."""

    def __init__(self) -> None:
        self.frames: list[_Frame] = [_Frame()]
        self.declared = 0

    @property
    def at_top(self) -> bool:
        """True in the global scope."""
        return len(self.frames) == 1

    def push(self, closed: bool = False) -> None:
        """Open a block scope (``closed``: a gate or subroutine body)."""
        self.frames.append(_Frame(closed=closed))

    def pop(self) -> None:
        """Close the innermost scope."""
        self.frames.pop()

    def declare(self, name: str, symbol: Symbol) -> None:
        """Add ``symbol`` to the innermost scope.

        Raises:
            QasmError: ``name`` is already declared in that scope (or is a global definition).
        """
        frame = self.frames[-1]
        if name in frame.names or isinstance(self.frames[0].names.get(name), Definition):
            raise QasmError("qasm-syntax", f"{name!r} is already declared")
        if isinstance(symbol, Var):
            symbol.top = self.at_top
            symbol.order = self.declared
            self.declared += 1
        frame.names[name] = symbol

    def alias(self, name: str, symbol: Symbol) -> None:
        """Make ``name`` another name of an existing ``symbol`` in the innermost scope.

        Used for a subroutine's returned variable written straight into the caller's.
        """
        self.frames[-1].names[name] = symbol

    def lookup(self, name: str) -> Symbol | None:
        """The visible symbol called ``name``, or None."""
        for frame in reversed(self.frames):
            if name in frame.names:
                return frame.names[name]
            if frame.closed:
                break
        symbol = self.frames[0].names.get(name)
        if isinstance(symbol, Definition) or (isinstance(symbol, Var) and symbol.const):
            return symbol
        return None

    def variables(self) -> Iterator[Var]:
        """Every variable of every scope once, innermost last (also the hidden callers' ones)."""
        seen: set[int] = set()
        for frame in self.frames:
            for symbol in frame.names.values():
                if isinstance(symbol, Var) and id(symbol) not in seen:
                    seen.add(id(symbol))
                    yield symbol

    def slot_users(self, slot: int) -> int:
        """How many cells of all variables hold measurement ``slot``."""
        target = Bit(slot)
        count = 0
        for var in self.variables():
            if isinstance(var.val.data, tuple):
                count += sum(1 for c in var.val.data if c == target)
        return count

    def globals(self) -> list[Var]:
        """The global scope's variables in declaration order."""
        return sorted(
            (s for s in self.frames[0].names.values() if isinstance(s, Var)),
            key=lambda v: v.order,
        )
