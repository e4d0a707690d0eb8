# inputs: {"n": 3, "theta": 0.75, "repeat": 2}
"""Entrypoint parameters overridden by the job's inputs."""
from eigen_lang import QubitRegister, hybrid_program, measure_all, rx


@hybrid_program(seed=23)
def with_inputs(n: int = 6, theta: float = 0.1, repeat: int = 1):
    q = QubitRegister(n)
    for _ in range(repeat):
        for i in range(n):
            rx(theta * (i + 1), q[i])
    measure_all(q)
