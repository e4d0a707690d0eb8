"""Classical values of the OpenQASM 3 lowering: types, compile-time numbers and run-time bits.

A value known when compiling is a Python number (``int`` for integers and sized angles — an
``angle[n]`` is its integer ``k``, meaning ``k·2π/2ⁿ``; ``float``; ``bool``) or, for inputs left
unbound, a Qiskit ``ParameterExpression``. Bit arrays are tuples of *cells*, least significant
first; a cell is a :data:`~eigen_ir.aqo_conditions.BoolExpr`: ``Const`` for a known bit,
``Bit(slot)`` for a measured one (a slot is one write of a measurement, placed on a clbit at the
end, :mod:`.emit`) or a Boolean function of measured bits. Integers, angles and Booleans whose
value depends on a measurement are cells too. :class:`Linear` is a run-time number used as a gate
angle: ``offset + Σ weight·cell``.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

from qiskit.circuit import ParameterExpression

from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_ir.aqo_conditions import FALSE, TRUE, BoolExpr, Const

Cells = tuple[BoolExpr, ...]
#: Integer, unsigned and angle widths the lowering handles (run-time ones live in clbits).
MAX_WIDTH = 64
#: Magnitude beyond which a compile-time integer is an overflow.
MAX_INT = 1 << 128
TAU = 2 * math.pi


@dataclass(frozen=True)
class Ty:
    """A classical type: ``kind`` is bit, int, uint, float, angle or bool.

    ``width`` None: a single ``bit``, an unsized ``int``/``uint``/``angle``, ``float`` (64-bit).
    """

    kind: str
    width: int | None = None

    def __str__(self) -> str:
        return self.kind if self.width is None else f"{self.kind}[{self.width}]"

    @property
    def bits(self) -> int:
        """Number of cells a run-time value of this type has."""
        if self.kind in ("bool",) or (self.kind == "bit" and self.width is None):
            return 1
        if self.width is None:
            raise QasmError(
                "qasm3-unsupported",
                f"a run-time value cannot be held in an unsized {self.kind}; give it a width",
            )
        return self.width


BOOL = Ty("bool")
FLOAT = Ty("float")
INT = Ty("int")
UINT = Ty("uint")
ANGLE = Ty("angle")


@dataclass(frozen=True)
class Linear:
    """A run-time number ``offset + Σ weight·cell`` (cells are 0 or 1); only a gate angle."""

    offset: float
    terms: tuple[tuple[BoolExpr, float], ...]

    def scaled(self, factor: float) -> Linear:
        """``factor`` times this value."""
        return Linear(self.offset * factor, tuple((c, w * factor) for c, w in self.terms))

    def shifted(self, delta: float) -> Linear:
        """This value plus ``delta``."""
        return Linear(self.offset + delta, self.terms)


@dataclass(frozen=True)
class Val:
    """A typed value.

    ``data`` is a number, a ``ParameterExpression``, :data:`Cells` or :class:`Linear`.
    """

    ty: Ty
    data: Any

    @property
    def runtime(self) -> bool:
        """True when the value depends on a measurement."""
        if isinstance(self.data, Linear):
            return True
        if isinstance(self.data, tuple):
            return any(not isinstance(c, Const) for c in self.data)
        return False

    @property
    def symbolic(self) -> bool:
        """True for an expression of unbound ``input`` parameters."""
        return isinstance(self.data, ParameterExpression)


def check_int(value: int) -> int:
    """``value`` unless its magnitude is beyond :data:`MAX_INT` (an overflow)."""
    if abs(value) >= MAX_INT:
        raise QasmError("numeric-error", "integer overflow (beyond 2**128) at compile time")
    return value


def check_width(ty: Ty) -> Ty:
    """``ty`` unless its width is unusable."""
    if ty.width is not None:
        limit = MAX_WIDTH if ty.kind != "bit" else 1 << 20
        if ty.kind == "float" and ty.width not in (16, 32, 64):
            raise QasmError("qasm3-unsupported", f"{ty} is not supported; use float[32] or [64]")
        if not 0 < ty.width <= limit:
            raise QasmError("qasm3-unsupported", f"{ty}: widths are 1..{limit}")
    return ty


def wrap(value: int, ty: Ty) -> int:
    """An integer reduced to ``ty``.

    Two's complement for ``int[n]``, modulo for ``uint[n]`` and ``angle[n]``.
    """
    if ty.width is None:
        return check_int(value)
    mask = (1 << ty.width) - 1
    value &= mask
    if ty.kind == "int" and value >> (ty.width - 1):
        value -= 1 << ty.width
    return value


def int_cells(value: int, width: int) -> Cells:
    """The ``width`` low bits of ``value`` (two's complement) as constant cells."""
    return tuple(TRUE if (value >> k) & 1 else FALSE for k in range(width))


def cells_int(cells: Cells, signed: bool = False) -> int | None:
    """The integer of constant cells (None if any is a run-time bit)."""
    value = 0
    for k, cell in enumerate(cells):
        if not isinstance(cell, Const):
            return None
        value |= int(cell.value) << k
    if signed and cells and value >> (len(cells) - 1):
        value -= 1 << len(cells)
    return value


def round_float(value: float, ty: Ty) -> float:
    """``value`` rounded to ``float[32]``/``float[16]`` precision when the type says so."""
    if ty.width == 32:
        return float(struct.unpack("f", struct.pack("f", value))[0])
    if ty.width == 16:
        return float(struct.unpack("e", struct.pack("e", value))[0])
    return value


def angle_int(value: float, width: int) -> int:
    """The ``angle[width]`` nearest to ``value`` radians (modulo 2π, ties to even)."""
    if not math.isfinite(value):
        raise QasmError("numeric-error", f"angle {value} is not finite")
    steps = 1 << width
    return round(math.fmod(value, TAU) / TAU * steps) % steps  # ties to even, as specified


def number(v: Val) -> float | int | bool | ParameterExpression:
    """The compile-time number of ``v`` (angles in radians, bit arrays as unsigned integers).

    Raises:
        QasmError: ``v`` depends on a measurement.
    """
    data = v.data
    if isinstance(data, tuple):
        value = cells_int(data, signed=v.ty.kind == "int")
        if value is None:
            raise QasmError(
                "qasm3-unsupported",
                "this needs the value of a measured bit when compiling; only conditions, "
                "bit operations and gate angles may use measured values",
            )
        data = value
    if isinstance(data, Linear):
        raise QasmError("qasm3-unsupported", "a measured value is only usable here as a gate angle")
    if v.ty.kind == "angle" and v.ty.width is not None and isinstance(data, int):
        return data * TAU / (1 << v.ty.width)
    return data
