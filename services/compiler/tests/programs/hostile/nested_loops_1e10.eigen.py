from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    for i in range(10**5):
        for j in range(10**5):
            h(0)
