"""Helpers that take whole registers (a GHZ preparation and its inverse)."""
from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all, quantum_circuit


@quantum_circuit
def prepare_ghz(q):
    h(q[0])
    for i in range(len(q) - 1):
        cx(q[i], q[i + 1])


@quantum_circuit
def unprepare_ghz(q):
    for i in range(len(q) - 1, 0, -1):
        cx(q[i - 1], q[i])
    h(q[0])


@hybrid_program(shots=300, seed=20)
def ghz_twice(n: int = 4):
    a = QubitRegister(n)
    b = QubitRegister(n)
    prepare_ghz(a)
    prepare_ghz(b)
    unprepare_ghz(b)
    measure_all(a)
    measure_all(b)
