from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    t = (0,) * 10**9
    h(0)
