from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    @ansatz
    def circuit(theta):
        q = QubitRegister(2)
        ry(theta[0], q[0])
        ry(theta[2], q[1])

    @cost_function
    def cost(x):
        return ExpectationValue(circuit, Observable("ZZ"))

    result = minimize(cost, [0.0, 0.0, 0.0])
