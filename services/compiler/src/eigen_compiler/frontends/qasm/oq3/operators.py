"""Operators of the OpenQASM 3 lowering (OpenQASM 3's integer, float and angle rules).

Known values are computed exactly (integer division truncates, ``int[n]`` wraps, ``angle[n]``
is modular); comparisons of measured bits become Boolean functions of them (a comparison that
cannot vary is a ``constant-condition`` warning); arithmetic on measured values is limited to
sums and scalings used as gate angles (:class:`~.values.Linear`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from qiskit.circuit import ParameterExpression

from eigen_compiler.frontends.qasm.oq3 import casts
from eigen_compiler.frontends.qasm.oq3.casts import cells_of, to_bool, to_linear
from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.state import State
from eigen_compiler.frontends.qasm.oq3.values import (
    BOOL,
    FLOAT,
    INT,
    Linear,
    Ty,
    Val,
    check_int,
    number,
    wrap,
)
from eigen_ir.aqo_conditions import (
    BoolExpr,
    ConditionTooComplex,
    Const,
    conj,
    disj,
    disjoint_cubes,
    equal_bits,
    less_bits,
    neg,
    xor,
)

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_INTEGER = ("int", "uint", "bit", "bool")


class Operators(State):
    """The operators part of :class:`~.interp.Interpreter`."""

    def unary(self, op: str, v: Val, node: Any) -> Val:
        """A unary operator (``-``, ``!``, ``~``)."""
        if op == "!":
            b = to_bool(v, node)
            return Val(BOOL, (neg(b[0]),)) if isinstance(b, tuple) else Val(BOOL, not b)
        if op == "~":
            if isinstance(v.data, tuple) or v.ty.kind == "bit":
                return Val(v.ty, tuple(neg(c) for c in cells_of(v, node)))
            if v.ty.kind in ("int", "uint", "angle") and isinstance(v.data, int):
                return Val(v.ty, wrap(~v.data, v.ty))
            raise QasmError("qasm-syntax", f"~ is not defined for {v.ty}", node)
        # unary minus
        if v.runtime:
            return Val(FLOAT, to_linear(v, node).scaled(-1.0))
        if v.ty.kind == "angle" and v.ty.width is not None:
            return Val(v.ty, wrap(-int(v.data), v.ty))
        value = number(v)
        if isinstance(value, bool) or v.ty.kind == "bit":
            value = int(value)
        out = -value
        ty = v.ty if v.ty.kind in ("int", "float", "angle") else INT
        return Val(ty, wrap(out, ty) if isinstance(out, int) and ty.kind == "int" else out)

    def binary(self, op: str, a: Val, b: Val, node: Any) -> Val:
        """A binary operator."""
        if op in ("&&", "||"):
            x, y = to_bool(a, node), to_bool(b, node)
            if isinstance(x, tuple) or isinstance(y, tuple):
                xc = x[0] if isinstance(x, tuple) else Const(x)
                yc = y[0] if isinstance(y, tuple) else Const(y)
                return Val(BOOL, ((conj if op == "&&" else disj)(xc, yc),))
            return Val(BOOL, (x and y) if op == "&&" else (x or y))
        if op in _COMPARE:
            return self.compare(op, a, b, node)
        if op in ("&", "|", "^"):
            return self.bitwise(op, a, b, node)
        if op in ("<<", ">>"):
            return self.shift(op, a, self.integer_val(b, node), node)
        return self.arithmetic(op, a, b, node)

    def integer_val(self, v: Val, node: Any) -> int:
        """The known integer of ``v``."""
        value = number(v)
        if isinstance(value, bool) or not isinstance(value, int):
            raise QasmError("qasm-syntax", f"expected an integer, got {v.ty}", node)
        return value

    def compare(self, op: str, a: Val, b: Val, node: Any) -> Val:
        """A comparison: a bool, or a run-time condition over measured bits."""
        if a.symbolic or b.symbolic:
            raise QasmError(
                "qasm3-unsupported",
                "a comparison with an `input` parameter left unbound; bind it in the job inputs",
                node,
            )
        if not (a.runtime or b.runtime):
            x, y = _comparable(a, b)
            return Val(BOOL, _COMPARE[op](x, y))
        if (
            isinstance(a.data, Linear)
            or isinstance(b.data, Linear)
            or "float" in (a.ty.kind, b.ty.kind)
        ):
            raise QasmError(
                "qasm3-unsupported",
                "comparing measured values as numbers (after arithmetic or as floats) is not "
                "supported; compare bits, integers or angles of measured bits",
                node,
            )
        signed = "int" in (a.ty.kind, b.ty.kind)
        width = max(_width(a), _width(b))
        x = casts.cells_to_width(cells_of(a, node), width, a.ty.kind == "int")
        y = casts.cells_to_width(cells_of(b, node), width, b.ty.kind == "int")
        if signed and op not in ("==", "!="):  # two's complement order: flip the sign bits
            x = (*x[:-1], neg(x[-1]))
            y = (*y[:-1], neg(y[-1]))
        result = {
            "==": lambda: equal_bits(x, y),
            "!=": lambda: neg(equal_bits(x, y)),
            "<": lambda: less_bits(x, y),
            ">=": lambda: neg(less_bits(x, y)),
            ">": lambda: less_bits(y, x),
            "<=": lambda: neg(less_bits(y, x)),
        }[op]()
        known = _constant(result)
        if known is not None:
            self.warn(
                "constant-condition",
                f"this comparison of measured bits is always {str(known).lower()} "
                f"({_range(a)} {op} {_range(b)})",
                node,
            )
            return Val(BOOL, known)
        return Val(BOOL, (result,))

    def bitwise(self, op: str, a: Val, b: Val, node: Any) -> Val:
        """``& | ^`` on integers or bit arrays (measured bits stay Boolean functions)."""
        if isinstance(a.data, int) and isinstance(b.data, int) and a.ty.kind != "bit":
            fn = {"&": operator.and_, "|": operator.or_, "^": operator.xor}[op]
            ty = a.ty if a.ty.width is not None else b.ty
            return Val(
                ty, wrap(fn(a.data, b.data), ty) if ty.kind != "bool" else fn(a.data, b.data)
            )
        if a.ty.kind in ("bool",) and b.ty.kind in ("bool",):
            return (
                self.binary("&&" if op == "&" else "||", a, b, node)
                if op != "^"
                else Val(BOOL, (xor(*(casts.bool_cell(to_bool(v, node)) for v in (a, b))),))
            )
        x, y = cells_of(a, node), cells_of(b, node)
        width = max(len(x), len(y))
        x, y = casts.cells_to_width(x, width, False), casts.cells_to_width(y, width, False)
        ty = a.ty if a.ty.width is not None or a.ty.kind == "bit" else b.ty
        if op == "&":
            cells = tuple(conj(p, q) for p, q in zip(x, y, strict=True))
        elif op == "|":
            cells = tuple(disj(p, q) for p, q in zip(x, y, strict=True))
        else:
            cells = tuple(xor(p, q) for p, q in zip(x, y, strict=True))
        return casts.normalise(Val(ty, cells))

    def shift(self, op: str, a: Val, amount: int, node: Any) -> Val:
        """``<<``/``>>`` by a known amount (bits shifted off the end are lost)."""
        if amount < 0:
            raise QasmError("qasm-syntax", "a shift amount must not be negative", node)
        if isinstance(a.data, int) and a.ty.kind != "bit":
            out = a.data << min(amount, 256) if op == "<<" else a.data >> min(amount, 256)
            return Val(a.ty, wrap(out, a.ty))
        cells = cells_of(a, node)
        n = len(cells)
        k = min(amount, n)
        if op == "<<":
            shifted = (Const(False),) * k + cells[: n - k]
        else:
            fill = cells[-1] if a.ty.kind == "int" else Const(False)
            shifted = cells[k:] + (fill,) * k
        return casts.normalise(Val(a.ty, shifted))

    def arithmetic(self, op: str, a: Val, b: Val, node: Any) -> Val:
        """``a op b`` for ``+ - * / % **`` (OpenQASM 3 integer, float and angle rules)."""
        if a.runtime or b.runtime:
            return Val(FLOAT, _linear_arithmetic(op, a, b, node))
        if a.symbolic or b.symbolic:
            return Val(FLOAT, _symbolic_arithmetic(op, number(a), number(b), node))
        sized = _sized_angle_arithmetic(op, a, b, node)
        if sized is not None:
            return sized
        x, y = number(a), number(b)
        if a.ty.kind in _INTEGER and b.ty.kind in _INTEGER:
            return self.integer_arithmetic(op, int(x), int(y), a, b, node)
        return Val(FLOAT, _float_arithmetic(op, float(x), float(y), node))

    def integer_arithmetic(self, op: str, x: int, y: int, a: Val, b: Val, node: Any) -> Val:
        """Integer ``+ - * / % **`` (division truncates, sized types wrap)."""
        if op in ("/", "%") and y == 0:
            raise QasmError("numeric-error", "integer division by zero", node)
        if op == "/":
            out = abs(x) // abs(y) * (1 if (x >= 0) == (y >= 0) else -1)
            if x % y:
                self.warn(
                    "integer-division",
                    f"{x} / {y} is {out}: OpenQASM 3 divides integers as integers",
                    node,
                )
        elif op == "%":
            out = x - y * (abs(x) // abs(y) * (1 if (x >= 0) == (y >= 0) else -1))
        elif op == "**":
            if y < 0:
                return Val(FLOAT, _float_arithmetic(op, float(x), float(y), node))
            if abs(x) > 1 and y * math.log2(abs(x)) > 128:
                raise QasmError("numeric-error", "integer overflow (beyond 2**128)", node)
            out = x**y
        else:
            out = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op](x, y)
        unsigned = a.ty.kind in ("uint", "bit") and b.ty.kind in ("uint", "bit")
        widths = [t.width for t in (a.ty, b.ty) if t.kind in ("int", "uint")]
        sized = [w for w in widths if w is not None]
        width = max(sized) if sized and len(sized) == len(widths) else None
        ty = Ty("uint" if unsigned else "int", width)
        return Val(ty, wrap(check_int(out), ty))


def _constant(item: BoolExpr) -> bool | None:
    """True or False when ``item`` has that value whatever the measurements, else None."""
    if isinstance(item, Const):
        return item.value
    try:
        if not disjoint_cubes(item, limit=64):
            return False
        if not disjoint_cubes(neg(item), limit=64):
            return True
    except ConditionTooComplex:
        pass
    return None


def _range(v: Val) -> str:
    """A value for a message: its number, or the range of its type."""
    if not v.runtime:
        return str(number(v))
    n = len(v.data) if isinstance(v.data, tuple) else 0
    if v.ty.kind == "int":
        return f"{v.ty} (-{1 << (n - 1)}..{(1 << (n - 1)) - 1})"
    return f"{v.ty} (0..{(1 << n) - 1})"


def _width(v: Val) -> int:
    if isinstance(v.data, tuple):
        return len(v.data)
    if v.ty.width is not None:
        return v.ty.width
    value = number(v)
    return max(int(value).bit_length() + 1, 1)


def _comparable(a: Val, b: Val) -> tuple[Any, Any]:
    if (
        a.ty.kind == b.ty.kind == "angle"
        and a.ty.width == b.ty.width
        and isinstance(a.data, int)
        and isinstance(b.data, int)
    ):
        return a.data, b.data
    return number(a), number(b)


def _sized_angle_arithmetic(op: str, a: Val, b: Val, node: Any) -> Val | None:
    """OpenQASM 3's ``angle[n]`` arithmetic (modular, on the integer representation)."""
    sa = a.ty.kind == "angle" and a.ty.width is not None
    sb = b.ty.kind == "angle" and b.ty.width is not None
    if not (sa or sb):
        return None
    ints = ("int", "uint")
    if sa and sb and a.ty.width == b.ty.width and op in ("+", "-"):
        ka, kb = int(a.data), int(b.data)
        return Val(a.ty, wrap(ka + kb if op == "+" else ka - kb, a.ty))
    if sa and sb and a.ty.width == b.ty.width and op == "/":
        if int(b.data) == 0:
            raise QasmError("numeric-error", "division by a zero angle", node)
        return Val(Ty("uint", a.ty.width), int(a.data) // int(b.data))
    if op == "*" and ((sa and b.ty.kind in ints) or (sb and a.ty.kind in ints)):
        angle, k = (a, int(number(b))) if sa else (b, int(number(a)))
        return Val(angle.ty, wrap(int(angle.data) * k, angle.ty))
    if op == "/" and sa and b.ty.kind in ints:
        k = int(number(b))
        if k == 0:
            raise QasmError("numeric-error", "angle division by zero", node)
        return Val(a.ty, wrap(int(a.data) // k, a.ty))
    return None  # mixed with floats: computed in radians


def _float_arithmetic(op: str, x: float, y: float, node: Any) -> float:
    try:
        if op == "+":
            out = x + y
        elif op == "-":
            out = x - y
        elif op == "*":
            out = x * y
        elif op == "/":
            out = x / y
        elif op == "%":
            out = math.fmod(x, y)
        elif op == "**":
            out = float(x**y)
        else:
            raise QasmError("qasm-syntax", f"operator {op} is not defined for floats", node)
    except (ZeroDivisionError, ValueError, OverflowError, TypeError):
        raise QasmError("numeric-error", f"{x} {op} {y} is not a finite number", node) from None
    if not math.isfinite(out):
        raise QasmError("numeric-error", f"{x} {op} {y} is not finite", node)
    return out


def _symbolic_arithmetic(op: str, x: Any, y: Any, node: Any) -> ParameterExpression:
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        if not isinstance(y, ParameterExpression) and y == 0:
            raise QasmError("numeric-error", "division by zero", node)
        return x / y
    if op == "**":
        return x**y
    raise QasmError("qasm3-unsupported", f"operator {op} with an unbound input parameter", node)


def _linear_arithmetic(op: str, a: Val, b: Val, node: Any) -> Linear:
    """``a op b`` when a side is measured: only sums and scalings (a gate angle)."""
    if a.symbolic or b.symbolic:
        raise QasmError(
            "qasm3-unsupported", "arithmetic mixing measured values and unbound inputs", node
        )
    if op in ("+", "-"):
        x, y = to_linear(a, node), to_linear(b, node)
        if op == "-":
            y = y.scaled(-1.0)
        return Linear(x.offset + y.offset, x.terms + y.terms)
    if op == "*" and (not a.runtime or not b.runtime):
        lin, factor = (to_linear(a, node), b) if a.runtime else (to_linear(b, node), a)
        return lin.scaled(float(number(factor)))
    if op == "/" and not b.runtime:
        k = float(number(b))
        if k == 0:
            raise QasmError("numeric-error", "division by zero", node)
        return to_linear(a, node).scaled(1.0 / k)
    raise QasmError(
        "qasm3-unsupported",
        f"`{op}` on measured values: run-time arithmetic is limited to sums and scalings used "
        "as gate angles",
        node,
    )
