"""GHZ state with a `for` loop over range(n - 1); n is an entrypoint parameter."""
from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all


@hybrid_program(shots=500, seed=5)
def ghz(n: int = 5):
    q = QubitRegister(n)
    h(q[0])
    for i in range(n - 1):
        cx(q[i], q[i + 1])
    measure_all(q)
