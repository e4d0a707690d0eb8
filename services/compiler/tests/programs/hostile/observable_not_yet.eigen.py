from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    o = Observable('ZZ')
    h(0)
