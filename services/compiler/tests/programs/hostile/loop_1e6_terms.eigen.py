from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    for i in range(10**6):
        rx(0.1, 0)
        rz(0.2, 0)
