"""``ExpectationValue`` (⟨ψ(θ)|H|ψ(θ)⟩ of an ansatz and an observable) and ``@cost_function``.

An :class:`ExpectationValue` is a description: the compiler turns it into the ``circuit``,
``observable`` and ``shots`` of a hybrid plan (:mod:`eigen_ir.hybrid`); locally
:meth:`ExpectationValue.evaluate` computes it on Qiskit Aer with the same semantics:

- ``shots=None``: the exact value, from the statevector (``AerSimulator(method="statevector")``
  with ``save_expectation_value``).
- ``shots=n``: the terms are grouped qubit-wise commuting
  (:func:`eigen_ir.pauli.measurement_groups`), each group's basis-rotated circuit
  (:func:`eigen_ir.pauli.measured_circuit`) is sampled ``n`` times and the group estimates
  (:func:`eigen_ir.pauli.estimate_from_counts`) are summed.

An observable on fewer qubits than the ansatz acts on the lowest qubits: its labels are padded
with ``I`` on the left (Qiskit order, rightmost character = qubit 0).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from eigen_ir.aqo import Circuit
from eigen_ir.aqo_qiskit import to_qiskit
from eigen_ir.observable import Observable
from eigen_ir.pauli import combine, estimate_from_counts, measured_circuit, measurement_groups
from eigen_lang.ansatz import AnsatzLike


def _shots(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"ExpectationValue(shots=...) must be None or an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"ExpectationValue(shots=...) must be >= 1 (or None), got {value}")
    return int(value)


class ExpectationValue:
    """``⟨ψ(θ)|H|ψ(θ)⟩``: an ansatz ``|ψ(θ)⟩``, an observable ``H``, and how to estimate it.

    Args:
        circuit_or_ansatz: an :class:`~eigen_lang.Ansatz` or an ``@ansatz`` object.
        observable: an :class:`~eigen_lang.Observable` on at most ``num_qubits`` qubits.
        shots: ``None`` for the exact value, else shots per measurement group (>= 1).

    Attributes:
        terms: the observable's ``(label, coefficient)`` pairs, labels padded with ``I`` on the
            left to ``num_qubits`` characters.

    Raises:
        TypeError: not an ansatz / not an Observable / non-integer shots.
        ValueError: ``shots < 1``, or the observable has more qubits than the ansatz.
    """

    def __init__(
        self, circuit_or_ansatz: AnsatzLike, observable: Observable, shots: int | None = None
    ) -> None:
        if not isinstance(circuit_or_ansatz, AnsatzLike):
            raise TypeError(
                "ExpectationValue(circuit_or_ansatz=...) must be an Ansatz or an @ansatz "
                f"object, got {circuit_or_ansatz!r}"
            )
        if not isinstance(observable, Observable):
            raise TypeError(
                f"ExpectationValue(observable=...) must be an Observable, got {observable!r}"
            )
        self.ansatz = circuit_or_ansatz
        self.observable = observable
        self.shots = _shots(shots)
        n, m = circuit_or_ansatz.num_qubits, observable.n_qubits
        if m > n:
            raise ValueError(f"the observable acts on {m} qubits but the ansatz has only {n}")
        self.terms: tuple[tuple[str, float], ...] = tuple(
            ("I" * (n - m) + label, c) for label, c in observable.terms
        )

    @property
    def num_qubits(self) -> int:
        """Qubits of the ansatz (and characters of every label in :attr:`terms`)."""
        return self.ansatz.num_qubits

    @property
    def parameters(self) -> tuple[str, ...]:
        """The ansatz's parameter names, in the order of the vector :meth:`evaluate` takes."""
        return self.ansatz.parameters

    def evaluate(self, values: Sequence[float] | np.ndarray, seed: int | None = None) -> float:
        """The expectation value at ``values`` (shape ``(num_params,)``, radians).

        Args:
            values: one value per entry of :attr:`parameters`, in that order.
            seed: simulator seed for ``shots`` sampling (ignored when exact; ``None`` = random).

        Returns:
            ``⟨ψ(values)|H|ψ(values)⟩`` in the observable's units (e.g. Hartree).

        Raises:
            ValueError / TypeError: ``values`` has the wrong length, shape or entries.
        """
        return self.estimate(values, seed)[0]

    def estimate(
        self, values: Sequence[float] | np.ndarray, seed: int | None = None
    ) -> tuple[float, float]:
        """Like :meth:`evaluate`, with the standard error: ``(value, std_error)``.

        The standard error is ``0.0`` when exact; when sampled it is
        ``sqrt(Σ_groups Var(group mean))`` estimated from the same counts.

        Raises:
            ValueError / TypeError: ``values`` has the wrong length, shape or entries.
        """
        from qiskit_aer import AerSimulator

        bound = self.ansatz.build(values)
        if not self.terms:
            return 0.0, 0.0
        n = self.num_qubits
        if self.shots is None:
            op = SparsePauliOp.from_list(list(self.terms))
            qc = bound.copy()
            qc.save_expectation_value(op, list(range(n)), label="expval")
            result = AerSimulator(method="statevector").run(qc).result()
            return float(np.real(result.data(0)["expval"])), 0.0
        groups = measurement_groups(self.terms)
        circuits = []
        for group in groups:
            qc = QuantumCircuit(n, n)
            qc.compose(bound, qubits=range(n), inplace=True)
            rotation = to_qiskit(measured_circuit(Circuit(n, 0, ()), group.basis))
            qc.compose(rotation, qubits=range(n), clbits=range(n), inplace=True)
            circuits.append(qc)
        sim = AerSimulator(seed_simulator=seed)
        result = sim.run(circuits, shots=self.shots, seed_simulator=seed).result()
        estimates = [
            estimate_from_counts(group.terms, result.get_counts(i))
            for i, group in enumerate(groups)
        ]
        value, std_error = combine(estimates)
        return float(value), float(std_error)

    def __repr__(self) -> str:
        return f"ExpectationValue({self.ansatz!r}, {self.observable!r}, shots={self.shots!r})"


class CostFunction:
    """A function decorated with :func:`cost_function`: ``f(params) -> ExpectationValue``."""

    def __init__(self, func: Callable[[Any], ExpectationValue]) -> None:
        self.func = func
        self.name: str = getattr(func, "__name__", "cost_function")

    def __call__(self, params: Any) -> ExpectationValue:
        """Call the function with ``params`` and check that it returns an ExpectationValue.

        Raises:
            TypeError: the function returned something else.
        """
        value = self.func(params)
        if not isinstance(value, ExpectationValue):
            raise TypeError(
                f"@cost_function {self.name} must return an ExpectationValue, got {value!r}"
            )
        return value

    def __repr__(self) -> str:
        return f"<cost_function {self.name}>"


def cost_function(func: Callable[[Any], ExpectationValue]) -> CostFunction:
    """Mark ``func(params) -> ExpectationValue`` as the objective of :func:`~eigen_lang.minimize`.

    The function usually ignores ``params``: ``minimize`` binds the point it is evaluating to
    the ansatz's parameters (in :attr:`ExpectationValue.parameters` order).

    Returns:
        A :class:`CostFunction`; calling it returns the ExpectationValue description.
    """
    return CostFunction(func)
