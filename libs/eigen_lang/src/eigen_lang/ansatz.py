"""Parametrised ansätze: ``Ansatz``, ``create_hea_ansatz`` and the ``@ansatz`` decorator.

The structure of an :class:`Ansatz` is spelled out in plain data (:attr:`Ansatz.ops`), so the
compiler can lower it to AQO without Qiskit; :meth:`Ansatz.circuit` builds the equivalent
Qiskit circuit. An ``@ansatz`` function (:class:`AnsatzFunction`) is the hand-written kind.
Both satisfy :class:`AnsatzLike`, the interface ``ExpectationValue`` accepts.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from qiskit.circuit import ParameterVector, QuantumCircuit

from eigen_ir.ansatz import (
    ENTANGLEMENTS,
    ROTATION_GATES,
    ROTATION_PRESETS,
    Ansatz,
    create_hea_ansatz,
    entangling_pairs,
    parameter_values,
)
from eigen_lang.circuit import Param, record

__all__ = [
    "ENTANGLEMENTS",
    "ROTATION_GATES",
    "ROTATION_PRESETS",
    "Ansatz",
    "AnsatzFunction",
    "AnsatzLike",
    "ansatz",
    "create_hea_ansatz",
    "entangling_pairs",
]


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
