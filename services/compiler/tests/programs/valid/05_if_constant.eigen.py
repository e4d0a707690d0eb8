"""`if` on a parameter and on a loop index (compile-time constants)."""
from eigen_lang import QubitRegister, hybrid_program, measure_all, x, z


@hybrid_program(shots=64, seed=2)
def parity(n: int = 6, flip_odd: bool = True):
    q = QubitRegister(n)
    for i in range(n):
        if i % 2 == 1:
            if flip_odd:
                x(q[i])
        else:
            z(q[i])
    measure_all(q)
