"""No decorator seed: the default seed; then an explicit np.random.seed(...) call."""
import numpy as np

from eigen_lang import QubitRegister, hybrid_program, measure_all, rx, ry, rz


@hybrid_program(shots=100)
def reseeded():
    q = QubitRegister(2)
    rx(np.random.uniform(0, np.pi), q[0])
    np.random.seed(2024)
    values = np.random.rand(2)
    ry(values[0], q[0])
    ry(values[1], q[1])
    rz(np.random.normal(0.0, 0.5), q[1])
    rz(np.random.random(), q[0])
    measure_all(q)
