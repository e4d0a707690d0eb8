"""Allowlisted builtins: min, max, abs, int, float, round, sum, len, range(start, stop, step)."""
from eigen_lang import QubitRegister, hybrid_program, measure_all, rx, x


@hybrid_program(seed=18)
def builtins_demo(n: float = 5.7):
    width = int(n)
    q = QubitRegister(max(2, min(width, 8)))
    rx(abs(-0.5) + float(1), q[0])
    rx(round(1.23456, 2), q[1])
    rx(sum((0.1, 0.2, 0.3)) / max([1, 2, 3]), q[1])
    for i in range(width - 1, 0, -2):
        x(q[i])
    measure_all(q)
