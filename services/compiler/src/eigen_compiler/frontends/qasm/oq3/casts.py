"""Conversions between the lowering's classical values (OpenQASM 3 casting rules).

Bit arrays, ``int[n]``, ``uint[n]``, ``angle[n]`` and ``bool`` reinterpret the same bits (a measured
value keeps its cells); numbers convert as the specification says: float → int truncates,
float → ``angle[n]`` rounds to the nearest step, ``int``/``float`` → ``bool`` is "not zero".
"""

from __future__ import annotations

from typing import Any

from qiskit.circuit import ParameterExpression

from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.values import (
    TAU,
    Cells,
    Linear,
    Ty,
    Val,
    angle_int,
    cells_int,
    check_width,
    int_cells,
    number,
    round_float,
    wrap,
)
from eigen_ir.aqo_conditions import FALSE, BoolExpr, Const, disj


def cells_to_width(cells: Cells, width: int, signed: bool) -> Cells:
    """``cells`` truncated or extended to ``width`` (sign-extended when ``signed``)."""
    if len(cells) >= width:
        return cells[:width]
    fill = cells[-1] if signed and cells else FALSE
    return cells + (fill,) * (width - len(cells))


def cells_of(v: Val, node: Any) -> Cells:
    """The bits of ``v``, least significant first.

    Raises:
        QasmError: ``v`` is a float, an unbound input or a run-time number.
    """
    data = v.data
    if isinstance(data, tuple):
        return data
    if isinstance(data, bool):
        return (Const(data),)
    if isinstance(data, int) and v.ty.kind in ("int", "uint", "angle", "bit"):
        width = v.ty.width if v.ty.width is not None else max(data.bit_length() + 1, 1)
        return int_cells(data, width)
    raise QasmError("qasm-syntax", f"a {v.ty} value has no bits to use here", node)


def normalise(v: Val) -> Val:
    """``v`` as a number when its type is numeric and all its bits are known."""
    if v.ty.kind in ("int", "uint", "angle", "bool") and isinstance(v.data, tuple):
        value = cells_int(v.data, signed=v.ty.kind == "int")
        if value is not None:
            return Val(v.ty, bool(value) if v.ty.kind == "bool" else value)
    return v


def to_bool(v: Val, node: Any) -> bool | tuple[BoolExpr]:
    """``v`` as a truth value: a bool, or a one-cell tuple when it depends on measurements."""
    if isinstance(v.data, tuple):
        cell = disj(*v.data)
        return cell.value if isinstance(cell, Const) else (cell,)
    if isinstance(v.data, Linear | ParameterExpression):
        raise QasmError(
            "qasm3-unsupported", "a truth value of a run-time number or an unbound input", node
        )
    return bool(number(v))


def bool_cell(b: bool | tuple[BoolExpr]) -> BoolExpr:
    """The cell of a :func:`to_bool` result."""
    return b[0] if isinstance(b, tuple) else Const(b)


def to_linear(v: Val, node: Any) -> Linear:
    """``v`` as a gate angle ``offset + Σ weight·cell`` (angles in radians)."""
    if isinstance(v.data, Linear):
        return v.data
    if isinstance(v.data, tuple) and v.runtime:
        n = len(v.data)
        if v.ty.kind == "angle":
            weights = [TAU * (1 << k) / (1 << n) for k in range(n)]
        else:
            weights = [float(1 << k) for k in range(n)]
            if v.ty.kind == "int":
                weights[-1] = -weights[-1]
        offset = 0.0
        terms: list[tuple[BoolExpr, float]] = []
        for cell, weight in zip(v.data, weights, strict=True):
            if isinstance(cell, Const):
                offset += weight if cell.value else 0.0
            else:
                terms.append((cell, weight))
        return Linear(offset, tuple(terms))
    if isinstance(v.data, ParameterExpression):
        raise QasmError(
            "qasm3-unsupported", "arithmetic mixing measured values and unbound inputs", node
        )
    return Linear(float(number(v)), ())


def cast(v: Val, ty: Ty, node: Any) -> Val:
    """``v`` converted to ``ty`` (explicit casts, declarations and assignments).

    Raises:
        QasmError: a conversion OpenQASM 3 does not define or this platform cannot make.
    """
    check_width(ty)
    kind = ty.kind
    if kind == "bool":
        b = to_bool(v, node)
        return Val(ty, b)
    if kind == "bit":
        if v.ty.kind == "float" or isinstance(v.data, Linear | ParameterExpression):
            raise QasmError("qasm-syntax", f"cannot convert {v.ty} to {ty}", node)
        cells = cells_of(v, node)
        width = 1 if ty.width is None else ty.width
        return Val(ty, cells_to_width(cells, width, v.ty.kind == "int"))
    if kind in ("int", "uint"):
        return _to_integer(v, ty, node)
    if kind == "float":
        return _to_float(v, ty, node)
    if kind == "angle":
        return _to_angle(v, ty, node)
    raise QasmError("qasm3-unsupported", f"values of type {ty} are not supported", node)


def _to_integer(v: Val, ty: Ty, node: Any) -> Val:
    if v.ty.kind == "angle":
        raise QasmError("qasm-syntax", f"cannot convert {v.ty} to {ty}; cast to bit[n] first", node)
    if isinstance(v.data, tuple):
        if ty.width is None:
            return normalise(Val(Ty(ty.kind, len(v.data)), v.data))
        cells = cells_to_width(v.data, ty.width, v.ty.kind == "int")
        return normalise(Val(ty, cells))
    if isinstance(v.data, Linear | ParameterExpression):
        raise QasmError(
            "qasm3-unsupported", f"cannot convert a run-time or unbound number to {ty}", node
        )
    value = number(v)
    if isinstance(value, float):
        if not value == value or value in (float("inf"), float("-inf")):
            raise QasmError("numeric-error", f"cannot convert {value} to {ty}", node)
        value = int(value)  # truncation towards zero
    return Val(ty, wrap(int(value), ty))


def _to_float(v: Val, ty: Ty, node: Any) -> Val:
    if v.runtime:
        return Val(ty, to_linear(v, node))
    if isinstance(v.data, ParameterExpression):
        return Val(ty, v.data)
    value = number(v)
    return Val(ty, round_float(float(value), ty))


def _to_angle(v: Val, ty: Ty, node: Any) -> Val:
    if ty.width is None:
        if v.runtime:
            return Val(ty, to_linear(v, node))
        if isinstance(v.data, ParameterExpression):
            return Val(ty, v.data)
        return Val(ty, float(number(v)))
    if v.ty.kind == "angle" and v.ty.width is not None and isinstance(v.data, int):
        shift = ty.width - v.ty.width
        k = v.data << shift if shift >= 0 else v.data >> -shift
        return Val(ty, wrap(k, ty))
    if v.ty.kind == "bit" or (isinstance(v.data, tuple) and v.ty.kind == "angle"):
        cells = cells_to_width(cells_of(v, node), ty.width, False)
        return normalise(Val(ty, cells))
    if v.ty.kind in ("int", "uint", "bool"):
        raise QasmError("qasm-syntax", f"cannot convert {v.ty} to {ty}", node)
    if isinstance(v.data, Linear | ParameterExpression):
        raise QasmError(
            "qasm3-unsupported",
            f"a run-time or unbound value cannot be held in {ty}; use `angle` without a size",
            node,
        )
    return Val(ty, angle_int(float(number(v)), ty.width))
