"""Compile-time values of Eigen-Lang: symbols, constant folding and circuit building.

Everything here is pure and position-free: problems raise :class:`Problem` (rule, message,
hint) and the AST walker (:mod:`eigen_compiler.eigen_frontend`) attaches line and column.
:class:`CircuitBuilder` mirrors :class:`eigen_lang.circuit.Recorder` — the local runtime's
addressing rules — so a program compiles to the circuit it records when run locally.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eigen_ir.aqo import Circuit, Operation
from eigen_ir.observable import Observable

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
class HelperRef:
    """A module-level ``@quantum_circuit`` function (inlined at each call)."""

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


# --- hybrid values (seed 004: Param, Observable, ansätze, cost functions, minimize) ---------


@dataclass(frozen=True)
class ParamRef:
    """A symbolic AQO parameter (``Param("name")`` or ``theta[k]`` inside an ``@ansatz``)."""

    name: str


@dataclass(frozen=True)
class ParamVector:
    """The parameter vector argument of an ``@ansatz`` function: ``theta[k]`` → ``theta[k]``."""

    name: str


@dataclass
class TermBudget:
    """Observable terms a program may build or combine in total (bounds compile time).

    Raises ``Problem('too-many-terms')`` from :meth:`charge` once ``limit`` is exceeded.
    """

    limit: int
    used: int = 0

    def charge(self, terms: int) -> None:
        """Account for ``terms`` more terms processed."""
        self.used += terms
        if self.used > self.limit:
            message = f"the program processes more than {self.limit} observable terms"
            raise Problem("too-many-terms", message, "use fewer or smaller observables")


@dataclass(frozen=True, eq=False)
class ObservableValue:
    """A compile-time :class:`eigen_lang.Observable` (the user's machine builds the same one)."""

    obs: Observable
    budget: TermBudget


@dataclass(frozen=True, eq=False)
class AnsatzValue:
    """A lowered ansatz: parametrised AQO (no clbits) and its parameters in optimiser order."""

    circuit: Circuit
    parameters: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class AnsatzFunction:
    """An ``@ansatz`` function, lowered at its first use; ``closure`` = enclosing locals."""

    name: str
    fn: ast.FunctionDef
    closure: dict[str, Any] | None


@dataclass(frozen=True, eq=False)
class CostFunction:
    """A ``@cost_function``; its return expression is evaluated when ``minimize`` lowers it."""

    name: str
    fn: ast.FunctionDef
    closure: dict[str, Any] | None


@dataclass(frozen=True)
class CostPoint:
    """The point argument of a cost function (only the optimiser knows its value)."""

    name: str


@dataclass(frozen=True, eq=False)
class Expectation:
    """``ExpectationValue(ansatz, observable, shots)``: labels padded to the ansatz width."""

    ansatz: AnsatzValue
    terms: tuple[tuple[str, float], ...]
    shots: int | None


@dataclass(frozen=True)
class MinimizeResult:
    """What ``minimize(...)`` returns: fields are known only when the kernel has run the loop."""


@dataclass(frozen=True)
class ResultField:
    """``result.<field>``: optimal_value, optimal_parameters, success or iterations."""

    field: str


@dataclass(frozen=True)
class ResultMethod:
    """``result.optimal_parameters.tolist`` (calling it gives the same field)."""

    field: str


@dataclass(frozen=True)
class DictValue:
    """A dict literal of constants, in source order (``Observable({"ZZ": 1.0})``)."""

    items: tuple[tuple[Any, Any], ...]


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


def param_arithmetic() -> Problem:
    """The diagnostic for arithmetic on a ``Param`` (AQO angles are names or numbers)."""
    return Problem(
        "param-arithmetic",
        "arithmetic on a Param is not supported: an AQO angle is a number or a parameter name",
        "use the Param itself as the angle, e.g. ry(Param('theta'), q[0])",
    )


# --- allowlists ---------------------------------------------------------------------------

#: Longest sequence or array a program may build at compile time.
MAX_SEQUENCE = 100_000


@dataclass(frozen=True)
class Array:
    """A one-dimensional numpy array of floats, folded at compile time (``np.zeros(3)``)."""

    values: tuple[float, ...]


@dataclass(frozen=True)
class RandomFunction:
    """An allowlisted ``np.random`` function, evaluated with the program's seeded generator."""

    name: str


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
BUILTINS: dict[str, Callable[..., Any]] = {
    "abs": abs, "float": float, "int": int, "round": round, "min": min, "max": max,
    "sum": sum, "bool": bool,
}  # fmt: skip
#: Every builtin a program may call (``range``/``len``/``list``/``tuple`` handled apart).
BUILTIN_NAMES = frozenset([*BUILTINS, "range", "len", "list", "tuple"])


def is_allowed_member(module: str, path: Sequence[str]) -> bool:
    """True when ``module.<path>`` names an allowlisted constant or function."""
    if module == "math":
        return len(path) == 1 and path[0] in _MATH
    if module == "numpy":
        if len(path) == 2 and path[0] == "random":
            return path[1] in NP_RANDOM
        return len(path) == 1 and path[0] in _NUMPY
    if module == "eigen_lang":
        from eigen_compiler.eigen_check import library_names

        return len(path) == 1 and path[0] in library_names()
    return False


def module_member(module: str, name: str) -> Any:
    """Resolve ``math.<name>`` or ``numpy.<name>`` to a constant or a pure function.

    Raises:
        Problem: ``unknown-call`` when ``name`` is not allowlisted.
    """
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


@dataclass(frozen=True)
class NumpyRandom:
    """The ``np.random`` namespace."""


def random_member(name: str) -> RandomFunction:
    """``np.random.<name>``. Raises ``Problem('unknown-call')`` when not allowlisted."""
    if name not in NP_RANDOM:
        message = f"np.random.{name} is not available in Eigen-Lang"
        raise Problem("unknown-call", message, f"allowed: {', '.join(NP_RANDOM)}")
    return RandomFunction(name)


def _size(n: Any) -> int:
    if not is_int(n) or n < 0:
        raise Problem("bad-argument", f"array size must be a non-negative integer, got {n!r}")
    if n > MAX_SEQUENCE:
        raise Problem("too-many-operations", f"array of {n} elements exceeds {MAX_SEQUENCE}")
    return int(n)


def to_array(v: Any) -> Array:
    """``v`` (array, tuple/list of numbers, range) as an :class:`Array`."""
    if isinstance(v, Array):
        return v
    if isinstance(v, tuple | range):
        _size(len(v))
        return Array(tuple(float(number(x)) for x in v))
    raise Problem("bad-argument", f"expected a sequence of numbers, got {kind(v)}")


def _linspace(start: Any, stop: Any, num: Any = 50) -> Array:
    values = np.linspace(float(number(start)), float(number(stop)), _size(num))
    return Array(tuple(float(x) for x in values))


_ARRAY_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "array": to_array,
    "zeros": lambda n: Array((0.0,) * _size(n)),
    "ones": lambda n: Array((1.0,) * _size(n)),
    "linspace": _linspace,
}


def call_random(rng: np.random.RandomState, fn: RandomFunction, args: Sequence[Any]) -> Any:
    """Evaluate ``np.random.<fn>(*args)`` with ``rng`` (the same stream as a local run).

    Scalars come back as ``float``, arrays as :class:`Array`; ``seed`` reseeds and returns None.
    """
    if fn.name == "seed":
        if len(args) != 1 or not is_int(args[0]) or not 0 <= args[0] < 2**32:
            raise Problem("bad-argument", "np.random.seed takes one integer in [0, 2**32)")
        rng.seed(args[0])
        return None
    if fn.name in ("randn", "rand"):
        if len(args) > 1:
            raise Problem("bad-argument", f"np.random.{fn.name} takes at most one size here")
        sizes = [_size(a) for a in args]
        out = getattr(rng, fn.name)(*sizes)
    elif fn.name == "random":
        if len(args) > 1:
            raise Problem("bad-argument", "np.random.random(size=None)")
        out = rng.random_sample(_size(args[0]) if args else None)
    else:  # uniform / normal: (a, b, size)
        if len(args) > 3:
            raise Problem("bad-argument", f"np.random.{fn.name}(a, b, size)")
        defaults = (0.0, 1.0)
        a, b = (float(number(x)) for x in (*args[:2], *defaults[len(args[:2]) :]))
        size = _size(args[2]) if len(args) == 3 else None
        out = getattr(rng, fn.name)(a, b, size)
    if isinstance(out, np.ndarray):
        return Array(tuple(float(x) for x in out))
    return float(out)


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
        _size(len(left) + len(right))
        return left + right
    if operator == "Mult" and (isinstance(left, tuple) or isinstance(right, tuple)):
        seq, times = (left, right) if isinstance(left, tuple) else (right, left)
        if not is_int(times):
            raise Problem("bad-argument", "a tuple can only be repeated an integer number of times")
        _size(len(seq) * max(times, 0))
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
    n = len(a if a is not None else b)  # type: ignore[arg-type]
    xs = a if a is not None else (number(left),) * n
    ys = b if b is not None else (number(right),) * n
    return Array(tuple(float(binary(operator, x, y)) for x, y in zip(xs, ys, strict=True)))


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


def _power(a: Number, b: Number) -> Number:
    """``a ** b`` without runaway big-integer work (large integer powers go through floats)."""
    if isinstance(a, int) and isinstance(b, int) and b >= 0 and a.bit_length() * b <= 256:
        result: int = a**b
        return result
    return math.pow(a, b)  # ValueError for a complex result, OverflowError when too large


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
        return len(sequence(args[0]))
    if name in ("list", "tuple"):
        if len(args) != 1:
            raise Problem("bad-argument", f"{name}() takes one argument")
        items = sequence(args[0])
        _size(len(items))
        return tuple(items)
    if name == "bool":
        return truth(args[0]) if len(args) == 1 else False
    if name.startswith("np.") or name.startswith("numpy."):
        try:
            return fn.fn(*args)
        except TypeError as exc:
            raise Problem("bad-argument", f"{name}(): {exc}") from None
    if name in ("min", "max", "sum") and len(args) == 1:
        items = sequence(args[0])
        _size(len(items))
        args = list(items)
        if not args and name != "sum":
            raise Problem("bad-argument", f"{name}() of an empty sequence")
        if name == "sum":
            total: Any = 0
            for a in args:
                total = binary("Add", total, a)
            return total
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
    HelperRef: "a function",
    ModuleRef: "a module",
    Array: "an array",
    RandomFunction: "a function",
    ParamRef: "a Param",
    ParamVector: "the @ansatz parameter vector",
    ObservableValue: "an Observable",
    AnsatzValue: "an Ansatz",
    AnsatzFunction: "an @ansatz function",
    CostFunction: "a @cost_function",
    CostPoint: "the cost function's point (known only while optimising)",
    Expectation: "an ExpectationValue",
    MinimizeResult: "the minimize() result (known only after the run)",
    ResultField: "a minimize() result field (known only after the run)",
    ResultMethod: "a method",
    DictValue: "a dict",
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
