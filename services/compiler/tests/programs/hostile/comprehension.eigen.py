from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    angles = [i * 0.1 for i in range(3)]
    h(0)
