from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    c = ClassicalRegister(1)
    measure(0, c[0])
    if c[0]:
        x(0)
