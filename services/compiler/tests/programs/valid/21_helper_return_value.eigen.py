"""A helper's final `return` gives a value to the caller."""
import math

from eigen_lang import QubitRegister, hybrid_program, measure_all, quantum_circuit, ry


@quantum_circuit
def scaled(angle, factor=2):
    doubled = angle * factor
    return doubled % (2 * math.pi)


@quantum_circuit
def apply_and_count(q, angle):
    for qubit in q:
        ry(angle, qubit)
    return len(q)


@hybrid_program(seed=21)
def returns():
    q = QubitRegister(3)
    count = apply_and_count(q, scaled(math.pi, 1.5))
    ry(scaled(0.25) * count, q[0])
    measure_all(q)
