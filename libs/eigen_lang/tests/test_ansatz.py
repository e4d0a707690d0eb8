from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import n_local
from qiskit.quantum_info import Statevector

from eigen_lang import Ansatz, Observable, create_hea_ansatz, create_ising_model_hamiltonian
from eigen_lang.ansatz import entangling_pairs

ROTATIONS: list[str | list[str]] = ["ry", "rx", "rz", "ryrz", "rxry", ["rz", "rx", "ry"]]
PRESET_GATES = {"ryrz": ["ry", "rz"], "rxry": ["rx", "ry"]}


def _qiskit_reference(
    n: int, depth: int, entanglement: str, rotations: str | list[str]
) -> QuantumCircuit:
    blocks = rotations if isinstance(rotations, list) else PRESET_GATES.get(rotations, [rotations])
    # Qiskit refuses a CX block on one qubit; a 1-qubit HEA has no entangling gates at all.
    entangler: str | list[str] = "cx" if n > 1 else []
    return n_local(
        n,
        blocks,
        entangler,
        entanglement=entanglement,
        reps=depth,
        skip_final_rotation_layer=False,
        insert_barriers=False,
    )


def _cx_layers(qc: QuantumCircuit) -> list[list[tuple[int, int]]]:
    """CX pairs grouped by consecutive runs (one run per entangling layer)."""
    layers: list[list[tuple[int, int]]] = []
    previous_cx = False
    for inst in qc.data:
        is_cx = inst.operation.name == "cx"
        if is_cx:
            pair = tuple(qc.find_bit(q).index for q in inst.qubits)
            if not previous_cx:
                layers.append([])
            layers[-1].append((pair[0], pair[1]))
        previous_cx = is_cx
    return layers


def _gate_sequence(qc: QuantumCircuit) -> list[tuple[str, tuple[int, ...]]]:
    return [(i.operation.name, tuple(qc.find_bit(q).index for q in i.qubits)) for i in qc.data]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("entanglement", ["linear", "circular", "full", "pairwise"])
@pytest.mark.parametrize("rotations", ROTATIONS)
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_hea_matches_qiskit_n_local(
    n: int, entanglement: str, rotations: str | list[str], depth: int
) -> None:
    ansatz = create_hea_ansatz(n, depth, entanglement=entanglement, rotations=rotations)
    reference = _qiskit_reference(n, depth, entanglement, rotations)
    ours = ansatz.circuit()

    n_rot = (
        len(rotations)
        if isinstance(rotations, list)
        else len(PRESET_GATES.get(rotations, [rotations]))
    )
    assert ansatz.num_params == reference.num_parameters == (depth + 1) * n_rot * n
    assert ours.num_parameters == ansatz.num_params
    assert ansatz.n_qubits == ours.num_qubits == n
    assert ansatz.parameters == tuple(f"theta[{k}]" for k in range(ansatz.num_params))
    assert [p.name for p in ours.parameters] == list(ansatz.parameters)

    # Same gates on the same qubits in the same order, same CX pairs per entangling layer.
    assert _gate_sequence(ours) == _gate_sequence(reference)
    layers = _cx_layers(ours)
    assert layers == _cx_layers(reference)
    expected_layers = depth if entangling_pairs(n, entanglement) else 0
    assert len(layers) == expected_layers
    assert all(layer == entangling_pairs(n, entanglement) for layer in layers)

    # Equal states for random parameter values (parameters in the same order).
    rng = np.random.default_rng(1000 * n + depth)
    for _ in range(2):
        values = rng.uniform(-np.pi, np.pi, ansatz.num_params)
        bound = ansatz.build(values)
        assert bound.num_parameters == 0
        mine = Statevector(bound)
        theirs = Statevector(reference.assign_parameters(values))
        assert mine.equiv(theirs)
        assert np.allclose(mine.data, theirs.data)
        assert Statevector(ours.assign_parameters(values)).equiv(mine)


def test_entangling_pairs_examples() -> None:
    assert entangling_pairs(4, "linear") == [(0, 1), (1, 2), (2, 3)]
    assert entangling_pairs(4, "circular") == [(3, 0), (0, 1), (1, 2), (2, 3)]
    assert entangling_pairs(2, "circular") == [(0, 1)]
    assert entangling_pairs(3, "full") == [(0, 1), (0, 2), (1, 2)]
    assert entangling_pairs(5, "pairwise") == [(0, 1), (2, 3), (1, 2), (3, 4)]
    assert entangling_pairs(1, "full") == []


def test_seed_004_shape_and_structure() -> None:
    hamiltonian = create_ising_model_hamiltonian(n_spins=5, J=-1.0, h=0.5, periodic=False)
    ansatz = create_hea_ansatz(
        n_qubits=hamiltonian.n_qubits, depth=3, entanglement="linear", rotations="ry"
    )
    assert isinstance(ansatz, Ansatz)
    assert ansatz.num_params == 20
    ops = ansatz.circuit().count_ops()
    assert ops == {"ry": 20, "cx": 12}
    # Energy of a bound circuit is a real number within the spectrum.
    state = Statevector(ansatz.build(np.zeros(20)))
    energy = state.expectation_value(hamiltonian.to_sparse_pauli_op()).real
    eigs = np.linalg.eigvalsh(hamiltonian.to_matrix())
    assert eigs[0] - 1e-9 <= energy <= eigs[-1] + 1e-9
    # All-zero angles leave |00000>: energy = Σ J over the 4 bonds = -4.
    assert energy == pytest.approx(-4.0)
    assert Observable("ZZZZZ") != hamiltonian


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_qubits": 0, "depth": 1}, "n_qubits"),
        ({"n_qubits": 2.0, "depth": 1}, "n_qubits"),
        ({"n_qubits": 2, "depth": -1}, "depth"),
        ({"n_qubits": 2, "depth": True}, "depth"),
        ({"n_qubits": 2, "depth": 1, "entanglement": "star"}, "entanglement"),
        ({"n_qubits": 2, "depth": 1, "rotations": "u"}, "rotations"),
        ({"n_qubits": 2, "depth": 1, "rotations": []}, "rotations"),
        ({"n_qubits": 2, "depth": 1, "rotations": ["ry", "h"]}, "rotation gates"),
    ],
)
def test_hea_validation(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        create_hea_ansatz(**kwargs)  # type: ignore[arg-type]


def test_build_validation() -> None:
    ansatz = create_hea_ansatz(2, 1)
    assert ansatz.num_params == 4
    with pytest.raises(ValueError, match="expected 4"):
        ansatz.build([0.1, 0.2])
    with pytest.raises(ValueError, match="expected 4"):
        ansatz.build(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="finite"):
        ansatz.build([0.0, 0.0, np.nan, 0.0])
    with pytest.raises(TypeError, match="real numbers"):
        ansatz.build(["a", "b", "c", "d"])
