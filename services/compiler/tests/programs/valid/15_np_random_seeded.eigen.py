"""Seeded random initial angles: `np.random.randn(k) * 0.1` with the decorator's seed."""
import numpy as np

from eigen_lang import QubitRegister, cx, hybrid_program, measure_all, ry


@hybrid_program(shots=500, seed=42)
def random_init(n: int = 4):
    initial = np.random.randn(2 * n) * 0.1
    q = QubitRegister(n)
    for i in range(n):
        ry(initial[i] + 1.0, q[i])
    for i in range(n - 1):
        cx(q[i], q[i + 1])
    for i in range(n):
        ry(initial[n + i], q[i])
    measure_all(q)
