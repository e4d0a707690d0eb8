from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    a = create_hea_ansatz(1, 0)

    @cost_function
    def cost(x):
        return ExpectationValue(a, Observable("Z"), shots=10**8)

    result = minimize(cost, [0.0])
