from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    f = lambda: 0
    h(0)
