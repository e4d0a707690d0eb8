"""Sampled expectation values of Pauli sums: measurement groups, basis changes, estimates.

Used wherever ⟨H⟩ comes from counts: the driver base class (any device that can sample
can estimate) and Pattern A clients. Terms are grouped qubit-wise commuting with Qiskit's
``SparsePauliOp.group_commuting(qubit_wise=True)``; each group is measured once in its basis
(X: ``H``; Y: ``SDG`` then ``H``; Z or I: nothing), all qubits measured, clbit i = qubit i.

Labels use Qiskit's order: the rightmost character acts on qubit 0, and counts keys have
clbit 0 rightmost, so character ``-1 - i`` of a label meets character ``-1 - i`` of a key.
Imports Qiskit lazily (only :func:`measurement_groups` needs it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eigen_ir.aqo import Circuit, Operation


@dataclass(frozen=True)
class MeasurementGroup:
    """Terms measured together: ``basis`` is one of X/Y/Z per qubit (Qiskit order).

    ``terms``: ``(label, coefficient)`` pairs, all diagonal in ``basis``.
    """

    basis: str
    terms: tuple[tuple[str, float], ...]


def measurement_groups(terms: Sequence[tuple[str, float]]) -> list[MeasurementGroup]:
    """Group Pauli terms into qubit-wise commuting sets, each with its measurement basis.

    Args:
        terms: ``(label, coefficient)`` pairs, equal-length labels over ``IXYZ``.

    Returns:
        Groups in Qiskit's order; identity-only terms land in a group too (their
        expectation is the coefficient, whatever the counts).

    Raises:
        ValueError: empty terms or labels of different lengths.
    """
    from qiskit.quantum_info import SparsePauliOp

    if not terms:
        raise ValueError("an observable needs at least one term")
    op = SparsePauliOp.from_list([(label, coeff) for label, coeff in terms])
    groups = []
    for part in op.group_commuting(qubit_wise=True):
        labels = part.paulis.to_labels()
        coeffs = [float(c.real) for c in part.coeffs]
        basis = []
        for pos in range(len(labels[0])):
            chars = {lab[pos] for lab in labels} - {"I"}
            basis.append(chars.pop() if chars else "Z")
        groups.append(MeasurementGroup("".join(basis), tuple(zip(labels, coeffs, strict=True))))
    return groups


def measured_circuit(circuit: Circuit, basis: str) -> Circuit:
    """``circuit`` followed by the basis change of ``basis`` and a measurement of every qubit.

    Raises:
        ValueError: ``basis`` length differs from ``circuit.qubits`` or the circuit measures.
    """
    n = circuit.qubits
    if len(basis) != n:
        raise ValueError(f"basis {basis!r} has {len(basis)} characters for {n} qubits")
    if circuit.clbits or any(o.op == "MEASURE" for o in circuit.operations):
        raise ValueError("the circuit to estimate must not measure or have clbits")
    ops = list(circuit.operations)
    for q in range(n):
        b = basis[n - 1 - q]
        if b == "Y":
            ops.append(Operation("SDG", (q,)))
        if b in "XY":
            ops.append(Operation("H", (q,)))
    ops.append(Operation("MEASURE", tuple(range(n)), tuple(range(n))))
    return Circuit(n, n, tuple(ops), circuit.parameters, circuit.metadata)


def estimate_from_counts(
    terms: Sequence[tuple[str, float]], counts: Mapping[str, int]
) -> tuple[float, float]:
    """Estimate ``Σ c_k ⟨P_k⟩`` from counts taken in the terms' common basis.

    Args:
        terms: ``(label, coefficient)`` pairs of one :class:`MeasurementGroup`.
        counts: bitstring → count (clbit i = qubit i, clbit 0 rightmost), non-empty.

    Returns:
        ``(value, variance of the estimate)``; the variance is that of the group's sample mean.

    Raises:
        ValueError: no shots in ``counts``.
    """
    shots = sum(counts.values())
    if shots <= 0:
        raise ValueError("counts are empty")
    masks = [
        (coeff, [i for i, ch in enumerate(reversed(label)) if ch != "I"]) for label, coeff in terms
    ]
    mean = 0.0
    second = 0.0
    for key, n in counts.items():
        bits = key.replace(" ", "")
        width = len(bits)
        sample = 0.0
        for coeff, qubits in masks:
            parity = sum(bits[width - 1 - q] == "1" for q in qubits) & 1
            sample += -coeff if parity else coeff
        mean += n * sample
        second += n * sample * sample
    mean /= shots
    var = max(second / shots - mean * mean, 0.0) / shots
    return mean, var


def combine(estimates: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Sum independent group estimates: ``(Σ value, sqrt(Σ variance))`` (value, std error)."""
    return sum(v for v, _ in estimates), math.sqrt(sum(var for _, var in estimates))
