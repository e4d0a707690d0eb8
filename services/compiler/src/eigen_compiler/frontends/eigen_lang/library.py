"""The allowlisted functions a program may call at compile time: builtins, ``math``, ``numpy``.

:func:`member` resolves ``module.name`` to a value, :func:`call_pure` and :func:`call_random`
evaluate calls on constants. ``numpy`` functions are computed by numpy itself (as a local run
computes them); ``np.random`` draws from the program's seeded generator, the same stream as a
local run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from eigen_compiler.frontends.eigen_lang import folding as fo
from eigen_compiler.frontends.eigen_lang.numerics import python_sum
from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.frontends.eigen_lang.rules import LIBRARY
from eigen_compiler.frontends.eigen_lang.values import (
    AnnotationOnly,
    Array,
    CReg,
    LibRef,
    ModuleRef,
    NumpyRandom,
    PureFunction,
    QReg,
    RandomFunction,
    kind,
)

_MATH: dict[str, Any] = {
    "pi": math.pi, "e": math.e, "tau": math.tau, "sqrt": math.sqrt, "sin": math.sin,
    "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos, "atan": math.atan,
    "atan2": math.atan2, "exp": math.exp, "log": math.log, "log2": math.log2,
    "log10": math.log10, "radians": math.radians, "degrees": math.degrees, "fabs": math.fabs,
    "floor": math.floor, "ceil": math.ceil, "hypot": math.hypot, "isclose": math.isclose,
    "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh, "copysign": math.copysign,
}  # fmt: skip


def _np_scalar(fn: Callable[..., Any]) -> Callable[..., float]:
    """A numpy ufunc on scalars, as a Python float (numpy computes it, as it does locally)."""
    return lambda *args: float(fn(*args))


_NP_UFUNCS = (
    "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "exp", "log",
    "log2", "log10", "radians", "degrees", "deg2rad", "rad2deg", "abs", "floor", "ceil",
    "sinh", "cosh", "tanh",
)  # fmt: skip
_NUMPY: dict[str, Any] = {
    "pi": math.pi,
    "e": math.e,
    **{name: _np_scalar(getattr(np, name)) for name in _NP_UFUNCS},
    "array": None,
    "zeros": None,
    "ones": None,
    "linspace": None,
}
#: ``np.random`` functions (legacy global generator, seeded per program).
NP_RANDOM: tuple[str, ...] = ("seed", "randn", "rand", "random", "uniform", "normal")
#: Builtins folded by :func:`call_pure` (see :data:`.rules.FOLDED_BUILTINS`).
BUILTINS: dict[str, Callable[..., Any]] = {
    "abs": abs, "float": float, "int": int, "round": round, "min": min, "max": max,
    "sum": python_sum, "bool": bool,
}  # fmt: skip


def builtin(name: str) -> PureFunction | None:
    """The allowlisted builtin ``name`` as a value (``None`` when it is not one)."""
    if name in BUILTINS:
        return PureFunction(name, BUILTINS[name])
    if name in ("len", "list", "tuple"):
        return PureFunction(name, len)
    if name == "range":
        return PureFunction("range", range)
    return None


def is_allowed_member(module: str, path: Sequence[str]) -> bool:
    """True when ``module.<path>`` names an allowlisted constant or function."""
    if module == "math":
        return len(path) == 1 and path[0] in _MATH
    if module == "numpy":
        if len(path) == 2 and path[0] == "random":
            return path[1] in NP_RANDOM
        return len(path) == 1 and path[0] in _NUMPY
    if module == "eigen_lang":
        return len(path) == 1 and path[0] in LIBRARY
    return False


def member(module: ModuleRef, name: str) -> Any:
    """``module.name`` as a compile-time value.

    Raises:
        Problem: ``forbidden-name`` (private names, ``__future__``), ``unknown-name`` (not in
            eigen_lang), ``unknown-call`` (not allowlisted in math/numpy).
    """
    if name.startswith("_"):
        raise Problem("forbidden-name", f"{name!r} is not allowed")
    if module.name == "eigen_lang":
        if name not in LIBRARY:
            raise Problem("unknown-name", f"eigen_lang has no {name!r}")
        return LibRef(name)
    if module.name == "typing":
        return AnnotationOnly(f"typing.{name}")
    if module.name == "__future__":
        raise Problem("forbidden-name", f"__future__.{name} is not a value")
    return _module_member(module.name, name)


def _module_member(module: str, name: str) -> Any:
    if module == "numpy" and name == "random":
        return NumpyRandom()
    table = _MATH if module == "math" else _NUMPY
    if name not in table:
        allowed = ", ".join(sorted(table))
        message = f"{module}.{name} is not available in Eigen-Lang"
        raise Problem("unknown-call", message, f"allowed: {allowed}")
    value = table[name]
    if isinstance(value, float):
        return value
    if value is None:
        return PureFunction(f"np.{name}", _ARRAY_FUNCTIONS[name])
    return PureFunction(f"{module}.{name}", value)


def random_member(name: str) -> RandomFunction:
    """``np.random.<name>``. Raises ``Problem('unknown-call')`` when not allowlisted."""
    if name not in NP_RANDOM:
        message = f"np.random.{name} is not available in Eigen-Lang"
        raise Problem("unknown-call", message, f"allowed: {', '.join(NP_RANDOM)}")
    return RandomFunction(name)


def to_array(v: Any) -> Array:
    """``v`` (array, tuple/list of numbers, range) as an :class:`Array`."""
    if isinstance(v, Array):
        return v
    if isinstance(v, tuple | range):
        fo.bounded_size(len(v))
        return Array(tuple(float(fo.number(x)) for x in v))
    raise Problem("bad-argument", f"expected a sequence of numbers, got {kind(v)}")


def _linspace(start: Any, stop: Any, num: Any = 50) -> Array:
    values = np.linspace(float(fo.number(start)), float(fo.number(stop)), fo.bounded_size(num))
    return Array(tuple(float(x) for x in values))


_ARRAY_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "array": to_array,
    "zeros": lambda n: Array((0.0,) * fo.bounded_size(n)),
    "ones": lambda n: Array((1.0,) * fo.bounded_size(n)),
    "linspace": _linspace,
}


def call_random(rng: np.random.RandomState, fn: RandomFunction, args: Sequence[Any]) -> Any:
    """Evaluate ``np.random.<fn>(*args)`` with ``rng`` (the same stream as a local run).

    Scalars come back as ``float``, arrays as :class:`Array`; ``seed`` reseeds and returns None.
    """
    if fn.name == "seed":
        if len(args) != 1 or not fo.is_int(args[0]) or not 0 <= args[0] < 2**32:
            raise Problem("bad-argument", "np.random.seed takes one integer in [0, 2**32)")
        rng.seed(args[0])
        return None
    if fn.name in ("randn", "rand"):
        if len(args) > 1:
            raise Problem("bad-argument", f"np.random.{fn.name} takes at most one size here")
        sizes = [fo.bounded_size(a) for a in args]
        out = getattr(rng, fn.name)(*sizes)
    elif fn.name == "random":
        if len(args) > 1:
            raise Problem("bad-argument", "np.random.random(size=None)")
        out = rng.random_sample(fo.bounded_size(args[0]) if args else None)
    else:  # uniform / normal: (a, b, size)
        if len(args) > 3:
            raise Problem("bad-argument", f"np.random.{fn.name}(a, b, size)")
        defaults = (0.0, 1.0)
        a, b = (float(fo.number(x)) for x in (*args[:2], *defaults[len(args[:2]) :]))
        size = fo.bounded_size(args[2]) if len(args) == 3 else None
        out = getattr(rng, fn.name)(a, b, size)
    if isinstance(out, np.ndarray):
        return Array(tuple(float(x) for x in out))
    return float(out)


def _add(left: Any, right: Any) -> Any:
    return fo.binary("Add", left, right)


def call_pure(fn: PureFunction, args: Sequence[Any]) -> Any:
    """Call an allowlisted function on constants (``len`` also takes a register).

    Raises:
        Problem: ``bad-argument`` or ``numeric-error``.
    """
    name = fn.qualname
    if name == "len":
        if len(args) != 1:
            raise Problem("bad-argument", "len() takes one argument")
        if isinstance(args[0], QReg | CReg):
            return args[0].size
        return len(fo.sequence(args[0]))
    if name in ("list", "tuple"):
        if len(args) != 1:
            raise Problem("bad-argument", f"{name}() takes one argument")
        items = fo.sequence(args[0])
        fo.bounded_size(len(items))
        return tuple(items)
    if name == "bool":
        return fo.truth(args[0]) if len(args) == 1 else False
    if name.startswith("np.") or name.startswith("numpy."):
        try:
            return fn.fn(*args)
        except TypeError as exc:
            raise Problem("bad-argument", f"{name}(): {exc}") from None
    if name in ("min", "max", "sum") and len(args) == 1:
        items = fo.sequence(args[0])
        fo.bounded_size(len(items))
        args = list(items)
        if not args and name != "sum":
            raise Problem("bad-argument", f"{name}() of an empty sequence")
        if name == "sum":  # CPython 3.12's algorithm on every interpreter (numerics.py)
            total = python_sum(args, add=_add, bool_is_int=False)
            return fo.checked(total) if fo.is_number(total) else total
    nums = [fo.number(a) for a in args]
    try:
        return fo.checked(fn.fn(*nums))
    except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
        raise Problem("numeric-error", f"{fn.qualname}(): {exc}") from None
