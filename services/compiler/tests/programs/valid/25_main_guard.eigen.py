"""Docstrings everywhere, and a trailing main guard that only runs locally."""

from eigen_lang import QubitRegister, h, hybrid_program, measure_all


@hybrid_program(shots=50, seed=25)
def guarded():
    """Hadamard on two qubits."""
    q = QubitRegister(2)
    "a bare string is a docstring-like no-op"
    h(q)
    measure_all(q)


if __name__ == "__main__":
    counts = guarded()
    print(f"counts: {sorted(counts.items())}")
