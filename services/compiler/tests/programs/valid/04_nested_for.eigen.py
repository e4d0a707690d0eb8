"""Nested loops: a ring of RZZ couplings repeated over layers."""
import math

from eigen_lang import QubitRegister, h, hybrid_program, measure_all, rx, rzz


@hybrid_program(shots=256, seed=3)
def ring(n: int = 4, layers: int = 2):
    q = QubitRegister(n)
    h(q)
    for layer in range(layers):
        for i in range(n):
            rzz(0.1 * (layer + 1), q[i], q[(i + 1) % n])
        for i in range(n):
            rx(math.pi / (layer + 2), q[i])
    measure_all(q)
