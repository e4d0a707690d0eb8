from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    a = create_hea_ansatz(3, 2)

    @cost_function
    def cost(x):
        return ExpectationValue(a, Observable("ZZZ"))

    result = minimize(cost, np.zeros(5))
