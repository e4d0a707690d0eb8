"""np.array of constants, indexing (also negative) and len()."""
import numpy as np

from eigen_lang import QubitRegister, hybrid_program, measure_all, ry


@hybrid_program(seed=13)
def arrays():
    angles = np.array([0.1, 0.2, 0.3, 0.4])
    q = QubitRegister(len(angles))
    for i in range(len(angles)):
        ry(angles[i] * 2, q[i])
    ry(angles[-1], q[0])
    measure_all(q)
