"""Slices of tuples and arrays with constant bounds."""
import numpy as np

from eigen_lang import QubitRegister, hybrid_program, measure_all, ry

ANGLES = (0.1, 0.2, 0.3, 0.4, 0.5)


@hybrid_program(seed=32)
def sliced():
    q = QubitRegister(3)
    middle = ANGLES[1:4]
    for i in range(3):
        ry(middle[i], q[i])
    tail = np.linspace(0, 1, 6)[::2]
    for i in range(len(tail)):
        ry(tail[i], q[i])
    measure_all(q)
