from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    n = 100000
    for i in range(n):
        for j in range(n):
            pass
