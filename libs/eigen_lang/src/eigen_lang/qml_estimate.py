"""Expectation values of a training plan on local Qiskit Aer, as the platform's Aer devices do.

Exact (``shots`` None): the plan's circuit (``to_qiskit`` of its AQO) with Aer's
``save_expectation_value`` of the observable appended, one run with every binding as Aer
``parameter_binds`` (``AerSimulator(method="automatic")``, one shot) — the steps the
driver-manager's ideal Aer devices take for ``EstimateExpectationValues``, so a local run and a
platform run see the same values for an AQO both sides agree on.

Sampled: each qubit-wise commuting group of terms is measured in its basis
(:func:`eigen_ir.pauli.measured_circuit`) ``shots`` times per binding, seeded, and the group
estimates are summed (:func:`eigen_ir.pauli.combine`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qiskit.circuit import Parameter, QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer import AerSimulator

from eigen_ir.aqo_qiskit import to_qiskit
from eigen_ir.pauli import combine, estimate_from_counts, measured_circuit, measurement_groups
from eigen_ir.qml import TrainingPlan

_LABEL = "ev"


def _parameters(qc: QuantumCircuit) -> dict[str, Parameter]:
    return {p.name: p for p in qc.parameters}


class AerEstimator:
    """``estimate(bindings, seed) -> values`` for one plan (see :data:`eigen_ir.qml.Estimate`)."""

    def __init__(self, plan: TrainingPlan) -> None:
        self.plan = plan
        self.sim = AerSimulator(method="automatic")
        if plan.shots is None:
            merged: dict[str, float] = {}
            for label, coeff in plan.observable:
                merged[label] = merged.get(label, 0.0) + float(coeff)
            qc = to_qiskit(plan.circuit)
            qc.save_expectation_value(
                SparsePauliOp.from_list(list(merged.items())), qc.qubits, label=_LABEL
            )
            self.exact = qc
        else:
            self.groups = measurement_groups(plan.observable)
            self.measured = [
                to_qiskit(measured_circuit(plan.circuit, g.basis)) for g in self.groups
            ]

    def __call__(self, bindings: list[dict[str, float]], seed: int | None) -> Sequence[float]:
        """One expectation value per binding (feature-map parameters + weights), in order."""
        if self.plan.shots is None:
            params = _parameters(self.exact)
            binds = {p: [float(b[n]) for b in bindings] for n, p in params.items()}
            result = self.sim.run(self.exact, shots=1, parameter_binds=[binds]).result()
            return [float(result.data(i)[_LABEL]) for i in range(len(bindings))]
        per_circuit = []
        for qc in self.measured:
            params = _parameters(qc)
            per_circuit.append({p: [float(b[n]) for b in bindings] for n, p in params.items()})
        options: dict[str, Any] = {"shots": self.plan.shots, "max_parallel_threads": 1}
        if seed is not None:
            options["seed_simulator"] = seed
        result = self.sim.run(self.measured, parameter_binds=per_circuit, **options).result()
        nb = len(bindings)
        values = []
        for b in range(nb):
            estimates = []
            for g, group in enumerate(self.groups):
                width = len(group.basis)
                raw = result.results[g * nb + b].data.counts
                bits = {format(int(k, 16), f"0{width}b"): int(v) for k, v in raw.items()}
                estimates.append(estimate_from_counts(group.terms, bits))
            values.append(float(combine(estimates)[0]))
        return values
