from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    with np.errstate():
        h(0)
