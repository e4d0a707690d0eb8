"""Parametrised ansätze: ``Ansatz``, ``create_hea_ansatz`` and the ``@ansatz`` decorator.

The structure of an :class:`Ansatz` is spelled out in plain data (:attr:`Ansatz.ops`), so the
compiler can lower it to AQO without Qiskit; :meth:`Ansatz.circuit` builds the equivalent
Qiskit circuit. An ``@ansatz`` function (:class:`AnsatzFunction`) is the hand-written kind.
Both satisfy :class:`AnsatzLike`, the interface ``ExpectationValue`` accepts.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from qiskit.circuit import ParameterVector, QuantumCircuit

from eigen_lang.circuit import Param, record

#: Single-qubit rotations a HEA layer may use.
ROTATION_GATES: tuple[str, ...] = ("rx", "ry", "rz")

#: Named rotation sets accepted by ``create_hea_ansatz(rotations=...)``.
ROTATION_PRESETS: dict[str, tuple[str, ...]] = {
    "rx": ("rx",),
    "ry": ("ry",),
    "rz": ("rz",),
    "ryrz": ("ry", "rz"),
    "rxry": ("rx", "ry"),
}

#: Entanglement patterns accepted by ``create_hea_ansatz(entanglement=...)``.
ENTANGLEMENTS: tuple[str, ...] = ("linear", "circular", "full", "pairwise")

#: One ansatz operation: ``(gate, qubits, parameter index or None)``.
AnsatzOp = tuple[str, tuple[int, ...], int | None]


def entangling_pairs(n_qubits: int, entanglement: str) -> list[tuple[int, int]]:
    """CX ``(control, target)`` pairs of one entangling layer, in application order.

    Same pairs and order as Qiskit's ``n_local``: ``linear`` ``(0,1), (1,2), …``;
    ``circular`` ``(n-1,0)`` first, then linear (only for ``n >= 3``); ``full`` every
    ``(i, j)`` with ``i < j`` in lexicographic order; ``pairwise`` the even pairs
    ``(0,1), (2,3), …`` then the odd pairs ``(1,2), (3,4), …``.

    Raises:
        ValueError: unknown ``entanglement``.
    """
    linear = [(i, i + 1) for i in range(n_qubits - 1)]
    if entanglement == "linear":
        return linear
    if entanglement == "circular":
        return [(n_qubits - 1, 0), *linear] if n_qubits >= 3 else linear
    if entanglement == "full":
        return [(i, j) for i in range(n_qubits) for j in range(i + 1, n_qubits)]
    if entanglement == "pairwise":
        return linear[0::2] + linear[1::2]
    raise ValueError(
        f"entanglement must be one of {', '.join(ENTANGLEMENTS)}, got {entanglement!r}"
    )


def _rotations(rotations: Any) -> tuple[str, ...]:
    if isinstance(rotations, str):
        if rotations not in ROTATION_PRESETS:
            raise ValueError(
                f"rotations must be one of {', '.join(ROTATION_PRESETS)} or a list of "
                f"{', '.join(ROTATION_GATES)}, got {rotations!r}"
            )
        return ROTATION_PRESETS[rotations]
    if not isinstance(rotations, Sequence) or not rotations:
        raise ValueError(f"rotations must be a name or a non-empty list, got {rotations!r}")
    for r in rotations:
        if r not in ROTATION_GATES:
            raise ValueError(f"rotation gates must be {', '.join(ROTATION_GATES)}, got {r!r}")
    return tuple(rotations)


def parameter_values(values: Sequence[float] | np.ndarray, num_params: int) -> np.ndarray:
    """Check a parameter vector: a 1-D sequence/array of ``num_params`` finite reals.

    Returns:
        The values as a float array of shape ``(num_params,)``.

    Raises:
        ValueError: wrong shape/length or non-finite entries.
        TypeError: non-real entries.
    """
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"parameter values must be real numbers, got {values!r}") from exc
    if arr.ndim != 1 or arr.shape[0] != num_params:
        raise ValueError(
            f"expected {num_params} parameter values, got an array of shape {arr.shape}"
        )
    if not all(math.isfinite(v) for v in arr):
        raise ValueError("parameter values must be finite")
    return arr


@runtime_checkable
class AnsatzLike(Protocol):
    """What ``ExpectationValue`` needs of an ansatz: :class:`Ansatz` and ``@ansatz`` objects.

    ``parameters[k]`` is the name of the ``k``-th entry of the vector passed to
    :meth:`build` (the optimiser's order).
    """

    @property
    def num_params(self) -> int:
        """Length of the parameter vector."""
        ...

    @property
    def num_qubits(self) -> int:
        """Circuit width."""
        ...

    @property
    def parameters(self) -> tuple[str, ...]:
        """Parameter names in vector order."""
        ...

    def circuit(self) -> QuantumCircuit:
        """The parametrised Qiskit circuit."""
        ...

    def build(self, values: Sequence[float] | np.ndarray) -> QuantumCircuit:
        """The circuit with ``values`` (shape ``(num_params,)``, radians) bound."""
        ...


def _count(value: Any, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Ansatz:
    """A parametrised circuit: ``n_qubits`` qubits, ``num_params`` real parameters.

    Attributes:
        n_qubits: circuit width.
        ops: the operations in order, each ``(gate, qubits, param_index)``; ``param_index``
            indexes :attr:`parameters` for rotations and is ``None`` for ``cx``.
        name: a label for drawings and plans.
    """

    n_qubits: int
    ops: tuple[AnsatzOp, ...]
    name: str = "ansatz"

    @property
    def num_params(self) -> int:
        """Number of parameters (``len(parameters)``)."""
        return 1 + max((k for _, _, k in self.ops if k is not None), default=-1)

    @property
    def num_qubits(self) -> int:
        """Alias of :attr:`n_qubits` (Qiskit's spelling)."""
        return self.n_qubits

    @property
    def parameters(self) -> tuple[str, ...]:
        """Parameter names in order: ``("theta[0]", "theta[1]", …)``."""
        return tuple(f"theta[{k}]" for k in range(self.num_params))

    def circuit(self) -> QuantumCircuit:
        """The parametrised Qiskit circuit (a ``ParameterVector`` named ``theta``)."""
        theta = ParameterVector("theta", self.num_params)
        qc = QuantumCircuit(self.n_qubits, name=self.name)
        for gate, qubits, k in self.ops:
            if k is None:
                getattr(qc, gate)(*qubits)
            else:
                getattr(qc, gate)(theta[k], *qubits)
        return qc

    def build(self, values: Sequence[float] | np.ndarray) -> QuantumCircuit:
        """The circuit with ``parameters[k]`` bound to ``values[k]`` (a 1-D sequence/array).

        Raises:
            ValueError: ``values`` has the wrong shape/length or non-finite entries.
            TypeError: non-real entries.
        """
        arr = parameter_values(values, self.num_params)
        qc = QuantumCircuit(self.n_qubits, name=self.name)
        for gate, qubits, k in self.ops:
            if k is None:
                getattr(qc, gate)(*qubits)
            else:
                getattr(qc, gate)(float(arr[k]), *qubits)
        return qc


def create_hea_ansatz(
    n_qubits: int,
    depth: int = 1,
    entanglement: str = "linear",
    rotations: str | Sequence[str] = "ry",
) -> Ansatz:
    """Hardware-efficient ansatz, the same circuit as Qiskit's ``n_local`` / ``TwoLocal``.

    Structure (``reps = depth``, final rotation layer kept, no barriers)::

        [rotation layer, CX entangling layer] × depth, then a final rotation layer

    A rotation layer applies each gate of ``rotations`` in turn to every qubit (``ry`` on
    qubits 0…n-1, then ``rz`` on 0…n-1 for ``"ryrz"``), each with a fresh parameter, so
    ``num_params = (depth + 1) * len(rotations) * n_qubits``. Parameters are numbered in
    application order, which is also Qiskit's order. The CX pairs of an entangling layer are
    :func:`entangling_pairs` (``linear``, ``circular``, ``full``, ``pairwise``).

    Args:
        n_qubits: circuit width, >= 1.
        depth: number of rotation + entanglement repetitions, >= 0 (0 = one rotation layer).
        entanglement: ``"linear"``, ``"circular"``, ``"full"`` or ``"pairwise"``.
        rotations: ``"ry"``, ``"rx"``, ``"rz"``, ``"ryrz"``, ``"rxry"`` or a non-empty list of
            ``"rx"``/``"ry"``/``"rz"``.

    Raises:
        ValueError: a bad count, entanglement or rotation name.
    """
    n = _count(n_qubits, "n_qubits", 1)
    reps = _count(depth, "depth", 0)
    gates = _rotations(rotations)
    pairs = entangling_pairs(n, entanglement)
    ops: list[AnsatzOp] = []
    next_param = 0

    def rotation_layer() -> None:
        nonlocal next_param
        for gate in gates:
            for q in range(n):
                ops.append((gate, (q,), next_param))
                next_param += 1

    for _ in range(reps):
        rotation_layer()
        ops.extend(("cx", pair, None) for pair in pairs)
    rotation_layer()
    return Ansatz(n_qubits=n, ops=tuple(ops), name=f"hea_{entanglement}_{''.join(gates)}")


class _VectorElement(Param):
    """``theta[k]`` inside an ``@ansatz`` function: a :class:`Param` named ``"theta[k]"``."""

    def __post_init__(self) -> None:  # the name is built by ParameterVectorArg, not typed in
        pass


class ParameterVectorArg:
    """The argument an ``@ansatz`` function receives: ``theta[k]`` is parameter ``k``.

    Indexing records which indices the body uses; the length is not known in advance.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.used: dict[str, int] = {}

    def __getitem__(self, index: int) -> Param:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"{self.name}[...] index must be an integer, got {index!r}")
        k = int(index)
        if k < 0:
            raise IndexError(
                f"{self.name}[{k}]: negative indices are not allowed (the length is "
                "1 + the largest index used)"
            )
        element = _VectorElement(f"{self.name}[{k}]")
        self.used[element.name] = k
        return element

    def __repr__(self) -> str:
        return f"<parameter vector {self.name}>"


#: One recorded ``@ansatz`` gate: ``(name, qubits, angles)``; an ``int`` angle is a parameter
#: index, a ``float`` a fixed angle in radians.
_AnsatzGate = tuple[str, tuple[int, ...], tuple[float | int, ...]]


@dataclass(frozen=True)
class _Traced:
    num_qubits: int
    num_params: int
    gates: tuple[_AnsatzGate, ...]


class AnsatzFunction:
    """A function decorated with :func:`ansatz`, used as a value (an :class:`AnsatzLike`).

    The body runs once, on first use, with a :class:`ParameterVectorArg`; its gates are
    recorded and reused. Attributes mirror :class:`Ansatz`.
    """

    def __init__(self, func: Callable[[Any], Any]) -> None:
        try:
            sig = inspect.signature(func)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"@ansatz cannot inspect {func!r}") from exc
        params = list(sig.parameters.values())
        plain = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        if len(params) != 1 or params[0].kind not in plain:
            raise TypeError(
                f"@ansatz function {func.__name__} must take exactly one positional argument "
                "(the parameter vector, e.g. theta)"
            )
        self.func = func
        self.name: str = func.__name__
        self.argname = params[0].name
        self._traced: _Traced | None = None

    def _trace(self) -> _Traced:
        if self._traced is not None:
            return self._traced
        vector = ParameterVectorArg(self.argname)
        rec, _ = record(self.func, vector)
        gates: list[_AnsatzGate] = []
        for op, qubits, clbits, angles in rec.ops:
            if op in ("measure", "reset") or clbits:
                raise ValueError(
                    f"@ansatz {self.name}: {op} is not allowed in an ansatz (gates and "
                    "barriers only; the observable defines the measurement)"
                )
            if op == "barrier":
                continue
            out: list[float | int] = []
            for a in angles:
                if isinstance(a, Param):
                    if a.name not in vector.used:
                        raise ValueError(
                            f"@ansatz {self.name}: Param({a.name!r}) is not an element of "
                            f"the parameter vector {self.argname}"
                        )
                    out.append(vector.used[a.name])
                else:
                    out.append(float(a))
            gates.append((op, qubits, tuple(out)))
        if rec.clbit_registers or rec.num_clbits:
            raise ValueError(f"@ansatz {self.name}: an ansatz has no classical bits")
        if rec.num_qubits < 1:
            raise ValueError(f"@ansatz {self.name} uses no qubits")
        indices = set(vector.used.values())
        num_params = 1 + max(indices, default=-1)
        missing = sorted(set(range(num_params)) - indices)
        if missing:
            shown = ", ".join(f"{self.argname}[{k}]" for k in missing[:10])
            raise ValueError(
                f"@ansatz {self.name}: every index up to the largest must be used; unused: {shown}"
            )
        self._traced = _Traced(rec.num_qubits, num_params, tuple(gates))
        return self._traced

    @property
    def num_params(self) -> int:
        """``1 +`` the largest index used (every index below it must be used).

        Raises:
            ValueError: an index is skipped, or the body measures/resets/uses no qubits.
        """
        return self._trace().num_params

    @property
    def num_qubits(self) -> int:
        """Qubits the body allocates."""
        return self._trace().num_qubits

    @property
    def n_qubits(self) -> int:
        """Alias of :attr:`num_qubits` (:class:`Ansatz`'s spelling)."""
        return self.num_qubits

    @property
    def parameters(self) -> tuple[str, ...]:
        """Parameter names in index order: ``("theta[0]", "theta[1]", …)``."""
        return tuple(f"{self.argname}[{k}]" for k in range(self.num_params))

    def _emit(self, angles: Callable[[tuple[float | int, ...]], list[Any]]) -> QuantumCircuit:
        traced = self._trace()
        qc = QuantumCircuit(traced.num_qubits, name=self.name)
        for op, qubits, params in traced.gates:
            getattr(qc, op)(*angles(params), *qubits)
        return qc

    def circuit(self) -> QuantumCircuit:
        """The parametrised Qiskit circuit (a ``ParameterVector`` named after the argument)."""
        vec = ParameterVector(self.argname, self.num_params)
        return self._emit(lambda ps: [vec[a] if isinstance(a, int) else a for a in ps])

    def build(self, values: Sequence[float] | np.ndarray) -> QuantumCircuit:
        """The circuit with ``parameters[k]`` bound to ``values[k]`` (shape ``(num_params,)``).

        Raises:
            ValueError: ``values`` has the wrong shape/length or non-finite entries.
            TypeError: non-real entries.
        """
        arr = parameter_values(values, self.num_params)
        return self._emit(lambda ps: [float(arr[a]) if isinstance(a, int) else a for a in ps])

    def __repr__(self) -> str:
        return f"<ansatz {self.name}({self.argname})>"


def ansatz(func: Callable[[Any], Any]) -> AnsatzFunction:
    """Declare a hand-written ansatz: ``def f(theta)`` with ``theta[k]`` as gate angles.

    The function takes exactly one argument, the parameter vector (any name); inside it,
    ``theta[k]`` is the symbolic parameter ``"theta[k]"``. It allocates its own
    ``QubitRegister`` and applies gates (no measurements or resets)::

        @ansatz
        def two_qubit(theta):
            q = QubitRegister(2)
            ry(theta[0], q[0])
            ry(theta[1], q[1])
            cx(q[0], q[1])

        two_qubit.num_params       # 2
        two_qubit.build([0.1, 0.2])

    Returns:
        An :class:`AnsatzFunction` (not callable; use it as a value).

    Raises:
        TypeError: the function does not take exactly one positional argument.
    """
    return AnsatzFunction(func)
