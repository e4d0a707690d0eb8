from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    theta = Param("theta")
    rx(2 * theta, 0)
