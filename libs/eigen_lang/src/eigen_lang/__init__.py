"""Eigen-Lang v0.1: the Python-syntax language of Eigen OS programs (SPEC §6).

A program is one module with exactly one ``@hybrid_program`` function::

    from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all

    @hybrid_program(target="sim:local", shots=1024)
    def bell():
        q = QubitRegister(2)
        h(q[0])
        cx(q[0], q[1])
        measure_all(q)

On the platform the compiler reads it by AST analysis only. Locally, ``bell()`` runs it on
Qiskit Aer and returns counts with the platform's bit order (clbit 0 rightmost).
Gate functions take angles first, then qubits: ``rx(math.pi / 2, q[0])``; an angle may be a
symbolic ``Param("theta")`` (recorded as a Qiskit ``Parameter``; bind it before sampling).

Variational programs (compiled to a hybrid plan the kernel runs as a loop, SPEC §6-7)::

    @hybrid_program(shots=4096)
    def vqe() -> dict:
        H = Observable({"ZZ": -1.0, "XI": 0.5, "IX": 0.5})
        ansatz = create_hea_ansatz(n_qubits=2, depth=1)

        @cost_function
        def energy(params):
            return ExpectationValue(circuit_or_ansatz=ansatz, observable=H, shots=None)

        result = minimize(energy, np.random.randn(ansatz.num_params) * 0.1, method="cobyla")
        return {"energy": result.optimal_value}

Locally ``vqe()`` runs the body and returns its dict; ``minimize`` calls the kernel's own
optimiser (:func:`eigen_ir.optimize.minimize`) on Aer expectation values.

- ``Observable``: real-coefficient Pauli sums, Qiskit label order (rightmost char = qubit 0),
  ``+ - * /``, ``terms``, ``n_qubits``, ``to_sparse_pauli_op()``, ``to_matrix()``.
- ``create_ising_model_hamiltonian(n_spins, J, h, periodic)``:
  ``H = Σ_<ij> J_ij Z_i Z_j + Σ_i h_i X_i`` (plus signs; ``J < 0`` is ferromagnetic).
- ``create_hea_ansatz(n_qubits, depth, entanglement, rotations)`` → ``Ansatz``: Qiskit's
  ``n_local`` layout (``reps=depth``, final rotation layer), parameters ``theta[k]``.
- ``@ansatz def f(theta): ...``: a hand-written ansatz, ``theta[k]`` = parameter ``"theta[k]"``;
  used as a value like ``Ansatz`` (both are ``AnsatzLike``).
- ``ExpectationValue(circuit_or_ansatz, observable, shots=None)``: exact when ``shots`` is
  ``None``, else sampled per qubit-wise commuting group; ``.evaluate(values, seed)``.
- ``@cost_function``: ``f(params) -> ExpectationValue``, the objective of ``minimize``.
- ``minimize(objective, initial_guess, method, max_iter, tolerance)`` → ``MinimizeResult``
  (``optimal_value``, ``optimal_parameters``, ``success``, ``iterations``, ``history``).
- Quantum machine learning (:mod:`eigen_lang.qml`, docs/qml.md): ``load_dataset(name, ...)``
  (scikit-learn's iris, breast_cancer, digits; ``moons``/``circles`` generated with a seed),
  feature maps ``angle_encoding`` / ``zz_feature_map``, ``QuantumModel(feature_map, ansatz,
  observable)``, ``SupervisedTask(model, dataset, test_size, seed, loss, optimizer, max_iter,
  ...)`` and ``task.fit()`` → ``TrainingResult`` (test/train accuracy, parameters, loss history).
- Local utilities: ``get_program_ast(program)`` (the tree the compiler analyses) and
  ``visualize_circuit(obj, output="text"|"png"|"svg", filename, values)``.

``Eigen_lang`` (the seed's spelling) is an alias module re-exporting these names.
"""

from eigen_ir.gates import GATE_ARITY, GateSpec
from eigen_ir.observable import Observable, create_ising_model_hamiltonian
from eigen_lang.ansatz import Ansatz, AnsatzFunction, AnsatzLike, ansatz, create_hea_ansatz
from eigen_lang.circuit import (
    ClassicalRegister,
    Clbit,
    Param,
    Qubit,
    QubitRegister,
    barrier,
    ccx,
    ch,
    cp,
    crx,
    cry,
    crz,
    cswap,
    cx,
    cy,
    cz,
    h,
    measure,
    measure_all,
    p,
    reset,
    rx,
    rxx,
    ry,
    ryy,
    rz,
    rzz,
    s,
    sdg,
    swap,
    sx,
    t,
    tdg,
    u,
    x,
    y,
    z,
)
from eigen_lang.drawing import visualize_circuit
from eigen_lang.expectation import CostFunction, ExpectationValue, cost_function
from eigen_lang.optimize import MinimizeResult, minimize
from eigen_lang.program import HybridProgram, ProgramOptions, hybrid_program, quantum_circuit
from eigen_lang.qml import (
    Dataset,
    FeatureMap,
    QuantumModel,
    SupervisedTask,
    TrainingResult,
    angle_encoding,
    load_dataset,
    zz_feature_map,
)
from eigen_lang.source import get_program_ast

__all__ = [
    "GATE_ARITY",
    "Ansatz",
    "AnsatzFunction",
    "AnsatzLike",
    "ClassicalRegister",
    "Clbit",
    "CostFunction",
    "Dataset",
    "ExpectationValue",
    "FeatureMap",
    "GateSpec",
    "HybridProgram",
    "MinimizeResult",
    "Observable",
    "Param",
    "ProgramOptions",
    "QuantumModel",
    "Qubit",
    "QubitRegister",
    "SupervisedTask",
    "TrainingResult",
    "angle_encoding",
    "ansatz",
    "barrier",
    "ccx",
    "ch",
    "cost_function",
    "cp",
    "create_hea_ansatz",
    "create_ising_model_hamiltonian",
    "crx",
    "cry",
    "crz",
    "cswap",
    "cx",
    "cy",
    "cz",
    "get_program_ast",
    "h",
    "hybrid_program",
    "load_dataset",
    "measure",
    "measure_all",
    "minimize",
    "p",
    "quantum_circuit",
    "reset",
    "rx",
    "rxx",
    "ry",
    "ryy",
    "rz",
    "rzz",
    "s",
    "sdg",
    "swap",
    "sx",
    "t",
    "tdg",
    "u",
    "visualize_circuit",
    "x",
    "y",
    "z",
    "zz_feature_map",
]
