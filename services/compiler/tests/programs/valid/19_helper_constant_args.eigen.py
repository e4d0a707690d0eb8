"""A @quantum_circuit helper with constant arguments, defaults and keywords."""
import math

from eigen_lang import QubitRegister, hybrid_program, measure_all, quantum_circuit, rx, ry


@quantum_circuit
def rotate(q, theta: float, axis: str = "x"):
    if axis == "x":
        rx(theta, q)
    else:
        ry(theta, q)


@hybrid_program(seed=19)
def rotations():
    q = QubitRegister(2)
    rotate(q[0], math.pi / 2)
    rotate(q[1], theta=math.pi / 3, axis="y")
    rotate(q, 0.1)
    measure_all(q)
