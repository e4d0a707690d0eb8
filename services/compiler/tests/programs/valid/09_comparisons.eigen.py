"""Chained comparisons, `in`, `is None` and equality of tuples."""
from eigen_lang import QubitRegister, hybrid_program, measure_all, x

PAIR = (1, 2)


@hybrid_program(seed=9)
def compare(n: int = 5, skip=None):
    q = QubitRegister(n)
    for i in range(n):
        if 0 < i <= 3 and i not in (2,) and skip is None:
            x(q[i])
    if PAIR == (1, 2) and 2 in PAIR and n != 4:
        x(q[0])
    measure_all(q)
