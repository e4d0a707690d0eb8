from __future__ import annotations

import math

import pytest
from qiskit.quantum_info import Operator

from eigen_driver_manager.lowering import RULES, lower, needs_lowering
from eigen_driver_manager.testing import aqo_circuit
from eigen_ir.aqo import GATES
from eigen_ir.aqo_qiskit import to_qiskit

BASIC = frozenset({"H", "S", "SDG", "T", "TDG", "RY", "RZ", "CX", "CCX", "X"})


@pytest.mark.parametrize("gate", sorted(RULES))
@pytest.mark.parametrize("angle", [0.0, 0.7, -2.1, math.pi])
def test_rules_are_exact_identities(gate: str, angle: float) -> None:
    spec = GATES[gate]
    qubits = list(range(spec.num_qubits))[::-1]  # non-trivial qubit order
    op = {"op": gate, "q": qubits, "params": [angle] * spec.num_params}
    original = aqo_circuit(spec.num_qubits, 0, [op])
    lowered = lower(original, BASIC)
    assert gate not in {o.op for o in lowered.operations}
    # exact equality (global phase included)
    assert Operator(to_qiskit(lowered)) == Operator(to_qiskit(original))


def test_native_circuit_is_returned_unchanged() -> None:
    circ = aqo_circuit(
        2,
        2,
        [
            {"op": "H", "q": [0]},
            {"op": "CX", "q": [0, 1]},
            {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
        ],
    )
    assert not needs_lowering(circ, BASIC)
    assert lower(circ, BASIC) is circ


def test_condition_copied_to_every_emitted_op() -> None:
    circ = aqo_circuit(3, 1, [{"op": "CSWAP", "q": [0, 1, 2], "cond": {"c": [0], "value": 1}}])
    lowered = lower(circ, BASIC)
    assert [o.op for o in lowered.operations] == ["CX", "CCX", "CX"]
    assert all(o.cond == ((0,), 1) for o in lowered.operations)


def test_missing_rule_or_missing_target_gate() -> None:
    circ = aqo_circuit(2, 0, [{"op": "RXX", "q": [0, 1], "params": [0.1]}])
    with pytest.raises(ValueError, match="RXX"):
        lower(circ, BASIC)
    ch = aqo_circuit(2, 0, [{"op": "CH", "q": [0, 1]}])
    with pytest.raises(ValueError, match="lacks"):
        lower(ch, frozenset({"CX"}))


def test_symbolic_parameter_must_be_bound_first() -> None:
    circ = aqo_circuit(2, 0, [{"op": "CRZ", "q": [0, 1], "params": ["t"]}], ["t"])
    with pytest.raises(ValueError, match="bound"):
        lower(circ, BASIC)
