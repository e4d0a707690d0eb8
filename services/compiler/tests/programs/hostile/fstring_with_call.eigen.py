from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    name = f"{open('x').read()}"
    h(0)
