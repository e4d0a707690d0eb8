from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    g = p.__globals__
    h(0)
