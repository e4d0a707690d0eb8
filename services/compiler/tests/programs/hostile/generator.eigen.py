from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    s = sum(i for i in range(10))
    h(0)
