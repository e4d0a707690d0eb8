"""np.linspace angles for a rotation ladder."""
import numpy as np

from eigen_lang import QubitRegister, hybrid_program, measure_all, ry


@hybrid_program(shots=400, seed=15)
def ladder(n: int = 5):
    angles = np.linspace(0, np.pi, n)
    q = QubitRegister(n)
    for i in range(n):
        ry(angles[i], q[i])
    measure_all(q)
