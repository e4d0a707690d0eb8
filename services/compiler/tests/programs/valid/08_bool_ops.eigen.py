"""and / or / not on constants, with short-circuit values."""
from eigen_lang import QubitRegister, hybrid_program, measure_all, x, y


@hybrid_program(seed=8)
def logic(a: int = 1, b: int = 0):
    q = QubitRegister(4)
    if a and not b:
        x(q[0])
    if a or b:
        x(q[1])
    if not (a and b):
        y(q[2])
    k = b or 3
    x(q[k])
    measure_all(q)
