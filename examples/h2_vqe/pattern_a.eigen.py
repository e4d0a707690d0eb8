"""One sampled measurement of the H2 ansatz, for a client-side VQE loop (Pattern A).

``theta0``/``theta1`` are symbolic parameters: the job's ``inputs`` bind them at execution, so
the program compiles once and every later iteration reuses the compilation. ``basis`` is an
entrypoint parameter (a compile-time constant): 0 measures in Z (terms II, IZ, ZI, ZZ),
1 rotates both qubits to measure XX.
"""

from eigen_lang import ClassicalRegister, Param, QubitRegister, cx, h, hybrid_program, measure, ry


@hybrid_program(target="sim:local", shots=100000)
def h2_sample(basis: int = 0):
    q = QubitRegister(2)
    c = ClassicalRegister(2)
    ry(Param("theta0"), q[0])
    ry(Param("theta1"), q[1])
    cx(q[0], q[1])
    if basis == 1:
        h(q[0])
        h(q[1])
    measure(q, c)
