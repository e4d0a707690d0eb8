"""AQO → OpenQASM 3 for Amazon Braket: what it cannot run (run-time control flow from OpenQASM 3
``if``/``while``, resets, unbound parameters) is refused naming the feature; bound affine
parameters translate like numbers; ECR is Braket's ``ecr`` and runs as on Qiskit Aer."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
from qiskit.quantum_info import Statevector

from eigen_common.errors import InvalidArgumentError
from eigen_driver_manager.braket_program import to_openqasm
from eigen_driver_manager.plugins.aer_driver import AerDriver
from eigen_driver_manager.plugins.braket_driver import BraketDriver
from eigen_ir import aqo
from eigen_ir.aqo_qiskit import to_qiskit


def circuit(ops: list[dict[str, object]], params: list[str] | None = None) -> aqo.Circuit:
    return aqo.parse(
        {"version": "0.1", "qubits": 2, "clbits": 2, "parameters": params or [], "operations": ops}
    )


@pytest.mark.parametrize(
    ("op", "words"),
    [
        (
            {"op": "X", "q": [1], "cond": {"c": [0], "value": 1}},
            ["conditioned on measured clbits [0] == 1", "run-time classical control"],
        ),
        (
            {"op": "X", "q": [1], "cond": {"c": [0, 1], "value": 0, "cmp": "!="}},
            ["conditioned on measured clbits [0, 1] != 0", "`while`"],
        ),
        ({"op": "RESET", "q": [1]}, ["RESET", "mid-circuit reset"]),
    ],
)
def test_run_time_control_is_refused_by_name(op: dict[str, object], words: list[str]) -> None:
    c = circuit([{"op": "H", "q": [0]}, {"op": "MEASURE", "q": [0], "c": [0]}, op])
    with pytest.raises(InvalidArgumentError) as info:
        to_openqasm(c)
    assert info.value.reason == "UNSUPPORTED_INSTRUCTION"
    assert info.value.message.startswith("Amazon Braket cannot run this circuit: operations[2]")
    assert all(w in info.value.message for w in words)


def test_parameter_expressions_translate_once_bound() -> None:
    c = circuit(
        [
            {"op": "RX", "q": [0], "params": [{"terms": {"a": 2.0}, "offset": 0.1}]},
            {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
        ],
        ["a"],
    )
    with pytest.raises(InvalidArgumentError, match=re.escape("unbound parameter '2.0*a + 0.1'")):
        to_openqasm(c)
    source, pairs = to_openqasm(aqo.bind(c, {"a": 0.5}))
    assert "rx(1.1) q[0];" in source and pairs == [(0, 0), (1, 1)]


#: Prepares an uneven state, applies ECR in three qubit orders, mixes: each wrong reading of
#: ECR (qubits swapped, complex-conjugated) moves this distribution by a TVD of 0.23 or more.
ECR_MIX: list[dict[str, object]] = [
    {"op": "RY", "q": [0], "params": [0.7]},
    {"op": "RX", "q": [1], "params": [1.3]},
    {"op": "H", "q": [2]},
    {"op": "ECR", "q": [0, 1]},
    {"op": "S", "q": [1]},
    {"op": "ECR", "q": [2, 0]},
    {"op": "H", "q": [0]},
    {"op": "RZ", "q": [2], "params": [0.9]},
    {"op": "ECR", "q": [1, 2]},
    {"op": "H", "q": [1]},
    {"op": "MEASURE", "q": [0, 1, 2], "c": [0, 1, 2]},
]
#: ECR on (1, 0) undone by the inverse of Qiskit's decomposition of it (s q0; sx q1; cx; x q0,
#: equal up to a global phase): exactly |00⟩ again only when ECR means what Qiskit means.
ECR_UNDONE: list[dict[str, object]] = [
    {"op": "RY", "q": [0], "params": [0.4]},
    {"op": "RX", "q": [1], "params": [2.2]},
    {"op": "ECR", "q": [1, 0]},
    {"op": "X", "q": [1]},
    {"op": "CX", "q": [1, 0]},
    {"op": "RX", "q": [0], "params": [-math.pi / 2]},
    {"op": "SDG", "q": [1]},
    {"op": "RX", "q": [1], "params": [-2.2]},
    {"op": "RY", "q": [0], "params": [-0.4]},
    {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
]


def _tvd(a: dict[str, float], b: dict[str, float]) -> float:
    return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))


@pytest.fixture(scope="module")
def braket() -> Iterator[BraketDriver]:
    drv = BraketDriver()
    drv.initialize({"devices": "braket.local,braket.local_dm", "max_qubits": "4"})
    yield drv
    drv.close()


def test_ecr_translates_to_brakets_own_gate() -> None:
    source, _ = to_openqasm(circuit([{"op": "ECR", "q": [1, 0]}]))
    assert "ecr q[1], q[0];" in source.splitlines()


@pytest.mark.parametrize("device", ["braket.local", "braket.local_dm"])
def test_ecr_on_braket_is_ecr_on_aer(
    braket: BraketDriver, aer_driver: AerDriver, device: str
) -> None:
    """Braket's local simulators and Qiskit Aer run the same AQO ECR to the same counts."""
    undone = aqo.parse({"version": "0.1", "qubits": 2, "clbits": 2, "operations": ECR_UNDONE})
    assert braket.execute_circuit(device, undone, 200, {}).counts == {"00": 200}
    assert aer_driver.execute_circuit("aer.statevector", undone, 200, {}, seed=3).counts == {
        "00": 200
    }
    mix = aqo.parse({"version": "0.1", "qubits": 3, "clbits": 3, "operations": ECR_MIX})
    shots = 8000
    exact = {
        k: float(v)
        for k, v in Statevector.from_instruction(
            to_qiskit(mix).remove_final_measurements(inplace=False)
        )
        .probabilities_dict()
        .items()
    }
    on_braket = braket.execute_circuit(device, mix, shots, {}).counts
    on_aer = aer_driver.execute_circuit("aer.statevector", mix, shots, {}, seed=11).counts
    freq_braket = {k: n / shots for k, n in on_braket.items()}
    freq_aer = {k: n / shots for k, n in on_aer.items()}
    # sampling noise of 8000 shots over 8 outcomes: a TVD of about 0.01 (0.23: a wrong ECR)
    assert _tvd(freq_braket, freq_aer) < 0.05
    assert _tvd(freq_braket, exact) < 0.04 and _tvd(freq_aer, exact) < 0.04
