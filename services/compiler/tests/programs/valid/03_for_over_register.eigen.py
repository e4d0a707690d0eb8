"""A loop over the qubits of a register and one over a classical register."""
from eigen_lang import ClassicalRegister, QubitRegister, h, hybrid_program, measure, x


@hybrid_program(shots=100, seed=1)
def over_register():
    q = QubitRegister(3)
    c = ClassicalRegister(3)
    for qubit in q:
        h(qubit)
        x(qubit)
    k = 0
    for bit in c:
        measure(q[k], bit)
        k += 1
