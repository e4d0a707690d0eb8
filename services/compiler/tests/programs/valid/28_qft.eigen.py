"""The quantum Fourier transform (controlled phases and swaps)."""
import math

from eigen_lang import QubitRegister, cp, h, hybrid_program, measure_all, quantum_circuit, swap, x


@quantum_circuit
def qft(q, n):
    for j in range(n - 1, -1, -1):
        h(q[j])
        for k in range(j - 1, -1, -1):
            cp(math.pi / 2 ** (j - k), q[k], q[j])
    for i in range(n // 2):
        swap(q[i], q[n - 1 - i])


@hybrid_program(shots=512, seed=28)
def fourier(n: int = 4):
    q = QubitRegister(n)
    x(q[0])
    qft(q, n)
    measure_all(q)
