"""The circuit a program builds: qubit/clbit allocation and emitted AQO operations.

:class:`CircuitBuilder` mirrors :class:`eigen_lang.circuit.Recorder` — the local runtime's
addressing rules — so a program compiles to the circuit it records when run locally. Problems
raise :class:`.Problem`; the lowering adds the source position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eigen_compiler.frontends.eigen_lang.folding import is_int
from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.frontends.eigen_lang.values import ClbitRef, CReg, QReg, QubitRef, kind
from eigen_compiler.model import Limits
from eigen_ir.aqo import Operation


@dataclass
class CircuitBuilder:
    """Qubit/clbit allocation and emitted AQO operations of one program.

    Rules (shared with the local runtime): registers take the next flat indices; before the
    first register of a kind, integer bits grow the circuit; afterwards they must be in range.
    """

    max_qubits: int
    max_operations: int
    max_operands: int = 1 << 62
    num_qubits: int = 0
    num_clbits: int = 0
    qubit_registers: int = 0
    clbit_registers: int = 0
    operands: int = 0
    ops: list[Operation] = field(default_factory=list)
    _spans: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def within(cls, limits: Limits) -> CircuitBuilder:
        """An empty builder bounded by ``limits`` (qubits, operations and operands)."""
        return cls(limits.max_qubits, limits.max_operations, limits.max_operands)

    @property
    def max_clbits(self) -> int:
        """Classical bits allowed (four per allowed qubit)."""
        return 4 * self.max_qubits

    def allocate(self, quantum: bool, size: Any) -> QReg | CReg:
        """Allocate a register of ``size`` bits. Raises ``Problem`` on bad size or limits."""
        what = "QubitRegister" if quantum else "ClassicalRegister"
        if not is_int(size) or size < 1:
            raise Problem("bad-argument", f"{what} size must be a positive integer, got {size!r}")
        if quantum:
            if self.num_qubits + size > self.max_qubits:
                total = self.num_qubits + size
                message = f"the program would use {total} qubits; the limit is {self.max_qubits}"
                raise Problem("too-many-qubits", message)
            reg: QReg | CReg = QReg(self.num_qubits, size)
            self.num_qubits += size
            self.qubit_registers += 1
            return reg
        if self.num_clbits + size > self.max_clbits:
            total = self.num_clbits + size
            message = f"the program would use {total} clbits; the limit is {self.max_clbits}"
            raise Problem("too-many-clbits", message)
        reg = CReg(self.num_clbits, size)
        self.num_clbits += size
        self.clbit_registers += 1
        return reg

    def _int_bit(self, i: int, clbit: bool) -> int:
        word = "clbit" if clbit else "qubit"
        declared = self.clbit_registers if clbit else self.qubit_registers
        width = self.num_clbits if clbit else self.num_qubits
        if i < 0 or (declared and i >= width):
            message = f"{word} index {i} is out of range (the program has {width} {word}s)"
            raise Problem(f"{word}-out-of-range", message, f"declare more {word}s")
        limit = self.max_clbits if clbit else self.max_qubits
        if i >= limit:
            raise Problem(f"too-many-{word}s", f"{word} index {i} exceeds the limit {limit}")
        if not declared and i >= width:
            if clbit:
                self.num_clbits = i + 1
            else:
                self.num_qubits = i + 1
        return i

    def qubits(self, v: Any) -> list[int]:
        """Flat qubits of a qubit, a register or an integer."""
        if isinstance(v, QubitRef):
            return [v.index]
        if isinstance(v, QReg):
            return list(self._span(v.offset, v.size))
        if is_int(v):
            return [self._int_bit(v, clbit=False)]
        message = f"expected a qubit, a QubitRegister or an integer, got {kind(v)}"
        raise Problem("bad-argument", message)

    def clbits(self, v: Any) -> list[int]:
        """Flat clbits of a clbit, a register or an integer."""
        if isinstance(v, ClbitRef):
            return [v.index]
        if isinstance(v, CReg):
            return list(self._span(v.offset, v.size))
        if is_int(v):
            return [self._int_bit(v, clbit=True)]
        message = f"expected a clbit, a ClassicalRegister or an integer, got {kind(v)}"
        raise Problem("bad-argument", message)

    def all_qubits(self) -> list[int]:
        """Every qubit known so far (``measure_all()`` / ``barrier()`` without arguments)."""
        return list(self._span(0, self.num_qubits))

    def _span(self, offset: int, size: int) -> tuple[int, ...]:
        """``offset .. offset + size - 1``, one shared tuple per span (operands share ints)."""
        key = (offset, size)
        span = self._spans.get(key)
        if span is None:
            span = self._spans[key] = tuple(range(offset, offset + size))
        return span

    def emit(self, op: Operation) -> None:
        """Append ``op``.

        Raises:
            Problem: ``too-many-operations`` past the operation limit, ``result-too-large``
                past the operand limit (each qubit or clbit operand is at least 2 bytes of AQO).
        """
        if len(self.ops) >= self.max_operations:
            message = f"the program has more than {self.max_operations} operations"
            raise Problem("too-many-operations", message)
        self.operands += len(op.q) + len(op.c)
        if self.operands > self.max_operands:
            message = (
                f"the circuit has more than {self.max_operands} qubit and clbit operands; its "
                f"AQO would exceed the {2 * self.max_operands}-byte response limit"
            )
            raise Problem("result-too-large", message, "split the circuit into smaller jobs")
        self.ops.append(op)

    def gate(self, name: str, params: Sequence[float | str], qargs: list[list[int]]) -> None:
        """Apply gate ``name`` with broadcasting (length-1 arguments are reused)."""
        if all(len(q) == 1 for q in qargs):  # fast path: one qubit per argument
            qs = tuple(q[0] for q in qargs)
            if len(qs) > 1 and len(set(qs)) != len(qs):
                message = f"{name}() acts on the same qubit twice: {list(qs)}"
                raise Problem("duplicate-qubit", message)
            self.emit(Operation(name.upper(), qs, (), tuple(params)))
            return
        n = max(len(q) for q in qargs)
        if any(len(q) not in (1, n) for q in qargs):
            raise Problem("bad-argument", f"{name}(): register arguments must have equal lengths")
        for k in range(n):
            qs = tuple(q[k if len(q) > 1 else 0] for q in qargs)
            if len(set(qs)) != len(qs):
                message = f"{name}() acts on the same qubit twice: {list(qs)}"
                raise Problem("duplicate-qubit", message)
            self.emit(Operation(name.upper(), qs, (), tuple(params)))

    def measure(self, qs: list[int], cs: list[int]) -> None:
        """Measure ``qs`` into ``cs`` pairwise."""
        if len(qs) != len(cs):
            raise Problem("bad-argument", f"measure(): {len(qs)} qubit(s) but {len(cs)} clbit(s)")
        for q, c in zip(qs, cs, strict=True):
            self.emit(Operation("MEASURE", (q,), (c,)))

    def measure_all(self, qs: list[int]) -> None:
        """Measure ``qs`` into newly allocated clbits appended after the existing ones."""
        if not qs:
            raise Problem("bad-argument", "measure_all(): the program has no qubits")
        reg = self.allocate(False, len(qs))
        self.measure(qs, list(range(reg.offset, reg.offset + reg.size)))

    def reset(self, qs: list[int]) -> None:
        """Reset each qubit."""
        for q in qs:
            self.emit(Operation("RESET", (q,)))

    def barrier(self, qs: list[int]) -> None:
        """One barrier over ``qs`` (nothing when empty)."""
        if len(set(qs)) != len(qs):
            raise Problem("duplicate-qubit", f"barrier(): qubits must be distinct, got {qs}")
        if qs:
            self.emit(Operation("BARRIER", tuple(qs)))
