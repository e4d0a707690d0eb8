from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    a = create_hea_ansatz(2, 1)
    value = ExpectationValue(a, Observable("ZZ"))
