"""The numeric semantics of Eigen-Lang's compile-time ``sum`` (docs/eigen-lang-numerics.md).

Python 3.12 made ``sum`` of floats compensated (Neumaier's improvement of Kahan summation), so
``sum((0.1, 0.2, 0.3))`` is ``0.6`` there and ``0.6000000000000001`` on 3.11: a program's AQO
would depend on the interpreter that compiles it. Eigen-Lang defines ``sum`` as CPython 3.12 and
3.13 compute it, written out here so every interpreter gives the same bits; ``eigen_lang`` runs a
program locally with the same algorithm in place of the builtin.

This module imports nothing but the standard library (a test loads it by path into bare 3.11,
3.12 and 3.13 interpreters and compares their results).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from typing import Any

#: The C ``long`` CPython's fast paths accumulate integers in (64 bits on Linux and macOS).
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def python_sum(
    items: Iterable[Any],
    start: Any = 0,
    add: Callable[[Any, Any], Any] = operator.add,
    *,
    bool_is_int: bool = True,
) -> Any:
    """``sum(items, start)`` with CPython 3.12/3.13's algorithm, on any interpreter.

    1. While the total is an ``int`` and every item an ``int`` (a ``bool`` too, unless
       ``bool_is_int`` is false), integers add exactly as long as the total fits a 64-bit
       ``long``.
    2. From the first ``float`` total on (a float ``start``, or the first float item), ``float``
       items are added with Neumaier's compensated summation and ``int``
       items that fit a ``long`` are added as floats, uncompensated; the compensation is added
       to the total (when it is finite and non-zero) before a different item is met, or at
       the end.
    3. Anything else is added with ``add``, from then on to the end.

    One deliberate difference from the builtin: a float subclass (``numpy.float64``, what numpy
    functions return when a program runs locally) counts as a ``float`` here, where CPython
    would leave the fast path; the compiler folds such values as plain floats, and both must
    give the same bits.

    Args:
        items: the numbers (or other values) to add.
        start: the initial total (``0`` as for the builtin).
        add: the generic addition (the compiler passes its folding ``+``, which rejects what
            Eigen-Lang does not add).
        bool_is_int: treat ``True``/``False`` as integers (Python does; Eigen-Lang's folding
            does not).

    Returns:
        The sum; a float for any float item, as the builtin.

    Raises:
        TypeError: a string ``start`` (as the builtin), or whatever ``add`` raises.
    """
    if isinstance(start, str | bytes | bytearray):
        raise TypeError(f"sum() can't sum {type(start).__name__} [use ''.join(seq) instead]")
    it = iter(items)
    total = start
    if type(total) is int and LONG_MIN <= total <= LONG_MAX:
        exact: int = total
        for item in it:
            if type(item) is int or (bool_is_int and type(item) is bool):
                value = int(item)
                if LONG_MIN <= value <= LONG_MAX and LONG_MIN <= exact + value <= LONG_MAX:
                    exact += value
                    continue
            total = add(exact, item)
            break
        else:
            return exact
    if isinstance(total, float):  # numpy.float64 too: the compiler folds it as a float
        high, low = float(total), 0.0
        for item in it:
            if isinstance(item, float):
                x = float(item)
                t = high + x
                if abs(high) >= abs(x):
                    low += (high - t) + x
                else:
                    low += (x - t) + high
                high = t
                continue
            integer = isinstance(item, int) and (bool_is_int or type(item) is not bool)
            if integer and LONG_MIN <= item <= LONG_MAX:
                high += float(item)  # uncompensated, as in CPython 3.12 and 3.13
                continue
            if low and math.isfinite(low):
                high += low
            total = add(high, item)
            break
        else:
            if low and math.isfinite(low):
                high += low
            return high
    for item in it:
        total = add(total, item)
    return total
