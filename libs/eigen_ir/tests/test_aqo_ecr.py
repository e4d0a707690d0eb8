"""ECR in AQO: Qiskit's ``ECRGate`` (matrix, qubit order), both conversions, kept out of the
compiler's basis (docs/aqo.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import ECRGate, RZXGate
from qiskit.quantum_info import Operator, SparsePauliOp

from eigen_ir import aqo
from eigen_ir.aqo_qiskit import BASIS_GATES, GATE_NAMES, from_qiskit, to_qiskit

#: The matrix docs/aqo.md gives, in Qiskit's basis order |q[1] q[0]⟩ (index = 2·q1 + q0).
ECR_MATRIX = np.array(
    [[0, 1, 0, 1j], [1, 0, -1j, 0], [0, 1j, 0, 1], [-1j, 0, 1, 0]], dtype=complex
) / math.sqrt(2)


def ecr(q: list[int], qubits: int = 2) -> aqo.Circuit:
    return aqo.parse({"version": "0.1", "qubits": qubits, "operations": [{"op": "ECR", "q": q}]})


def test_ecr_is_a_two_qubit_gate_without_parameters() -> None:
    assert aqo.GATES["ECR"] == aqo.GateSpec(2, 0)
    doc = {"version": "0.1", "qubits": 2, "operations": [{"op": "ECR", "q": [0]}]}
    with pytest.raises(aqo.AqoError, match="ECR acts on 2 qubit"):
        aqo.parse(doc)
    doc["operations"] = [{"op": "ECR", "q": [0, 1], "params": [0.5]}]
    with pytest.raises(aqo.AqoError, match="ECR takes 0 parameter"):
        aqo.parse(doc)
    assert ecr([1, 0]).canonical_bytes() == (
        b'{"clbits":0,"operations":[{"op":"ECR","q":[1,0]}],"parameters":[],'
        b'"qubits":2,"version":"0.1"}'
    )


def test_ecr_is_qiskits_gate_with_the_documented_matrix() -> None:
    qc = to_qiskit(ecr([0, 1]))
    assert isinstance(qc.data[0].operation, ECRGate)
    # exact equality, global phase included
    assert Operator(qc) == Operator(ECR_MATRIX)
    assert Operator(qc) == Operator(ECRGate())
    # Pauli form (X on q[0] minus X on q[1] times Y on q[0]): labels are q[1] q[0]
    assert Operator(qc) == Operator(SparsePauliOp(["IX", "XY"], [1, -1]) / math.sqrt(2))
    # the echo: RZX(π/4), X on the control q[0], RZX(-π/4)
    echo = QuantumCircuit(2)
    echo.append(RZXGate(math.pi / 4), [0, 1])
    echo.x(0)
    echo.append(RZXGate(-math.pi / 4), [0, 1])
    assert Operator(qc) == Operator(echo)
    # self-inverse
    assert Operator(qc).compose(Operator(qc)) == Operator(np.eye(4))


def test_ecr_qubit_order_survives_both_conversions() -> None:
    qc = QuantumCircuit(3, 1)
    qc.h(2)
    qc.ecr(2, 0)
    qc.ecr(0, 1)
    qc.measure(0, 0)
    circuit = from_qiskit(qc)
    assert [(o.op, o.q) for o in circuit.operations] == [
        ("H", (2,)),
        ("ECR", (2, 0)),
        ("ECR", (0, 1)),
        ("MEASURE", (0,)),
    ]
    back = to_qiskit(circuit)
    assert Operator(back.remove_final_measurements(inplace=False)) == Operator(
        qc.remove_final_measurements(inplace=False)
    )
    assert aqo.parse(circuit.canonical_bytes()) == circuit


def test_an_ecr_isa_circuit_converts_exactly() -> None:
    """What an Eagle device's pass manager writes (ecr, rz, sx, x) is AQO, unitary unchanged."""
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cry(0.4, 1, 2)
    isa = transpile(
        qc, basis_gates=["ecr", "rz", "sx", "x"], optimization_level=1, seed_transpiler=3
    )
    assert "ecr" in isa.count_ops()
    circuit = from_qiskit(isa)
    assert {o.op for o in circuit.operations} <= {"ECR", "RZ", "SX", "X"}
    assert Operator(to_qiskit(circuit)).equiv(Operator(qc))


def test_ecr_is_no_compiler_basis_gate() -> None:
    """Programs are lowered to the usual gates; ECR converts but is never a compiler target."""
    assert frozenset({"ECR"}) == aqo.ISA_ONLY_GATES
    assert "ecr" in GATE_NAMES and "ecr" not in BASIS_GATES
    assert set(BASIS_GATES) == GATE_NAMES - {"ecr"}
    qc = QuantumCircuit(2)
    qc.ecr(0, 1)
    lowered = transpile(qc, basis_gates=BASIS_GATES, optimization_level=0)
    assert "ecr" not in lowered.count_ops()
    assert Operator(lowered).equiv(Operator(qc))
