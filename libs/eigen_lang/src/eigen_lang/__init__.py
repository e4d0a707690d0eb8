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
Gate functions take angles first, then qubits: ``rx(math.pi / 2, q[0])``.
"""

from eigen_lang.circuit import (
    ClassicalRegister,
    Clbit,
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
from eigen_lang.program import HybridProgram, ProgramOptions, hybrid_program, quantum_circuit

__all__ = [
    "GATE_ARITY",
    "ClassicalRegister",
    "Clbit",
    "GateSpec",
    "HybridProgram",
    "ProgramOptions",
    "Qubit",
    "QubitRegister",
    "barrier",
    "ccx",
    "ch",
    "cp",
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
