"""Module-level constants used inside the program."""
import math

from eigen_lang import QubitRegister, hybrid_program, measure_all, rx

N = 3
ANGLE = math.pi / 8
STEPS = N * 2 - 1


@hybrid_program(seed=26)
def consts():
    q = QubitRegister(N)
    for k in range(STEPS):
        rx(ANGLE * k, q[k % N])
    measure_all(q)
