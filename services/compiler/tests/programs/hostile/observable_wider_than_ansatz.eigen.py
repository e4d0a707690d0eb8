from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    a = create_hea_ansatz(2, 1)

    @cost_function
    def cost(x):
        return ExpectationValue(a, Observable("ZZZ"))

    result = minimize(cost, [0.0] * a.num_params)
