"""Constant folding: arithmetic, comparisons and truth of compile-time values.

Everything here is pure and position-free: problems raise :class:`.Problem` (rule, message,
hint) and the lowering attaches line and column. Numbers follow Python's semantics, except
where the numeric semantics of Eigen-Lang define them apart (docs/eigen-lang-numerics.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.frontends.eigen_lang.values import Array, ObservableValue, ParamRef, kind

Number = int | float
_MAX_INT_BITS = 1024
#: Longest sequence or array a program may build at compile time.
MAX_SEQUENCE = 100_000


def is_int(v: Any) -> bool:
    """True for ``int`` but not ``bool``."""
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    """True for ``int``/``float`` but not ``bool``."""
    return isinstance(v, int | float) and not isinstance(v, bool)


def param_arithmetic() -> Problem:
    """The diagnostic for arithmetic on a ``Param`` (AQO angles are names or numbers)."""
    return Problem(
        "param-arithmetic",
        "arithmetic on a Param is not supported: an AQO angle is a number or a parameter name",
        "use the Param itself as the angle, e.g. ry(Param('theta'), q[0])",
    )


def number(v: Any) -> Number:
    """Return ``v`` if it is a number. Raises ``Problem('bad-argument')`` otherwise."""
    if not is_number(v):
        if isinstance(v, ParamRef):
            raise param_arithmetic()
        raise Problem("bad-argument", f"expected a number, got {kind(v)}")
    return v  # type: ignore[no-any-return]


def checked(v: Any) -> Number:
    """Return a finite real result. Raises ``Problem('numeric-error')`` otherwise."""
    t = type(v)
    if t is float and math.isfinite(v):  # fast paths (hot: every folded number)
        return v  # type: ignore[no-any-return]
    if t is int and v.bit_length() <= _MAX_INT_BITS:
        return v  # type: ignore[no-any-return]
    if not is_number(v):
        raise Problem("numeric-error", "the result is not a real number")
    if isinstance(v, float) and not math.isfinite(v):
        raise Problem("numeric-error", "the result is not finite")
    if isinstance(v, int) and v.bit_length() > _MAX_INT_BITS:
        raise Problem("numeric-error", "integer result is too large")
    return v  # type: ignore[no-any-return]


@dataclass
class ElementBudget:
    """Sequence elements one program may build in total (bounds its memory and work)."""

    limit: int
    used: int = 0


_ELEMENTS: ContextVar[ElementBudget | None] = ContextVar("eigen_lang_elements", default=None)


@contextmanager
def element_budget(limit: int) -> Iterator[ElementBudget]:
    """Charge every sequence built inside the block (:func:`bounded_size`) to one budget."""
    budget = ElementBudget(limit)
    token = _ELEMENTS.set(budget)
    try:
        yield budget
    finally:
        _ELEMENTS.reset(token)


def bounded_size(n: Any) -> int:
    """``n`` as the length of a sequence to build, at most :data:`MAX_SEQUENCE`.

    The length is charged to the running :func:`element_budget`, so a loop cannot pile up
    sequences without bound either.

    Raises:
        Problem: ``bad-argument`` (not a non-negative integer), ``too-many-operations``.
    """
    if not is_int(n) or n < 0:
        raise Problem("bad-argument", f"array size must be a non-negative integer, got {n!r}")
    if n > MAX_SEQUENCE:
        raise Problem("too-many-operations", f"array of {n} elements exceeds {MAX_SEQUENCE}")
    budget = _ELEMENTS.get()
    if budget is not None:
        budget.used += n
        if budget.used > budget.limit:
            message = f"the program builds more than {budget.limit} sequence elements in total"
            raise Problem("too-many-operations", message, "build fewer or smaller arrays")
    return int(n)


def _power(a: Number, b: Number) -> Number:
    """``a ** b`` without runaway big-integer work (large integer powers go through floats)."""
    if isinstance(a, int) and isinstance(b, int) and b >= 0 and a.bit_length() * b <= 256:
        result: int = a**b
        return result
    return math.pow(a, b)  # ValueError for a complex result, OverflowError when too large


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "Add": lambda a, b: a + b,
    "Sub": lambda a, b: a - b,
    "Mult": lambda a, b: a * b,
    "Div": lambda a, b: a / b,
    "FloorDiv": lambda a, b: a // b,
    "Mod": lambda a, b: a % b,
    "Pow": lambda a, b: _power(a, b),
}


def binary(operator: str, left: Any, right: Any) -> Any:
    """Fold ``left <operator> right`` (``operator`` is an ``ast`` class name such as ``Add``).

    Numbers follow Python; arrays are element-wise with scalar broadcasting (numpy); tuples
    concatenate (``+``) and repeat (``* int``).

    Raises:
        Problem: ``unsupported-expression`` (other operators), ``bad-argument`` (wrong
            operand types), ``numeric-error`` (division by zero, overflow, non-finite results).
    """
    fn = _OPERATORS.get(operator)
    if fn is None:
        raise Problem("unsupported-expression", f"operator {operator} is not supported")
    lt, rt = type(left), type(right)
    if (lt is int or lt is float) and (rt is int or rt is float):  # fast path: plain numbers
        try:
            return checked(fn(left, right))
        except (ZeroDivisionError, OverflowError, ValueError) as exc:
            raise Problem("numeric-error", f"cannot evaluate: {exc}") from None
    if isinstance(left, Array) or isinstance(right, Array):
        return _array_binary(operator, left, right)
    if isinstance(left, tuple) and isinstance(right, tuple) and operator == "Add":
        bounded_size(len(left) + len(right))
        return left + right
    if operator == "Mult" and (isinstance(left, tuple) or isinstance(right, tuple)):
        seq, times = (left, right) if isinstance(left, tuple) else (right, left)
        if not is_int(times):
            raise Problem("bad-argument", "a tuple can only be repeated an integer number of times")
        bounded_size(len(seq) * max(times, 0))
        return seq * times
    if isinstance(left, ObservableValue) or isinstance(right, ObservableValue):
        return _observable_binary(operator, left, right)
    if isinstance(left, ParamRef) or isinstance(right, ParamRef):
        raise param_arithmetic()
    a, b = number(left), number(right)
    try:
        return checked(fn(a, b))
    except (ZeroDivisionError, OverflowError, ValueError) as exc:
        raise Problem("numeric-error", f"cannot evaluate: {exc}") from None


def _array_binary(operator: str, left: Any, right: Any) -> Array:
    a = left.values if isinstance(left, Array) else None
    b = right.values if isinstance(right, Array) else None
    if a is not None and b is not None and len(a) != len(b):
        raise Problem("bad-argument", f"arrays of lengths {len(a)} and {len(b)} do not match")
    n = bounded_size(len(a if a is not None else b))  # type: ignore[arg-type]
    xs = a if a is not None else (number(left),) * n
    ys = b if b is not None else (number(right),) * n
    return Array(tuple(float(binary(operator, x, y)) for x, y in zip(xs, ys, strict=True)))


def _observable_binary(operator: str, left: Any, right: Any) -> ObservableValue:
    """``+ - * /`` with an :class:`ObservableValue` operand (eigen_lang's own arithmetic)."""
    if isinstance(left, ObservableValue) and isinstance(right, ObservableValue):
        if operator not in ("Add", "Sub"):
            raise Problem("bad-argument", "observables can only be added or subtracted")
        a, b = left.obs, right.obs
        if a.n_qubits != b.n_qubits:
            message = f"cannot combine observables on {a.n_qubits} and {b.n_qubits} qubits"
            raise Problem("observable-mismatch", message, "pad the labels with I")
        left.budget.charge(len(a) + len(b))
        return ObservableValue(a + b if operator == "Add" else a - b, left.budget)
    obs, scalar = (left, right) if isinstance(left, ObservableValue) else (right, left)
    if isinstance(scalar, ParamRef):
        raise param_arithmetic()
    if not is_number(scalar) or operator not in ("Mult", "Div"):
        raise Problem(
            "bad-argument", f"cannot apply {operator} to an Observable and {kind(scalar)}"
        )
    if operator == "Div" and obs is right:
        raise Problem("bad-argument", "cannot divide by an Observable")
    obs.budget.charge(len(obs.obs))
    try:
        out = obs.obs * scalar if operator == "Mult" else obs.obs / scalar
    except (ValueError, ZeroDivisionError) as exc:
        raise Problem("numeric-error", f"cannot evaluate: {exc}") from None
    return ObservableValue(out, obs.budget)


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "Eq": lambda a, b: a == b,
    "NotEq": lambda a, b: a != b,
    "Lt": lambda a, b: a < b,
    "LtE": lambda a, b: a <= b,
    "Gt": lambda a, b: a > b,
    "GtE": lambda a, b: a >= b,
    "Is": lambda a, b: a is b,
    "IsNot": lambda a, b: a is not b,
    "In": lambda a, b: a in b,
    "NotIn": lambda a, b: a not in b,
}
CONSTANT_TYPES = (bool, int, float, str, tuple, range, Array, type(None))


def is_constant(v: Any) -> bool:
    """True for compile-time constants (numbers, bools, strings, None, tuples, arrays)."""
    return isinstance(v, CONSTANT_TYPES)


def compare(operator: str, left: Any, right: Any) -> bool:
    """Fold one comparison of constants. ``is``/``is not`` only against ``None``.

    Raises:
        Problem: ``non-constant`` for operands that are not constants, ``bad-argument`` for
            unorderable ones.
    """
    for v in (left, right):
        if not is_constant(v):
            raise Problem("non-constant", f"cannot compare {kind(v)} at compile time")
    if operator in ("Is", "IsNot") and left is not None and right is not None:
        raise Problem("bad-argument", "`is` is only supported against None", "use ==")
    if operator in ("In", "NotIn") and not isinstance(right, tuple | range | str):
        raise Problem("bad-argument", f"`in` needs a tuple, range or string, got {kind(right)}")
    if (isinstance(left, Array) or isinstance(right, Array)) and operator not in ("Eq", "NotEq"):
        raise Problem("bad-argument", "arrays can only be compared with == and !=")
    try:
        return bool(_COMPARISONS[operator](left, right))
    except TypeError as exc:
        raise Problem("bad-argument", f"cannot compare: {exc}") from None


def truth(v: Any) -> bool:
    """Python truthiness of a constant. Raises ``Problem('non-constant')`` otherwise."""
    if not is_constant(v):
        raise Problem("non-constant", f"{kind(v)} is not a compile-time constant")
    if isinstance(v, Array):
        if len(v.values) != 1:
            raise Problem("bad-argument", "the truth value of an array is ambiguous")
        return bool(v.values[0])
    return bool(v)


def sequence(v: Any) -> tuple[Any, ...] | range:
    """Elements of an iterable constant (tuple, range, array, string)."""
    if isinstance(v, tuple | range):
        return v
    if isinstance(v, Array):
        return v.values
    if isinstance(v, str):
        return tuple(v)
    raise Problem("bad-argument", f"expected a sequence, got {kind(v)}")
