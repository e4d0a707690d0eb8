"""math constants and pure functions fold at compile time."""
import math

from eigen_lang import QubitRegister, hybrid_program, measure_all, p, rx, ry, rz, u


@hybrid_program(shots=200, seed=10)
def trig():
    q = QubitRegister(3)
    rx(math.pi / 3, q[0])
    ry(math.acos(1 / math.sqrt(3)), q[1])
    rz(math.atan2(1, 2) + math.tau / 8, q[2])
    p(math.radians(45) * math.exp(0.5), q[0])
    u(math.log(2), math.hypot(0.3, 0.4), math.floor(2.7) * math.e / 10, q[1])
    rx(math.sin(0.2) ** 2 + math.cos(0.2) ** 2, q[2])
    measure_all(q)
