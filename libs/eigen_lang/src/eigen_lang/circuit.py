"""Local circuit recording: registers, qubit addressing and the gate/instruction functions.

While a ``@hybrid_program`` function runs locally, every call is recorded on the active
:class:`Recorder` (a context variable, so concurrent runs in threads or tasks do not mix).
The compiler implements the same addressing rules by AST analysis:

- ``QubitRegister(n)`` allocates the next ``n`` qubits (flat indices in declaration order);
  ``ClassicalRegister(n)`` and ``measure_all`` allocate clbits the same way.
- An integer qubit ``h(3)`` is a flat index. Before any ``QubitRegister`` is declared, integers
  grow the circuit (``h(3)`` makes it at least 4 qubits wide); afterwards they must be below the
  number of qubits declared so far. Clbits follow the same rule.
- A register argument broadcasts: ``h(q)`` applies H to every qubit of ``q``; ``cx(a, b)`` pairs
  equal-length registers element-wise, and a single qubit is reused against a register.
- ``measure_all()`` / ``barrier()`` without arguments cover every qubit known at that point.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from eigen_ir.gates import GATE_ARITY


@dataclass(frozen=True)
class Param:
    """``Param(name)``: a named symbolic gate angle, bound to a value later (a hybrid loop).

    ``ry(Param("theta"), q[0])`` records a Qiskit ``Parameter`` named ``theta`` in the locally
    built circuit; every ``Param`` with the same name is the same parameter. A program with
    parameters can be built (:meth:`HybridProgram.build`) but not sampled until bound.

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: ``name`` is not an identifier (letters, digits, ``_``; not a digit first)
            or starts with ``__``.
    """

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Param name must be a string, got {self.name!r}")
        if not self.name.isidentifier() or not self.name.isascii() or self.name.startswith("__"):
            raise ValueError(
                f"Param name must be an ASCII identifier not starting with '__', got {self.name!r}"
            )


#: A recorded gate angle: radians, or a symbolic :class:`Param`.
Angle = float | Param

#: One recorded instruction: ``(name, qubits, clbits, params)``; names are lower-case.
RecordedOp = tuple[str, tuple[int, ...], tuple[int, ...], tuple[Angle, ...]]


@dataclass
class Recorder:
    """Collects the instructions of one local program run (flat qubit/clbit indices)."""

    num_qubits: int = 0
    num_clbits: int = 0
    qubit_registers: int = 0
    clbit_registers: int = 0
    ops: list[RecordedOp] = field(default_factory=list)


_ACTIVE: ContextVar[Recorder | None] = ContextVar("eigen_lang_recorder", default=None)


def active_recorder() -> Recorder:
    """Return the recorder of the running program.

    Raises:
        RuntimeError: called outside a ``@hybrid_program`` function.
    """
    rec = _ACTIVE.get()
    if rec is None:
        raise RuntimeError(
            "Eigen-Lang registers and gates can only be used inside a @hybrid_program function"
        )
    return rec


def record(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Recorder, Any]:
    """Call ``fn(*args, **kwargs)`` with a fresh active recorder; return ``(recorder, result)``."""
    rec = Recorder()
    token = _ACTIVE.set(rec)
    try:
        result = fn(*args, **kwargs)
    finally:
        _ACTIVE.reset(token)
    return rec, result


def _check_size(size: Any, what: str) -> int:
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or int(size) < 1:
        raise ValueError(f"{what} size must be a positive integer, got {size!r}")
    return int(size)


class _Register:
    """A contiguous block of flat bit indices owned by one recorder."""

    _kind = "register"

    def __init__(self, rec: Recorder, offset: int, size: int, name: str | None) -> None:
        self._rec = rec
        self.offset = offset
        self.size = size
        self.name = name

    def __len__(self) -> int:
        return self.size

    def _index(self, index: Any) -> int:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"{self._kind} index must be an integer, got {index!r}")
        i = int(index)
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError(f"{self._kind} index {index} out of range for size {self.size}")
        return i

    def flat(self) -> list[int]:
        """Flat indices of all bits of this register, in order."""
        if _ACTIVE.get() is not self._rec:
            raise RuntimeError(f"{self._kind} {self.name or ''} belongs to another program run")
        return list(range(self.offset, self.offset + self.size))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.size}, name={self.name!r})"


@dataclass(frozen=True)
class Qubit:
    """One qubit of a :class:`QubitRegister` (``q[0]``)."""

    register: QubitRegister
    index: int

    def flat(self) -> int:
        """Flat qubit index in the circuit."""
        return self.register.flat()[self.index]


@dataclass(frozen=True)
class Clbit:
    """One classical bit of a :class:`ClassicalRegister` (``c[0]``)."""

    register: ClassicalRegister
    index: int

    def flat(self) -> int:
        """Flat clbit index in the circuit (clbit 0 is the rightmost character of a counts key)."""
        return self.register.flat()[self.index]


class QubitRegister(_Register):
    """``QubitRegister(size, name=None)``: allocate ``size`` qubits in the running program.

    Raises:
        ValueError: ``size`` is not a positive integer.
        RuntimeError: created outside a ``@hybrid_program`` function.
    """

    _kind = "qubit register"

    def __init__(self, size: int, name: str | None = None) -> None:
        rec = active_recorder()
        n = _check_size(size, "QubitRegister")
        super().__init__(rec, rec.num_qubits, n, name)
        rec.num_qubits += n
        rec.qubit_registers += 1

    def __getitem__(self, index: int) -> Qubit:
        return Qubit(self, self._index(index))

    def __iter__(self) -> Iterator[Qubit]:
        return (Qubit(self, i) for i in range(self.size))


class ClassicalRegister(_Register):
    """``ClassicalRegister(size, name=None)``: allocate ``size`` classical bits.

    Raises:
        ValueError: ``size`` is not a positive integer.
        RuntimeError: created outside a ``@hybrid_program`` function.
    """

    _kind = "classical register"

    def __init__(self, size: int, name: str | None = None) -> None:
        rec = active_recorder()
        n = _check_size(size, "ClassicalRegister")
        super().__init__(rec, rec.num_clbits, n, name)
        rec.num_clbits += n
        rec.clbit_registers += 1

    def __getitem__(self, index: int) -> Clbit:
        return Clbit(self, self._index(index))

    def __iter__(self) -> Iterator[Clbit]:
        return (Clbit(self, i) for i in range(self.size))


def _flat_int(rec: Recorder, value: Any, *, clbit: bool) -> int:
    i = int(value)
    declared = rec.clbit_registers if clbit else rec.qubit_registers
    width = rec.num_clbits if clbit else rec.num_qubits
    what = "clbit" if clbit else "qubit"
    if i < 0 or (declared and i >= width):
        raise IndexError(f"{what} index {i} out of range (the program has {width} {what}s)")
    if not declared and i >= width:
        if clbit:
            rec.num_clbits = i + 1
        else:
            rec.num_qubits = i + 1
    return i


def _qubits(rec: Recorder, arg: Any) -> list[int]:
    if isinstance(arg, Qubit):
        return [arg.flat()]
    if isinstance(arg, QubitRegister):
        return arg.flat()
    if isinstance(arg, numbers.Integral) and not isinstance(arg, bool):
        return [_flat_int(rec, arg, clbit=False)]
    raise TypeError(f"expected a qubit, a QubitRegister or an integer, got {arg!r}")


def _clbits(rec: Recorder, arg: Any) -> list[int]:
    if isinstance(arg, Clbit):
        return [arg.flat()]
    if isinstance(arg, ClassicalRegister):
        return arg.flat()
    if isinstance(arg, numbers.Integral) and not isinstance(arg, bool):
        return [_flat_int(rec, arg, clbit=True)]
    raise TypeError(f"expected a clbit, a ClassicalRegister or an integer, got {arg!r}")


def _angle(value: Any) -> Angle:
    if isinstance(value, Param):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"gate parameters must be real numbers (radians) or Param, got {value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"gate parameters must be finite, got {value!r}")
    return f


def broadcast(name: str, args: list[list[int]]) -> list[tuple[int, ...]]:
    """Expand per-argument qubit lists into one qubit tuple per gate application.

    Each argument list has length 1 or ``n`` (the longest); length-1 lists are reused.

    Raises:
        ValueError: register lengths differ, or one application repeats a qubit.
    """
    n = max(len(a) for a in args)
    if any(len(a) not in (1, n) for a in args):
        raise ValueError(f"{name}: register arguments must have equal lengths")
    out = []
    for k in range(n):
        qs = tuple(a[k if len(a) > 1 else 0] for a in args)
        if len(set(qs)) != len(qs):
            raise ValueError(f"{name}: qubit arguments must be distinct, got {list(qs)}")
        out.append(qs)
    return out


def _make_gate(name: str) -> Callable[..., None]:
    spec = GATE_ARITY[name]
    param_names = {0: [], 1: ["theta"], 3: ["theta", "phi", "lam"]}[spec.num_params]
    shape = ", ".join([*param_names, *(f"q{i}" for i in range(spec.num_qubits))])

    def gate(*args: Any) -> None:
        if len(args) != spec.num_params + spec.num_qubits:
            raise TypeError(
                f"{name}({shape}) takes {spec.num_params + spec.num_qubits} positional "
                f"arguments, got {len(args)}"
            )
        rec = active_recorder()
        params = tuple(_angle(a) for a in args[: spec.num_params])
        qargs = [_qubits(rec, a) for a in args[spec.num_params :]]
        for qs in broadcast(name, qargs):
            rec.ops.append((name, qs, (), params))

    gate.__name__ = gate.__qualname__ = name
    gate.__doc__ = (
        f"``{name}({shape})``: apply {name.upper()} ({spec.num_qubits} qubit(s), "
        f"{spec.num_params} angle(s) in radians, or ``Param``). Qubits are ``q[i]``, "
        "registers (broadcast) or integers.\n\n"
        "Raises:\n    TypeError: wrong argument count or types.\n"
        "    ValueError / IndexError: bad qubits or non-finite angles."
    )
    return gate


h = _make_gate("h")
x = _make_gate("x")
y = _make_gate("y")
z = _make_gate("z")
s = _make_gate("s")
sdg = _make_gate("sdg")
t = _make_gate("t")
tdg = _make_gate("tdg")
sx = _make_gate("sx")
rx = _make_gate("rx")
ry = _make_gate("ry")
rz = _make_gate("rz")
p = _make_gate("p")
u = _make_gate("u")
cx = _make_gate("cx")
cy = _make_gate("cy")
cz = _make_gate("cz")
ch = _make_gate("ch")
swap = _make_gate("swap")
crx = _make_gate("crx")
cry = _make_gate("cry")
crz = _make_gate("crz")
cp = _make_gate("cp")
rxx = _make_gate("rxx")
ryy = _make_gate("ryy")
rzz = _make_gate("rzz")
ccx = _make_gate("ccx")
cswap = _make_gate("cswap")

GATE_FUNCTIONS: dict[str, Callable[..., None]] = {n: globals()[n] for n in GATE_ARITY}


def measure(qubits: Any, clbits: Any) -> None:
    """Measure ``qubits`` into ``clbits`` (a qubit/clbit, equal-length registers, or integers).

    Raises:
        ValueError: the two sides have different lengths.
    """
    rec = active_recorder()
    qs, cs = _qubits(rec, qubits), _clbits(rec, clbits)
    if len(qs) != len(cs):
        raise ValueError(f"measure: {len(qs)} qubit(s) but {len(cs)} clbit(s)")
    for q, c in zip(qs, cs, strict=True):
        rec.ops.append(("measure", (q,), (c,), ()))


def measure_all(*qubits: Any) -> None:
    """Measure the given qubits/registers (default: every qubit so far) into new clbits.

    The new clbits are appended after the existing ones, in the order of the qubits.
    """
    rec = active_recorder()
    qs = [i for a in qubits for i in _qubits(rec, a)] if qubits else list(range(rec.num_qubits))
    if not qs:
        raise ValueError("measure_all: the program has no qubits")
    offset = rec.num_clbits
    rec.num_clbits += len(qs)
    rec.clbit_registers += 1
    for k, q in enumerate(qs):
        rec.ops.append(("measure", (q,), (offset + k,), ()))


def reset(*qubits: Any) -> None:
    """Reset each given qubit (or every qubit of a register) to ``|0>``."""
    rec = active_recorder()
    if not qubits:
        raise TypeError("reset() needs at least one qubit")
    for a in qubits:
        for q in _qubits(rec, a):
            rec.ops.append(("reset", (q,), (), ()))


def barrier(*qubits: Any) -> None:
    """Place a barrier on the given qubits (default: every qubit so far).

    Raises:
        ValueError: a qubit is repeated.
    """
    rec = active_recorder()
    qs = [i for a in qubits for i in _qubits(rec, a)] if qubits else list(range(rec.num_qubits))
    if len(set(qs)) != len(qs):
        raise ValueError(f"barrier: qubits must be distinct, got {qs}")
    if qs:
        rec.ops.append(("barrier", tuple(qs), (), ()))
