"""numpy constants and scalar functions (the allowlisted pure subset)."""
import numpy as np

from eigen_lang import QubitRegister, crx, h, hybrid_program, measure_all, ry


@hybrid_program(shots=300, seed=12)
def np_scalars():
    q = QubitRegister(2)
    h(q[0])
    ry(np.pi / 4, q[1])
    crx(np.arccos(np.sqrt(0.5)) * 2, q[0], q[1])
    ry(np.deg2rad(30) + np.cos(np.pi / 3), q[0])
    measure_all(q)
