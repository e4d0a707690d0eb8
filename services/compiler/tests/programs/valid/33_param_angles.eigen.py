# inputs: {"theta": 0.25, "n": 3}
"""Straight-line program with symbolic angles: a parametrised AQO the kernel binds later.

The input ``theta`` names an AQO parameter, not an entrypoint parameter: it does not change
the compiled bytes and raises no ``unused-input`` warning.
"""
from eigen_lang import Param, QubitRegister, cx, hybrid_program, measure_all, rx, ry


@hybrid_program(shots=256, seed=3)
def parametrised(n: int = 2):
    q = QubitRegister(n)
    theta = Param("theta")
    for i in range(n):
        ry(theta, q[i])
    for i in range(n - 1):
        cx(q[i], q[i + 1])
    rx(Param("phi"), q[0])
    measure_all(q)
