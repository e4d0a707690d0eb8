from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    x = ().__class__.__bases__[0].__subclasses__()
    h(0)
