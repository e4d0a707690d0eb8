from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    a = create_hea_ansatz(2, 1)
    result = minimize(a, [0.0] * a.num_params)
