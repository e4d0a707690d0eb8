"""Helpers calling helpers (inlined recursively, no recursion)."""
from eigen_lang import QubitRegister, cz, h, hybrid_program, measure_all, quantum_circuit, rz


@quantum_circuit
def single(qubit, theta):
    h(qubit)
    rz(theta, qubit)


@quantum_circuit
def pair(a, b, theta):
    single(a, theta)
    single(b, -theta)
    cz(a, b)


@quantum_circuit
def layer(q, theta):
    for i in range(0, len(q) - 1, 2):
        pair(q[i], q[i + 1], theta * (i + 1))


@hybrid_program(seed=22)
def layered(depth: int = 2):
    q = QubitRegister(4)
    for d in range(depth):
        layer(q, 0.1 * (d + 1))
    measure_all(q)
