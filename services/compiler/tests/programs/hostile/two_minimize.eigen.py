from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    a = create_hea_ansatz(2, 1)
    obs = Observable("ZZ")

    @cost_function
    def cost(x):
        return ExpectationValue(a, obs)

    first = minimize(cost, [0.0] * a.num_params)
    second = minimize(cost, [0.0] * a.num_params)
    return {"v": second.optimal_value}
