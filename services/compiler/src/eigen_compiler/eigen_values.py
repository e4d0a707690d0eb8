"""Compile-time values of Eigen-Lang: symbols, constant folding and circuit building.

Everything here is pure and position-free: problems raise :class:`Problem` (rule, message,
hint) and the AST walker (:mod:`eigen_compiler.eigen_frontend`) attaches line and column.
:class:`CircuitBuilder` mirrors :class:`eigen_lang.circuit.Recorder` — the local runtime's
addressing rules — so a program compiles to the circuit it records when run locally.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eigen_common.aqo import Operation

Number = int | float
_MAX_INT_BITS = 1024


class Problem(Exception):
    """A rejected construct; the caller adds the source position."""

    def __init__(self, rule: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.rule, self.message, self.hint = rule, message, hint


# --- symbol values ------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleRef:
    """An imported module; ``name`` is canonical (eigen_lang, math, numpy, typing)."""

    name: str


@dataclass(frozen=True)
class LibRef:
    """A public name of ``eigen_lang`` (gate, instruction, register type, decorator)."""

    name: str


@dataclass(frozen=True)
class PureFunction:
    """An allowlisted pure numeric function (``math.sqrt``, ``abs``, ...)."""

    qualname: str
    fn: Callable[..., Any]


@dataclass(frozen=True)
class AnnotationOnly:
    """A name usable only in annotations (``typing.Optional``)."""

    qualname: str


@dataclass(frozen=True)
class QReg:
    """A qubit register: flat qubits ``offset .. offset + size - 1``."""

    offset: int
    size: int


@dataclass(frozen=True)
class CReg:
    """A classical register: flat clbits ``offset .. offset + size - 1``."""

    offset: int
    size: int


@dataclass(frozen=True)
class QubitRef:
    """One qubit (flat index)."""

    index: int


@dataclass(frozen=True)
class ClbitRef:
    """One classical bit (flat index)."""

    index: int


# --- allowlists ---------------------------------------------------------------------------

_MATH: dict[str, Any] = {
    "pi": math.pi, "e": math.e, "tau": math.tau, "sqrt": math.sqrt, "sin": math.sin,
    "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos, "atan": math.atan,
    "atan2": math.atan2, "exp": math.exp, "log": math.log, "log2": math.log2,
    "log10": math.log10, "radians": math.radians, "degrees": math.degrees, "fabs": math.fabs,
    "floor": math.floor, "ceil": math.ceil, "hypot": math.hypot,
}  # fmt: skip
# numpy's scalar functions, evaluated with the equal-valued math functions (float results).
_NUMPY: dict[str, Any] = {
    "pi": math.pi, "e": math.e, "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos,
    "tan": math.tan, "arcsin": math.asin, "arccos": math.acos, "arctan": math.atan,
    "arctan2": math.atan2, "exp": math.exp, "log": math.log, "log2": math.log2,
    "log10": math.log10, "radians": math.radians, "degrees": math.degrees,
    "deg2rad": math.radians, "rad2deg": math.degrees, "abs": math.fabs,
    "floor": lambda v: float(math.floor(v)), "ceil": lambda v: float(math.ceil(v)),
}  # fmt: skip
BUILTINS: dict[str, Callable[..., Any]] = {
    "abs": abs, "float": float, "int": int, "round": round, "min": min, "max": max,
}  # fmt: skip


def module_member(module: str, name: str) -> Number | PureFunction:
    """Resolve ``math.<name>`` or ``numpy.<name>`` to a constant or a pure function.

    Raises:
        Problem: ``forbidden-name`` when ``name`` is not allowlisted.
    """
    table = _MATH if module == "math" else _NUMPY
    value = table.get(name)
    if value is None:
        allowed = ", ".join(sorted(table))
        message = f"{module}.{name} is not available in Eigen-Lang"
        raise Problem("forbidden-name", message, f"allowed: {allowed}")
    return value if isinstance(value, float) else PureFunction(f"{module}.{name}", value)


# --- numbers ------------------------------------------------------------------------------


def is_int(v: Any) -> bool:
    """True for ``int`` but not ``bool``."""
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    """True for ``int``/``float`` but not ``bool``."""
    return isinstance(v, int | float) and not isinstance(v, bool)


def number(v: Any) -> Number:
    """Return ``v`` if it is a number. Raises ``Problem('bad-argument')`` otherwise."""
    if not is_number(v):
        raise Problem("bad-argument", f"expected a number, got {kind(v)}")
    return v  # type: ignore[no-any-return]


def checked(v: Any) -> Number:
    """Return a finite real result. Raises ``Problem('numeric-error')`` otherwise."""
    if not is_number(v):
        raise Problem("numeric-error", "the result is not a real number")
    if isinstance(v, float) and not math.isfinite(v):
        raise Problem("numeric-error", "the result is not finite")
    if isinstance(v, int) and v.bit_length() > _MAX_INT_BITS:
        raise Problem("numeric-error", "integer result is too large")
    return v  # type: ignore[no-any-return]


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "Add": lambda a, b: a + b,
    "Sub": lambda a, b: a - b,
    "Mult": lambda a, b: a * b,
    "Div": lambda a, b: a / b,
    "FloorDiv": lambda a, b: a // b,
    "Mod": lambda a, b: a % b,
    "Pow": lambda a, b: _power(a, b),
}


def binary(operator: str, left: Any, right: Any) -> Number:
    """Fold ``left <operator> right`` (``operator`` is an ``ast`` class name such as ``Add``).

    Raises:
        Problem: ``unsupported-expression`` (other operators), ``bad-argument`` (non-numbers),
            ``numeric-error`` (division by zero, overflow, complex or non-finite results).
    """
    fn = _OPERATORS.get(operator)
    if fn is None:
        raise Problem("unsupported-expression", f"operator {operator} is not supported")
    a, b = number(left), number(right)
    try:
        return checked(fn(a, b))
    except (ZeroDivisionError, OverflowError, ValueError) as exc:
        raise Problem("numeric-error", f"cannot evaluate: {exc}") from None


def _power(a: Number, b: Number) -> Number:
    """``a ** b`` without runaway big-integer work (large integer powers go through floats)."""
    if isinstance(a, int) and isinstance(b, int) and b >= 0 and a.bit_length() * b <= 256:
        result: int = a**b
        return result
    return math.pow(a, b)  # ValueError for a complex result, OverflowError when too large


def call_pure(fn: PureFunction, args: Sequence[Any]) -> Number:
    """Call an allowlisted function on numbers (``len`` takes a register).

    Raises:
        Problem: ``bad-argument`` or ``numeric-error``.
    """
    if fn.qualname == "len":
        if len(args) != 1 or not isinstance(args[0], QReg | CReg):
            raise Problem("bad-argument", "len() takes one register")
        return args[0].size
    nums = [number(a) for a in args]
    try:
        return checked(fn.fn(*nums))
    except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
        raise Problem("numeric-error", f"{fn.qualname}(): {exc}") from None


def kind(v: Any) -> str:
    """Describe a value for messages (``a qubit``, ``int 3``)."""
    if type(v) in _KINDS:
        return _KINDS[type(v)]
    if v is None:
        return "None (the call returns nothing)"
    return f"{type(v).__name__} {v!r}"[:60]


_KINDS: dict[type, str] = {
    QReg: "a QubitRegister",
    CReg: "a ClassicalRegister",
    QubitRef: "a qubit",
    ClbitRef: "a clbit",
    PureFunction: "a function",
    LibRef: "a function",
    ModuleRef: "a module",
}


# --- circuit building ---------------------------------------------------------------------


@dataclass
class CircuitBuilder:
    """Qubit/clbit allocation and emitted AQO operations of one program.

    Rules (shared with the local runtime): registers take the next flat indices; before the
    first register of a kind, integer bits grow the circuit; afterwards they must be in range.
    """

    max_qubits: int
    max_operations: int
    num_qubits: int = 0
    num_clbits: int = 0
    qubit_registers: int = 0
    clbit_registers: int = 0
    ops: list[Operation] = field(default_factory=list)

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
            return list(range(v.offset, v.offset + v.size))
        if is_int(v):
            return [self._int_bit(v, clbit=False)]
        message = f"expected a qubit, a QubitRegister or an integer, got {kind(v)}"
        raise Problem("bad-argument", message)

    def clbits(self, v: Any) -> list[int]:
        """Flat clbits of a clbit, a register or an integer."""
        if isinstance(v, ClbitRef):
            return [v.index]
        if isinstance(v, CReg):
            return list(range(v.offset, v.offset + v.size))
        if is_int(v):
            return [self._int_bit(v, clbit=True)]
        message = f"expected a clbit, a ClassicalRegister or an integer, got {kind(v)}"
        raise Problem("bad-argument", message)

    def all_qubits(self) -> list[int]:
        """Every qubit known so far (``measure_all()`` / ``barrier()`` without arguments)."""
        return list(range(self.num_qubits))

    def emit(self, op: Operation) -> None:
        """Append ``op``. Raises ``Problem('too-many-operations')`` past the limit."""
        if len(self.ops) >= self.max_operations:
            message = f"the program has more than {self.max_operations} operations"
            raise Problem("too-many-operations", message)
        self.ops.append(op)

    def gate(self, name: str, params: list[float], qargs: list[list[int]]) -> None:
        """Apply gate ``name`` with broadcasting (length-1 arguments are reused)."""
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
