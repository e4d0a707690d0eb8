from eigen_lang import *
import numpy as np


@ansatz
def circuit(theta):
    q = QubitRegister(2)
    ry(theta[0], q[0])
    measure_all(q)


@cost_function
def cost(x):
    return ExpectationValue(circuit, Observable("ZZ"))


@hybrid_program()
def p():
    result = minimize(cost, [0.0])
