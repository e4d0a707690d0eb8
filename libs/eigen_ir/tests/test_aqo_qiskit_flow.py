"""AQO ↔ Qiskit for conditions and parameter expressions, checked on Qiskit Aer."""

from __future__ import annotations

import math

import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.circuit import Parameter
from qiskit.circuit.classical import expr
from qiskit.quantum_info import hellinger_fidelity
from qiskit_aer import AerSimulator

from eigen_ir import aqo
from eigen_ir.aqo_qiskit import BASIS_GATES, from_qiskit, to_qiskit

SIM = AerSimulator()


def counts(qc: QuantumCircuit, shots: int = 4000, seed: int = 11) -> dict[str, int]:
    result = SIM.run(transpile(qc, SIM), shots=shots, seed_simulator=seed).result()
    return {k.replace(" ", ""): v for k, v in result.get_counts().items()}


def roundtrip(qc: QuantumCircuit) -> aqo.Circuit:
    circuit = from_qiskit(
        transpile(qc, basis_gates=[*BASIS_GATES, "if_else"], optimization_level=0)
    )
    assert aqo.parse(circuit.canonical_bytes()) == aqo.parse(circuit.to_json())  # valid AQO
    return circuit


def test_not_equal_cond_runs_on_aer() -> None:
    c = aqo.parse(
        {
            "version": "0.1",
            "qubits": 3,
            "clbits": 3,
            "parameters": [],
            "operations": [
                {"op": "X", "q": [0]},
                {"op": "MEASURE", "q": [0], "c": [0]},
                {"op": "X", "q": [1], "cond": {"c": [0], "value": 1, "cmp": "!="}},
                {"op": "X", "q": [2], "cond": {"c": [0], "value": 0, "cmp": "!="}},
                {"op": "MEASURE", "q": [1, 2], "c": [1, 2]},
            ],
        }
    )
    assert counts(to_qiskit(c), 100) == {"101": 100}


def test_affine_parameters_go_through_qiskit_both_ways() -> None:
    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(2)
    qc.rx(2 * a + 0.1, 0)
    qc.ry(a - b / 4, 1)
    qc.rz(b, 1)
    qc.measure_all()
    circuit = roundtrip(qc)
    params = [o.params[0] for o in circuit.operations if o.params]
    assert params[0] == aqo.ParamExpr([("a", 2.0)], 0.1)
    assert params[1] == aqo.ParamExpr([("a", 1.0), ("b", -0.25)], 0.0)
    assert params[2] == "b" and circuit.parameters == ("a", "b")
    values = {"a": 0.7, "b": -1.3}
    direct = counts(qc.assign_parameters({a: 0.7, b: -1.3}))
    via_aqo = counts(to_qiskit(circuit, values))
    bound = counts(to_qiskit(aqo.bind(circuit, values)))
    assert via_aqo == bound
    assert hellinger_fidelity(direct, via_aqo) > 0.99
    rebuilt = to_qiskit(circuit)
    assert sorted(p.name for p in rebuilt.parameters) == ["a", "b"]


def test_non_affine_expressions_are_refused() -> None:
    a, b = Parameter("a"), Parameter("b")
    for bad in (a * b, a.sin(), a * a):
        qc = QuantumCircuit(1)
        qc.rx(bad, 0)
        with pytest.raises(aqo.AqoError, match="not affine"):
            from_qiskit(qc)


def _dynamic() -> QuantumCircuit:
    """Mid-circuit measurements feeding if/else, nested ifs and an OR condition."""
    qr, cr = QuantumRegister(3, "q"), ClassicalRegister(3, "c")
    qc = QuantumCircuit(qr, cr)
    qc.h(0)
    qc.h(1)
    qc.measure(0, 0)
    qc.measure(1, 1)
    with qc.if_test(expr.logic_or(cr[0], cr[1])) as orelse:  # two disjoint cubes
        qc.x(2)
    with orelse:
        qc.h(2)
    with qc.if_test((cr[0], True)), qc.if_test(expr.logic_not(cr[1])):
        qc.rz(math.pi / 3, 2)
        qc.h(2)
    qc.measure(2, 2)
    return qc


def test_if_else_nested_and_or_conditions_keep_the_distribution() -> None:
    qc = _dynamic()
    circuit = roundtrip(qc)
    conds = [o.cond for o in circuit.operations if o.cond is not None]
    assert ((0, 1), 0, "!=") in conds  # else branch of the OR: ¬(c0 ∨ c1) = c0c1 == 00
    assert ((0, 1), 1) in conds  # c0 ∧ ¬c1 merged from the nested ifs
    assert hellinger_fidelity(counts(qc, 20000), counts(to_qiskit(circuit), 20000)) > 0.995


def test_a_block_may_write_its_condition_last_measurements_grouped() -> None:
    """``while``-style body: gates, then the measurements its condition reads (reordered past a
    gate they commute with, merged into one MEASURE so the condition is read once)."""
    qr, cr = QuantumRegister(3, "q"), ClassicalRegister(2, "f")
    qc = QuantumCircuit(qr, cr)
    qc.x(0)
    qc.measure(0, 0)
    with qc.if_test(expr.not_equal(cr, 0)):
        qc.h(1)
        qc.measure(1, 0)
        qc.x(2)  # commutes with the measurement above
        qc.measure(0, 1)
    circuit = from_qiskit(qc)
    ops = [(o.op, o.q, o.c, o.cond) for o in circuit.operations]
    assert ops[-1] == ("MEASURE", (1, 0), (0, 1), ((0, 1), 0, "!="))
    assert ops[-2] == ("X", (2,), (), ((0, 1), 0, "!="))
    assert hellinger_fidelity(counts(qc), counts(to_qiskit(circuit))) > 0.99


def test_a_block_reading_its_condition_after_writing_it_is_refused() -> None:
    qr, cr = QuantumRegister(2, "q"), ClassicalRegister(1, "c")
    qc = QuantumCircuit(qr, cr)
    qc.measure(0, 0)
    with qc.if_test((cr[0], False)):
        qc.x(0)
        qc.measure(0, 0)
        qc.h(0)  # same qubit: cannot move past it
    with pytest.raises(aqo.AqoError) as info:
        from_qiskit(qc)
    (path, message) = info.value.violations[0]
    assert path.startswith("operations[1].then") and "condition" in message


def test_measurement_writing_its_own_complex_condition_is_refused() -> None:
    qr, cr = QuantumRegister(2, "q"), ClassicalRegister(2, "c")
    qc = QuantumCircuit(qr, cr)
    with qc.if_test(expr.bit_xor(cr[0], cr[1])):
        qc.measure(0, 0)
    with pytest.raises(aqo.AqoError, match="writes the clbits of its own condition"):
        from_qiskit(qc)


def test_loops_and_stores_are_refused_by_name() -> None:
    qr, cr = QuantumRegister(1, "q"), ClassicalRegister(1, "c")
    qc = QuantumCircuit(qr, cr)
    with qc.while_loop((cr[0], False)):
        qc.h(0)
        qc.measure(0, 0)
    with pytest.raises(aqo.AqoError, match="run-time `while` loops"):
        from_qiskit(qc)
    qc = QuantumCircuit(qr, cr)
    qc.store(cr[0], expr.lift(True))
    with pytest.raises(aqo.AqoError, match="store"):
        from_qiskit(qc)


def test_register_conditions_and_comparisons() -> None:
    qr, cr = QuantumRegister(3, "q"), ClassicalRegister(2, "c")
    qc = QuantumCircuit(qr, cr)
    qc.h(0)
    qc.h(1)
    qc.measure([0, 1], [0, 1])
    with qc.if_test((cr, 2)):
        qc.x(2)
    with qc.if_test(expr.less(cr, 2)):
        qc.h(2)
    circuit = from_qiskit(qc)
    conds = [o.cond for o in circuit.operations if o.cond is not None]
    assert conds == [((0, 1), 2), ((1,), 0)]  # c < 2 is the cube "bit 1 is 0"
    assert hellinger_fidelity(counts(qc, 20000), counts(to_qiskit(circuit), 20000)) > 0.995
