"""Each iteration keeps another 100,000-element array: gigabytes of constants, no circuit."""
import numpy as np

from eigen_lang import QubitRegister, h, hybrid_program


@hybrid_program
def pileup():
    q = QubitRegister(1)
    kept = ()
    for _ in range(100_000):
        kept = kept + (np.ones(100_000),)
    h(q[0])
