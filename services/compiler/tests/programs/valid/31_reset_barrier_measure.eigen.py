"""reset, barrier and measure into a ClassicalRegister, integer qubits before registers."""
from eigen_lang import ClassicalRegister, barrier, h, hybrid_program, measure, reset, x


@hybrid_program(seed=31, shots=64)
def instructions():
    x(0)
    h(2)
    barrier()
    reset(0)
    c = ClassicalRegister(3)
    for i in range(3):
        measure(i, c[i])
