"""Expressions of the OpenQASM 3 lowering: evaluated when compiling, or kept as run-time bits.

Everything without a measured value is computed here with OpenQASM 3's rules (integer
division truncates, ``int[n]`` wraps, ``angle[n]`` is modular, ``float[32]`` rounds). Measured
values support what a circuit can use: bit access, casts between bit arrays, ``uint``, ``int``,
``angle`` and ``bool``, bitwise and logical operators, comparisons (they become run-time
conditions), and sums and scalings as gate angles (:class:`~.values.Linear`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from openqasm3 import ast

from eigen_compiler.frontends.qasm.oq3 import casts
from eigen_compiler.frontends.qasm.oq3.casts import cells_of
from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.scope import Definition, Qubits, Var
from eigen_compiler.frontends.qasm.oq3.state import State
from eigen_compiler.frontends.qasm.oq3.values import (
    BOOL,
    FLOAT,
    INT,
    TAU,
    UINT,
    Ty,
    Val,
    cells_int,
    check_int,
    int_cells,
    number,
)

_CONSTANTS = {"pi": math.pi, "π": math.pi, "tau": TAU, "τ": TAU, "euler": math.e, "ℇ": math.e}
_MATH: dict[str, Callable[[float], float]] = {
    "arccos": math.acos,
    "arcsin": math.asin,
    "arctan": math.atan,
    "cos": math.cos,
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "sqrt": math.sqrt,
    "tan": math.tan,
}
_SYMBOLIC_MATH = {"arccos", "arcsin", "arctan", "cos", "exp", "log", "sin", "tan"}


class Expressions(State):
    """The evaluator part of :class:`~.interp.Interpreter`."""

    def ev(self, node: Any) -> Val:
        """The value of expression ``node``.

        Raises:
            QasmError: an undefined name, a type error or an unsupported construct.
        """
        if isinstance(node, ast.IntegerLiteral):
            return Val(INT, check_int(node.value))
        if isinstance(node, ast.FloatLiteral):
            return Val(FLOAT, float(node.value))
        if isinstance(node, ast.BooleanLiteral):
            return Val(BOOL, bool(node.value))
        if isinstance(node, ast.BitstringLiteral):
            return Val(Ty("bit", node.width), int_cells(node.value, node.width))
        if isinstance(node, ast.Identifier):
            return self.identifier(node)
        if isinstance(node, ast.IndexExpression):
            return self.index(self.ev(node.collection), node.index, node)
        if isinstance(node, ast.UnaryExpression):
            return self.unary(node.op.name, self.ev(node.expression), node)
        if isinstance(node, ast.BinaryExpression):
            return self.binary(node.op.name, self.ev(node.lhs), self.ev(node.rhs), node)
        if isinstance(node, ast.Cast):
            return casts.cast(self.ev(node.argument), self.ty(node.type), node)
        if isinstance(node, ast.FunctionCall):
            return self.function(node)
        if isinstance(node, ast.Concatenation):
            left, right = self.ev(node.lhs), self.ev(node.rhs)
            cells = cells_of(left, node) + cells_of(right, node)
            return Val(Ty("bit", len(cells)), cells)
        if isinstance(node, ast.SizeOf):
            return self.size_of(node)
        if isinstance(node, ast.QuantumMeasurement):
            return self.measure_value(node)
        what = {
            ast.ImaginaryLiteral: "complex numbers",
            ast.DurationLiteral: "durations",
            ast.DurationOf: "durationof",
            ast.ArrayLiteral: "arrays",
        }.get(type(node), f"the expression {type(node).__name__}")
        raise QasmError("qasm3-unsupported", f"{what} are not supported", node)

    def identifier(self, node: ast.Identifier) -> Val:
        """The value a name has (variables, ``pi``/``tau``/``euler``)."""
        name = node.name
        symbol = self.scopes.lookup(name)
        if isinstance(symbol, Var):
            return symbol.val
        if symbol is None and name in _CONSTANTS:
            return Val(FLOAT, _CONSTANTS[name])
        if isinstance(symbol, Qubits):
            raise QasmError("qasm-syntax", f"{name!r} is a qubit, not a classical value", node)
        if isinstance(symbol, Definition):
            raise QasmError("qasm-syntax", f"{name!r} is a {symbol.kind}, not a value", node)
        raise QasmError("qasm-syntax", f"{name!r} is not defined", node)

    def positions(self, index: Any, size: int, node: Any) -> tuple[list[int], bool]:
        """The positions an index selects in a collection of ``size``.

        Returns them and whether the index selects one element (not a range or a set).
        """
        if isinstance(index, ast.DiscreteSet):
            out = [self.position(v, size, node) for v in index.values]
            return out, False
        if not isinstance(index, list) or len(index) != 1:
            raise QasmError(
                "qasm3-unsupported", "multi-dimensional indexing is not supported", node
            )
        item = index[0]
        if isinstance(item, ast.RangeDefinition):
            start = 0 if item.start is None else self.integer(item.start)
            stop = size - 1 if item.end is None else self.integer(item.end)
            step = 1 if item.step is None else self.integer(item.step)
            if step == 0:
                raise QasmError("qasm-syntax", "a range step cannot be 0", node)
            start, stop = _wrap_index(start, size, node), _wrap_index(stop, size, node)
            return list(range(start, stop + (1 if step > 0 else -1), step)), False
        return [self.position(item, size, node)], True

    def position(self, item: Any, size: int, node: Any) -> int:
        """One index, negative ones counting from the end."""
        return _wrap_index(self.integer(item), size, node)

    def integer(self, node: Any) -> int:
        """A compile-time integer (an index, a width, a loop bound)."""
        v = self.ev(node)
        value = number(v)
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and v.ty.kind != "float":
                return int(value)
            raise QasmError("qasm-syntax", f"expected an integer, got {v.ty}", node)
        return value

    def index(self, v: Val, index: Any, node: Any) -> Val:
        """``v[index]``: one bit, or a bit array for a range or set."""
        cells = cells_of(v, node)
        picked, single = self.positions(index, len(cells), node)
        if single:
            return Val(Ty("bit"), (cells[picked[0]],))
        return Val(Ty("bit", len(picked)), tuple(cells[i] for i in picked))

    def size_of(self, node: ast.SizeOf) -> Val:
        """``sizeof``: the size of a register or sized value."""
        target = node.target
        if isinstance(target, ast.Identifier) and isinstance(
            self.scopes.lookup(target.name), Qubits
        ):
            return Val(UINT, len(self.qubits_of(target).indices))
        v = self.ev(target)
        if v.ty.width is None:
            raise QasmError("qasm-syntax", f"sizeof of {v.ty}: it has no size", node)
        return Val(UINT, v.ty.width)

    def function(self, node: ast.FunctionCall) -> Val:
        """A built-in function (``sin``, ``popcount``, ``rotl``, ...) or a subroutine call."""
        name = node.name.name
        if self.scopes.lookup(name) is not None:
            return self.call(node)
        args = [self.ev(a) for a in node.arguments]
        if name in _MATH and len(args) == 1:
            if args[0].symbolic:
                if name not in _SYMBOLIC_MATH:
                    raise QasmError("qasm3-unsupported", f"{name} of an unbound input", node)
                return Val(FLOAT, getattr(number(args[0]), name)())
            x = float(number(args[0]))
            try:
                return Val(FLOAT, _MATH[name](x))
            except (ValueError, OverflowError):
                raise QasmError("numeric-error", f"{name}({x}) is not defined", node) from None
        if name in ("ceiling", "floor") and len(args) == 1:
            x = float(number(args[0]))
            if not math.isfinite(x):
                raise QasmError("numeric-error", f"{name}({x}) is not finite", node)
            return Val(FLOAT, float(math.ceil(x) if name == "ceiling" else math.floor(x)))
        if name in ("mod", "pow") and len(args) == 2:
            return self.arithmetic("%" if name == "mod" else "**", args[0], args[1], node)
        if name == "popcount" and len(args) == 1:
            cells = cells_of(args[0], node)
            value = cells_int(cells)
            if value is None:
                raise QasmError("qasm3-unsupported", "popcount of measured bits", node)
            return Val(UINT, bin(value).count("1"))
        if name in ("rotl", "rotr") and len(args) == 2:
            cells = cells_of(args[0], node)
            n = len(cells)
            k = self.integer_val(args[1], node) % max(n, 1)
            k = k if name == "rotr" else (n - k) % max(n, 1)
            return casts.normalise(Val(args[0].ty, cells[k:] + cells[:k]))
        raise QasmError("qasm-syntax", f"{name!r} is not a function that is defined", node)


def _wrap_index(i: int, size: int, node: Any) -> int:
    j = i + size if i < 0 else i
    if not 0 <= j < size:
        raise QasmError("qasm-syntax", f"index {i} is out of range for size {size}", node)
    return j
