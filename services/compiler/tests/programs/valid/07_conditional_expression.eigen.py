"""Conditional expressions on constants, as in the seed (`-1.0 if m is None else m`)."""
from typing import Optional

from eigen_lang import QubitRegister, hybrid_program, measure_all, rx, ry


@hybrid_program(shots=100, seed=6)
def cond(scale: Optional[float] = None, n: int = 3):
    q = QubitRegister(n)
    angle = -1.0 if scale is None else scale
    for i in range(n):
        rx(angle if i == 0 else angle / (i + 1), q[i])
        ry(0.5 if i > 1 else 0.25, q[i])
    measure_all(q)
