"""The one table of Eigen-Lang names (shared by the ``eigen_lang`` runtime and the compiler).

Gate functions take their angle parameters first (radians), then their qubits, all positional —
Qiskit's order: ``rx(theta, q[0])``, ``u(theta, phi, lam, q[0])``, ``crz(theta, control, target)``.
The upper-cased gate name is the AQO op name (``cx`` → ``CX``).
"""

from __future__ import annotations

from typing import NamedTuple


class GateSpec(NamedTuple):
    """Shape of a gate function: ``num_params`` angles (radians), then ``num_qubits`` qubits."""

    num_qubits: int
    num_params: int


#: Every gate function of Eigen-Lang v0.1 (lower-case name → shape); mirrors the AQO gate set
#: except :data:`eigen_ir.aqo.ISA_ONLY_GATES` (``ECR``: a device's gate, not a program's).
GATE_ARITY: dict[str, GateSpec] = {
    "h": GateSpec(1, 0),
    "x": GateSpec(1, 0),
    "y": GateSpec(1, 0),
    "z": GateSpec(1, 0),
    "s": GateSpec(1, 0),
    "sdg": GateSpec(1, 0),
    "t": GateSpec(1, 0),
    "tdg": GateSpec(1, 0),
    "sx": GateSpec(1, 0),
    "rx": GateSpec(1, 1),
    "ry": GateSpec(1, 1),
    "rz": GateSpec(1, 1),
    "p": GateSpec(1, 1),
    "u": GateSpec(1, 3),
    "cx": GateSpec(2, 0),
    "cy": GateSpec(2, 0),
    "cz": GateSpec(2, 0),
    "ch": GateSpec(2, 0),
    "swap": GateSpec(2, 0),
    "crx": GateSpec(2, 1),
    "cry": GateSpec(2, 1),
    "crz": GateSpec(2, 1),
    "cp": GateSpec(2, 1),
    "rxx": GateSpec(2, 1),
    "ryy": GateSpec(2, 1),
    "rzz": GateSpec(2, 1),
    "ccx": GateSpec(3, 0),
    "cswap": GateSpec(3, 0),
}

#: Non-gate instructions: ``measure(qubits, clbits)``, ``measure_all(*qubits)``,
#: ``reset(*qubits)``, ``barrier(*qubits)``.
INSTRUCTIONS: tuple[str, ...] = ("measure", "measure_all", "reset", "barrier")

#: Register constructors: ``QubitRegister(size, name=None)``,
#: ``ClassicalRegister(size, name=None)``.
REGISTER_TYPES: tuple[str, ...] = ("QubitRegister", "ClassicalRegister")

#: Keyword arguments ``@hybrid_program(...)`` accepts.
DECORATOR_OPTIONS: tuple[str, ...] = ("target", "shots", "optimization_level", "seed", "compiler")

#: Module spellings under which the library may be imported (the seed writes ``Eigen_lang``).
MODULE_NAMES: tuple[str, ...] = ("eigen_lang", "Eigen_lang")

#: Every name ``from eigen_lang import *`` binds (``eigen_lang.__all__``; a test pins that the
#: two agree). The compiler resolves program names against this table, not against the
#: installed runtime package, so it never imports ``eigen_lang``.
LIBRARY_NAMES: frozenset[str] = frozenset(
    {
        "Ansatz",
        "AnsatzFunction",
        "AnsatzLike",
        "ClassicalRegister",
        "Clbit",
        "CostFunction",
        "Dataset",
        "ExpectationValue",
        "FeatureMap",
        "GATE_ARITY",
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
    }
)
