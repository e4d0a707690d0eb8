"""``@hybrid_program``: mark the program entrypoint; run it locally on Qiskit Aer.

On the platform the compiler reads the program by AST analysis and never runs it. Locally,
calling the decorated function runs its body, recording its instructions (see
:mod:`eigen_lang.circuit`). If the body returns a value (a variational program returns a dict
built from ``minimize``), that value is the result. Otherwise the recorded circuit, with one
register ``q`` and one register ``c``, is sampled on ``AerSimulator`` and the counts are the
result; counts keys have the platform's bit order (clbit 0 is the rightmost character).

``np.random`` is seeded with the decorator's ``seed`` (default :data:`DEFAULT_RANDOM_SEED`) for
the duration of a local run, as the compiler does, so random initial values agree; the caller's
global numpy random state is restored afterwards. For the same reason the program's module sees
:func:`eigen_sum` as ``sum`` during a run (unless it defines its own ``sum``): Eigen-Lang's
``sum`` is CPython 3.12's compensated algorithm on every interpreter, as the compiler folds it
(docs/eigen-lang-numerics.md). ``@quantum_circuit`` helpers are plain Python
functions locally: their gates record into the running program.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, overload

import numpy as np
from qiskit import transpile
from qiskit.circuit import ClassicalRegister, Parameter, QuantumCircuit, QuantumRegister

from eigen_lang.circuit import Angle, Param, Recorder, record

DEFAULT_SHOTS = 1024
#: Seed of ``np.random`` during a run when the decorator gives none (the compiler's too).
DEFAULT_RANDOM_SEED = 0
F = TypeVar("F", bound=Callable[..., Any])


#: Largest decorator seed: it also seeds numpy's legacy generator, which takes 32 bits.
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class ProgramOptions:
    """Decorator arguments; ``None`` means "not given" (the job or CLI decides)."""

    target: str | None = None
    shots: int | None = None
    optimization_level: int | None = None
    seed: int | None = None
    compiler: str | None = None

    def __post_init__(self) -> None:
        for name in ("shots", "optimization_level", "seed"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Integral)):
                raise TypeError(f"hybrid_program({name}=...) must be an integer, got {v!r}")
        if self.shots is not None and self.shots < 1:
            raise ValueError(f"hybrid_program(shots=...) must be >= 1, got {self.shots}")
        if self.optimization_level is not None and self.optimization_level not in (0, 1, 2, 3):
            raise ValueError("hybrid_program(optimization_level=...) must be 0, 1, 2 or 3")
        if self.seed is not None and not 0 <= self.seed <= MAX_SEED:
            raise ValueError(
                f"hybrid_program(seed=...) must be in 0..{MAX_SEED} (numpy's seed range), "
                f"got {self.seed}"
            )
        for name in ("target", "compiler"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, str):
                raise TypeError(f"hybrid_program({name}=...) must be a string, got {v!r}")


_RUNNING: ContextVar[ProgramOptions | None] = ContextVar("eigen_lang_program", default=None)


def running_program_seed() -> int | None:
    """The decorator ``seed`` of the ``@hybrid_program`` running now (``None``: none, or unset).

    ``minimize`` passes it to the optimiser (SPSA directions) and to sampled expectation values.
    """
    options = _RUNNING.get()
    return options.seed if options is not None else None


_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def eigen_sum(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    """``sum`` as Eigen-Lang defines it: CPython 3.12/3.13's algorithm, on every interpreter.

    Integers add exactly while the total fits 64 bits; from the first float on, floats
    (``numpy.float64`` included) add with Neumaier's compensated summation and 64-bit integers
    as floats, the compensation joining the total before any other item or at the end; anything
    else adds with ``+``. The compiler folds ``sum`` with the same algorithm
    (``eigen_compiler.frontends.eigen_lang.numerics``), so local and compiled runs agree to the
    bit whatever Python runs them (3.11's builtin is not compensated).

    Raises:
        TypeError: a string ``start``, or items that cannot be added.
    """
    if isinstance(start, str | bytes | bytearray):
        raise TypeError(f"sum() can't sum {type(start).__name__} [use ''.join(seq) instead]")
    it = iter(iterable)
    total = start
    if type(total) is int and _LONG_MIN <= total <= _LONG_MAX:
        exact: int = total
        for item in it:
            if type(item) is int or type(item) is bool:
                value = int(item)
                if _LONG_MIN <= value <= _LONG_MAX and _LONG_MIN <= exact + value <= _LONG_MAX:
                    exact += value
                    continue
            total = operator.add(exact, item)
            break
        else:
            return exact
    if isinstance(total, float):
        high, low = float(total), 0.0
        for item in it:
            if isinstance(item, float):
                x = float(item)
                t = high + x
                low += (high - t) + x if abs(high) >= abs(x) else (x - t) + high
                high = t
                continue
            if isinstance(item, int) and _LONG_MIN <= item <= _LONG_MAX:
                high += float(item)
                continue
            if low and math.isfinite(low):
                high += low
            total = operator.add(high, item)
            break
        else:
            return high + low if low and math.isfinite(low) else high
    for item in it:
        total = operator.add(total, item)
    return total


_SUM_LOCK = threading.Lock()
_SUM_USERS: dict[int, int] = {}  # id(module namespace) → runs using eigen_sum there


@contextmanager
def _eigen_sum_in(namespace: dict[str, Any]) -> Iterator[None]:
    """``sum`` is :func:`eigen_sum` in ``namespace`` during the block (a program's own stays)."""
    key = id(namespace)
    with _SUM_LOCK:
        ours = namespace.get("sum", eigen_sum) is eigen_sum
        if ours:
            _SUM_USERS[key] = _SUM_USERS.get(key, 0) + 1
            namespace["sum"] = eigen_sum
    try:
        yield
    finally:
        if ours:
            with _SUM_LOCK:
                _SUM_USERS[key] -= 1
                if not _SUM_USERS[key]:
                    del _SUM_USERS[key]
                    namespace.pop("sum", None)


@contextmanager
def _program_context(options: ProgramOptions, namespace: dict[str, Any]) -> Iterator[None]:
    """Seed ``np.random``, mark ``options`` as the running program's and use :func:`eigen_sum`."""
    seed = options.seed if options.seed is not None else DEFAULT_RANDOM_SEED
    state = np.random.get_state()
    np.random.seed(seed)
    token = _RUNNING.set(options)
    try:
        with _eigen_sum_in(namespace):
            yield
    finally:
        _RUNNING.reset(token)
        np.random.set_state(state)


def to_qiskit(rec: Recorder) -> QuantumCircuit:
    """Build the Qiskit circuit of a recorded run (one register ``q``, one register ``c``)."""
    regs: list[Any] = [QuantumRegister(rec.num_qubits, "q")]
    if rec.num_clbits:
        regs.append(ClassicalRegister(rec.num_clbits, "c"))
    qc = QuantumCircuit(*regs)
    symbols: dict[str, Parameter] = {}

    def angle(value: Angle) -> float | Parameter:
        if isinstance(value, Param):
            return symbols.setdefault(value.name, Parameter(value.name))
        return value

    for name, qs, cs, params in rec.ops:
        if name == "measure":
            qc.measure(qs[0], cs[0])
        elif name == "reset":
            qc.reset(qs[0])
        elif name == "barrier":
            qc.barrier(*qs)
        else:
            getattr(qc, name)(*(angle(a) for a in params), *qs)
    return qc


class HybridProgram:
    """A function decorated with ``@hybrid_program``.

    Calling it runs the program locally: the body's return value if it returns one (``not
    None``), else counts (``dict[str, int]`` summing to ``shots``; empty when nothing is
    measured). :meth:`build` returns the recorded circuit without sampling.
    """

    def __init__(self, func: Callable[..., Any], options: ProgramOptions) -> None:
        self.func = func
        self.options = options
        self.name = func.__name__
        functools.update_wrapper(self, func)

    def build(self, *args: Any, **kwargs: Any) -> QuantumCircuit:
        """Run the program body with ``args``/``kwargs`` and return the recorded Qiskit circuit."""
        rec, _ = self._execute(args, kwargs)
        return to_qiskit(rec)

    def _execute(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Recorder, Any]:
        with _program_context(self.options, self.func.__globals__):
            return record(self.func, *args, **kwargs)

    def run(
        self, *args: Any, shots: int | None = None, seed: int | None = None, **kwargs: Any
    ) -> Any:
        """Run locally: the body, then (if it returns nothing) a sample on ``AerSimulator``.

        Args:
            *args: positional arguments of the program function.
            shots: number of shots (default: the decorator's, else 1024).
            seed: simulator seed (default: the decorator's; ``None`` = random).
            **kwargs: keyword arguments of the program function.

        Returns:
            The body's return value when it is not ``None`` (e.g. the dict of a variational
            program); otherwise counts keyed by bitstring, clbit 0 rightmost.

        Raises:
            ValueError: the program uses a :class:`~eigen_lang.Param` (unbound parameters).
        """
        from qiskit_aer import AerSimulator

        rec, returned = self._execute(args, kwargs)
        if returned is not None:
            return returned
        qc = to_qiskit(rec)
        if qc.parameters:
            names = ", ".join(p.name for p in qc.parameters)
            raise ValueError(
                f"{self.name} has unbound Param(s) ({names}); build() returns the parametrised "
                "circuit, bind it with assign_parameters before sampling"
            )
        n_shots = shots or self.options.shots or DEFAULT_SHOTS
        sim_seed = seed if seed is not None else self.options.seed
        if not qc.num_clbits:
            return {}
        sim = AerSimulator(seed_simulator=sim_seed)
        tqc = transpile(qc, sim, seed_transpiler=0)
        result = sim.run(tqc, shots=n_shots, seed_simulator=sim_seed).result()
        return {str(k): int(v) for k, v in result.get_counts().items()}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Same as :meth:`run` (decorator shots and seed unless overridden)."""
        return self.run(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<hybrid_program {self.name} {self.options}>"


@overload
def hybrid_program(func: Callable[..., Any], /) -> HybridProgram: ...


@overload
def hybrid_program(
    *,
    target: str | None = None,
    shots: int | None = None,
    optimization_level: int | None = None,
    seed: int | None = None,
    compiler: str | None = None,
) -> Callable[[Callable[..., Any]], HybridProgram]: ...


def hybrid_program(
    func: Callable[..., Any] | None = None,
    /,
    *,
    target: str | None = None,
    shots: int | None = None,
    optimization_level: int | None = None,
    seed: int | None = None,
    compiler: str | None = None,
) -> HybridProgram | Callable[[Callable[..., Any]], HybridProgram]:
    """Mark the program entrypoint (use bare or with keyword arguments).

    Args:
        func: the decorated function (bare ``@hybrid_program``).
        target: default target, e.g. ``"sim:local"``.
        shots: default number of shots (>= 1).
        optimization_level: default compiler optimisation level (0-3).
        seed: default simulator seed and seed of ``np.random`` initial guesses, 0..2**32-1.
        compiler: compiler name (informational).

    Returns:
        A :class:`HybridProgram` (or a decorator producing one).

    Raises:
        TypeError / ValueError: an argument has the wrong type or range.
    """
    options = ProgramOptions(target, shots, optimization_level, seed, compiler)
    if func is not None:
        return HybridProgram(func, options)

    def decorate(f: Callable[..., Any]) -> HybridProgram:
        return HybridProgram(f, options)

    return decorate


def quantum_circuit(func: F) -> F:
    """Mark a helper function whose gates join the calling program (``@quantum_circuit``).

    The compiler inlines each call (constant and register arguments; an optional final
    ``return``). Locally the function is returned unchanged and runs as ordinary Python.
    """
    return func
