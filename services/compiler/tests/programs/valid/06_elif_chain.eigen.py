"""if / elif / else chains select gates at compile time."""
from eigen_lang import QubitRegister, h, hybrid_program, measure_all, s, t, x


@hybrid_program(seed=4, shots=128)
def chain(mode: int = 2):
    q = QubitRegister(4)
    for i in range(4):
        if i == 0:
            h(q[i])
        elif i == 1:
            s(q[i])
        elif i == mode:
            x(q[i])
        else:
            t(q[i])
    if mode > 3:
        x(q[3])
    measure_all(q)
