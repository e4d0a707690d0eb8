"""An n-qubit GHZ state: H on the first qubit, then a CX chain written as a `for` loop.

Expect about half the shots all zeros and half all ones. `n` is an entrypoint parameter: the
job's `inputs` may override it (`inputs: {n: 8}`).

    python examples/ghz/program.eigen.py          # runs locally on Aer
    eigen submit --job examples/ghz/job.yaml --wait
"""

from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all


@hybrid_program(target="sim:local", shots=1024, seed=1234)
def ghz(n: int = 5):
    q = QubitRegister(n)
    h(q[0])
    for i in range(n - 1):
        cx(q[i], q[i + 1])
    measure_all(q)


if __name__ == "__main__":
    counts = ghz()
    print(f"counts: {sorted(counts.items())}")
