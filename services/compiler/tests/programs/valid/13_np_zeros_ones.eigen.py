"""np.zeros / np.ones with element-wise arithmetic."""
import numpy as np

from eigen_lang import QubitRegister, hybrid_program, measure_all, rx, rz


@hybrid_program(seed=14)
def filled(n: int = 3):
    base = np.zeros(n) + 0.5
    more = np.ones(n) * np.pi / 4 - base / 2
    q = QubitRegister(n)
    for i in range(n):
        rx(base[i], q[i])
        rz(more[i], q[i])
    measure_all(q)
