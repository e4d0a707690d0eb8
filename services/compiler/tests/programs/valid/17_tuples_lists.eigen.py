"""Tuples and lists of constants: iteration, indexing, unpacking, concatenation."""
from eigen_lang import QubitRegister, cx, hybrid_program, measure_all, rx

EDGES = [(0, 1), (1, 2), (2, 3)]
ANGLES = (0.1, 0.2) + (0.3, 0.4)


@hybrid_program(seed=17)
def pairs():
    q = QubitRegister(4)
    for a, b in EDGES:
        cx(q[a], q[b])
    for i in range(len(ANGLES)):
        rx(ANGLES[i], q[i])
    first, second = EDGES[0]
    cx(q[second], q[first])
    for theta in [0.5, 0.25]:
        rx(theta, q[3])
    measure_all(q)
