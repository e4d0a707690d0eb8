from eigen_lang import *
import numpy as np


@ansatz
def circuit(theta):
    ry(theta[-1], 0)


@cost_function
def cost(x):
    return ExpectationValue(circuit, Observable("Z"))


@hybrid_program()
def p():
    result = minimize(cost, [0.0])
