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

Hybrid building blocks (library side; the compiler does not lower them yet):

- ``Observable``: real-coefficient Pauli sums, Qiskit label order (rightmost char = qubit 0),
  ``+ - * /``, ``terms``, ``n_qubits``, ``to_sparse_pauli_op()``, ``to_matrix()``.
- ``create_ising_model_hamiltonian(n_spins, J, h, periodic)``:
  ``H = Σ_<ij> J_ij Z_i Z_j + Σ_i h_i X_i`` (plus signs; ``J < 0`` is ferromagnetic).
- ``create_hea_ansatz(n_qubits, depth, entanglement, rotations)`` → ``Ansatz``: Qiskit's
  ``n_local`` layout (``reps=depth``, final rotation layer), parameters ``theta[k]``.
"""

from eigen_lang.ansatz import Ansatz, create_hea_ansatz
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
from eigen_lang.gates import GATE_ARITY, GateSpec
from eigen_lang.observable import Observable, create_ising_model_hamiltonian
from eigen_lang.program import HybridProgram, ProgramOptions, hybrid_program, quantum_circuit

__all__ = [
    "GATE_ARITY",
    "Ansatz",
    "ClassicalRegister",
    "Clbit",
    "GateSpec",
    "HybridProgram",
    "Observable",
    "Param",
    "ProgramOptions",
    "Qubit",
    "QubitRegister",
    "barrier",
    "ccx",
    "ch",
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
    "h",
    "hybrid_program",
    "measure",
    "measure_all",
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
    "x",
    "y",
    "z",
]
