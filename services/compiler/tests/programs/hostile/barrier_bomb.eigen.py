"""10,000 barriers over 1,024 qubits: 10 million operands, an AQO far past the response limit."""
from eigen_lang import QubitRegister, barrier, hybrid_program


@hybrid_program
def bomb():
    q = QubitRegister(1024)
    for _ in range(10_000):
        barrier(q)
