from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    @ansatz
    def circuit(theta):
        ry(theta[0], 0)
        rz(Param("extra"), 0)

    @cost_function
    def cost(x):
        return ExpectationValue(circuit, Observable("Z"))

    result = minimize(cost, [0.0])
