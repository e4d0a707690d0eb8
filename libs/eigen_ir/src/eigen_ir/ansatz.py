"""Hardware-efficient ansätze as plain data.

The rotation/entanglement tables, ``Ansatz`` (gate, qubits, parameter index) operations and
``create_hea_ansatz`` (Qiskit's ``n_local`` layout). Shared by the ``eigen_lang`` runtime and the
compiler, which lowers ``Ansatz.ops`` to AQO without executing user code;
:meth:`Ansatz.circuit` builds the equivalent Qiskit circuit.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # Qiskit is imported where a circuit is built: the kernel never builds one
    from qiskit.circuit import QuantumCircuit

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
        from qiskit.circuit import ParameterVector, QuantumCircuit

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
        from qiskit.circuit import QuantumCircuit

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
