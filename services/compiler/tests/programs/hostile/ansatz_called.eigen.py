from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    @ansatz
    def circuit(theta):
        ry(theta[0], 0)

    circuit([0.5])
