"""Augmented assignment accumulates constants across unrolled iterations."""
from eigen_lang import QubitRegister, hybrid_program, measure_all, rz, sx


@hybrid_program(seed=27)
def accumulate():
    q = QubitRegister(2)
    theta = 0.0
    for i in range(5):
        theta += 0.1 * i
        theta *= 1.5
        rz(theta, q[i % 2])
        sx(q[(i + 1) % 2])
    measure_all(q)
