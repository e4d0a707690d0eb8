"""Bell pair: the smallest program."""
from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all


@hybrid_program(target="sim:local", shots=1000, seed=11)
def bell():
    q = QubitRegister(2)
    h(q[0])
    cx(q[0], q[1])
    measure_all(q)
